// Types of session-core/jwt-redis-session (ES modules): the stand-in for jwt-redis-session.
import type { JWTRedisSessionFactory } from 'session-core-driver/jwt-redis-session';

export type { JwtRedisSessionOptions, JwtSession, JwtSessionCallback, JwtSessionMiddleware } from 'session-core-driver/jwt-redis-session';

declare const JWTRedisSession: JWTRedisSessionFactory;
export default JWTRedisSession;
