// Types of session-core-driver/jwt-redis-session for CommonJS. Needs TypeScript 5.3+ (resolution-mode).
import type * as J from './jwt-redis-session.js' with { 'resolution-mode': 'import' };

declare const jwtRedisSession: { makeJwtRedisSession: typeof J.makeJwtRedisSession };
declare namespace jwtRedisSession {
  type JWTRedisSessionFactory = J.JWTRedisSessionFactory;
  type JwtRedisSessionOptions = J.JwtRedisSessionOptions;
  type JwtSession = J.JwtSession;
  type JwtSessionCallback<T> = J.JwtSessionCallback<T>;
  type JwtSessionMiddleware = J.JwtSessionMiddleware;
}
export = jwtRedisSession;
