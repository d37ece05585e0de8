// `require('session-core-wasm/hono')`: the same as hono.mjs.
'use strict';
const { makeHono } = require('session-core-driver/hono');
const { Sessions } = require('./index.cjs');

const { session, authenticateRequest } = makeHono({ Sessions });
module.exports = { session, authenticateRequest };
