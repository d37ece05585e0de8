// `require('session-core/jwt-redis-session')`: the same middleware as jwt-redis-session.mjs.
'use strict';
const { makeJwtRedisSession } = require('session-core-driver/jwt-redis-session');
const { Sessions } = require('./index.cjs');

const JWTRedisSession = makeJwtRedisSession({ Sessions, redis: true });
JWTRedisSession.default = JWTRedisSession;
module.exports = JWTRedisSession;
