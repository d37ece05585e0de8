// `require('session-core/users-session-manager')`: the SessionManager class itself (as the
// package's README requires it), which also has itself as `.SessionManager` and `.default`.
'use strict';
const { EventEmitter } = require('node:events');
const { makeSessionManagerClass } = require('session-core-driver');
const { SessionsSync } = require('./index.cjs');

const SessionManager = makeSessionManagerClass(SessionsSync, { EventEmitter });
SessionManager.SessionManager = SessionManager;
SessionManager.default = SessionManager;
module.exports = SessionManager;
