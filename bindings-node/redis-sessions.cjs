// `require('session-core/redis-sessions')`: the same class as redis-sessions.mjs.
'use strict';
const { makeRedisSessionsClass } = require('session-core-driver');
const { Sessions } = require('./index.cjs');
const { redisConnection } = require('./backend.cjs');

const RedisSessions = makeRedisSessionsClass(Sessions, (connection) => ({ redis: redisConnection(connection) }));
RedisSessions.default = RedisSessions;
module.exports = RedisSessions;
