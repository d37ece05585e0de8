// session-core for Node.js (CommonJS): the same API as index.mjs.
'use strict';
const { makeSessionsClass, makeSessionsSyncClass, MapStore, SessionError } = require('session-core-driver');

const backend = require('./backend.cjs');
const Sessions = makeSessionsClass(backend);
const SessionsSync = makeSessionsSyncClass(backend);

module.exports = { Sessions, SessionsSync, MapStore, SessionError, default: Sessions };
