// `require('session-core/redis-sessions')`: the same class as redis-sessions.mjs.
'use strict';
const { makeRedisSessionsClass } = require('session-core-driver');
const { Sessions } = require('./index.cjs');
const { redisUrl } = require('./backend.cjs');

const RedisSessions = makeRedisSessionsClass(Sessions, (connection) => ({ redis: redisUrl(connection) }));
RedisSessions.default = RedisSessions;
module.exports = RedisSessions;
