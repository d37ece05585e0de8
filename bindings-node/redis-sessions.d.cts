// Types of session-core/redis-sessions (CommonJS): `const RedisSessions = require(...)`.
// Needs TypeScript 5.3+ (resolution-mode).
import type { EventEmitter } from 'node:events';
import type * as D from 'session-core-driver' with { 'resolution-mode': 'import' };

/** An instance: redis-sessions' methods, and an EventEmitter of node:events. */
type NodeInstance = D.RedisSessionsInstance & EventEmitter;

declare const RedisSessions: D.RedisSessionsConstructor<NodeInstance> & { default: D.RedisSessionsConstructor<NodeInstance> };

declare namespace RedisSessions {
  type RedisSessionsInstance = NodeInstance;
  type RedisSessionsOptions = D.RedisSessionsOptions;
  type Session = D.Session;
  type SessionEvent = D.SessionEvent;
}
export = RedisSessions;
