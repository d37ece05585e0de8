// `require('session-core/token-session')`: the same class as token-session.mjs.
'use strict';
const { makeTokenSessionClass } = require('session-core-driver');
const { Sessions } = require('./index.cjs');

const TokenSession = makeTokenSessionClass(Sessions);
TokenSession.default = TokenSession;
module.exports = TokenSession;
