// `require('session-core/hono')`: the same as hono.mjs.
'use strict';
const { makeHono } = require('session-core-driver/hono');
const { Sessions } = require('./index.cjs');

const { session, authenticateRequest } = makeHono({ Sessions, redis: true });
module.exports = { session, authenticateRequest };
