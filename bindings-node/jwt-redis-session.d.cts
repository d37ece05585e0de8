// Types of `require('session-core/jwt-redis-session')`. Needs TypeScript 5.3+ (resolution-mode).
import type * as J from 'session-core-driver/jwt-redis-session' with { 'resolution-mode': 'import' };

declare const JWTRedisSession: J.JWTRedisSessionFactory & { default: J.JWTRedisSessionFactory };
declare namespace JWTRedisSession {
  type JwtRedisSessionOptions = J.JwtRedisSessionOptions;
  type JwtSession = J.JwtSession;
  type JwtSessionCallback<T> = J.JwtSessionCallback<T>;
  type JwtSessionMiddleware = J.JwtSessionMiddleware;
}
export = JWTRedisSession;
