// `session-core/jwt-redis-session`: its default export stands in for
// `require('jwt-redis-session')`, the JWT session middleware, over this package's Sessions
// (`client`: a Redis URL, or any Sessions).
import { makeJwtRedisSession } from 'session-core-driver/jwt-redis-session';
import { Sessions } from './index.mjs';

const JWTRedisSession = makeJwtRedisSession({ Sessions, redis: true });
export default JWTRedisSession;
