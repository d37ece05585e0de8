// `session-core/redis-sessions`: its default export stands in for `require('redis-sessions')`.
// Same constructor options (host, port, namespace, wipe, cachetime, cachemax, options.url...),
// methods, results and errors, over session-core's Redis store; the session cache evicts in
// every process through the Redis channel `{namespace}:cache` (redis-channel.cjs). The
// constructor connects nowhere: the first call connects.
import { createRequire } from 'node:module';
import { makeRedisSessionsClass } from 'session-core-driver';
import { Sessions } from './index.mjs';

const require = createRequire(import.meta.url);
const { redisConnection } = require('./backend.cjs');
const { redisReach } = require('./redis-channel.cjs');

const RedisSessions = makeRedisSessionsClass(Sessions, (connection) => redisReach(redisConnection(connection)));
export default RedisSessions;
