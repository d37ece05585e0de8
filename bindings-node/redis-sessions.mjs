// `session-core/redis-sessions`: its default export stands in for `require('redis-sessions')`.
// Same constructor options (host, port, namespace, wipe, options.url) and the same methods.
// Until session-core's Redis store lands, calls that need Redis reject with a `storeError`
// ("Redis store not built yet"); the constructor itself connects nowhere and never throws.
import { makeRedisSessionsClass } from './driver.mjs';
import { Sessions } from './index.mjs';

const RedisSessions = makeRedisSessionsClass(Sessions);
export default RedisSessions;
