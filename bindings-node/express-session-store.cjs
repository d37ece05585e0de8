// `require('session-core/express-session-store')`: the same as express-session-store.mjs.
'use strict';
const { makeExpressSessionStore } = require('session-core-driver/express-session-store');
const { Sessions } = require('./index.cjs');

const { SessionCoreStore } = makeExpressSessionStore({ Sessions, redis: true });
module.exports = { SessionCoreStore, default: SessionCoreStore };
