// Types of session-core/redis-sessions (CommonJS): `const RedisSessions = require(...)`.
// Needs TypeScript 5.3+ (resolution-mode).
import type * as D from 'session-core-driver' with { 'resolution-mode': 'import' };

declare const RedisSessions: D.RedisSessionsConstructor & { default: D.RedisSessionsConstructor };

declare namespace RedisSessions {
  type RedisSessionsInstance = D.RedisSessionsInstance;
  type RedisSessionsOptions = D.RedisSessionsOptions;
  type Session = D.Session;
  type SessionEvent = D.SessionEvent;
}
export = RedisSessions;
