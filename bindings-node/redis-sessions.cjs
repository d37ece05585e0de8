// `require('session-core/redis-sessions')`: the same class as redis-sessions.mjs.
'use strict';
const { makeRedisSessionsClass } = require('./driver.cjs');
const { Sessions } = require('./index.cjs');

const RedisSessions = makeRedisSessionsClass(Sessions);
RedisSessions.default = RedisSessions;
module.exports = RedisSessions;
