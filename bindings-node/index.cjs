// session-core for Node.js (CommonJS): the same API as index.mjs.
'use strict';
const { EventEmitter } = require('node:events');
const { makeSessionsClass, makeSessionsSyncClass, MapStore, SessionError } = require('session-core-driver');

const backend = require('./backend.cjs');
const Sessions = makeSessionsClass(backend, { EventEmitter });
const SessionsSync = makeSessionsSyncClass(backend, { EventEmitter });

module.exports = { Sessions, SessionsSync, MapStore, SessionError, default: Sessions };
