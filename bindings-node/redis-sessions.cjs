// `require('session-core/redis-sessions')`: the same class as redis-sessions.mjs.
'use strict';
const { makeRedisSessionsClass } = require('session-core-driver');
const { Sessions } = require('./index.cjs');
const { redisConnection } = require('./backend.cjs');
const { redisReach } = require('./redis-channel.cjs');

const RedisSessions = makeRedisSessionsClass(Sessions, (connection) => redisReach(redisConnection(connection)));
RedisSessions.default = RedisSessions;
module.exports = RedisSessions;
