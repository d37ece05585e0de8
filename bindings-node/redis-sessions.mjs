// `session-core/redis-sessions`: its default export stands in for `require('redis-sessions')`.
// Same constructor options (host, port, namespace, wipe, options.url...) and the same methods,
// over session-core's Redis store. The constructor connects nowhere and never throws: the
// first call connects.
import { createRequire } from 'node:module';
import { makeRedisSessionsClass } from 'session-core-driver';
import { Sessions } from './index.mjs';

const { redisConnection } = createRequire(import.meta.url)('./backend.cjs');

const RedisSessions = makeRedisSessionsClass(Sessions, (connection) => ({ redis: redisConnection(connection) }));
export default RedisSessions;
