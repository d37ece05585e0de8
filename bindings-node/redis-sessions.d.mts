// Types of session-core/redis-sessions (ES modules): the stand-in for redis-sessions.
import type { EventEmitter } from 'node:events';
import type { RedisSessionsConstructor, RedisSessionsInstance as DriverInstance } from 'session-core-driver';

export type { RedisSessionsOptions, Session, SessionEvent } from 'session-core-driver';
/** An instance: redis-sessions' methods, and an EventEmitter of node:events. */
export type RedisSessionsInstance = DriverInstance & EventEmitter;

declare const RedisSessions: RedisSessionsConstructor<RedisSessionsInstance>;
export default RedisSessions;
