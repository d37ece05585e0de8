// `require('session-core/express')`: the same as express.mjs.
'use strict';
const { makeExpress } = require('session-core-driver/express');
const { Sessions } = require('./index.cjs');

const { session, injectSession, authenticateRequest } = makeExpress({ Sessions, redis: true });
module.exports = { session, injectSession, authenticateRequest };
