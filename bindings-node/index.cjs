// session-core for Node.js (CommonJS): the same API as index.mjs.
'use strict';
const { EventEmitter } = require('node:events');
const { makeSessionsClass, MapStore, SessionError } = require('session-core-driver');

const Sessions = makeSessionsClass(require('./backend.cjs'), { EventEmitter });

module.exports = { Sessions, MapStore, SessionError, default: Sessions };
