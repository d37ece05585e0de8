// Types of session-core/redis-sessions (ES modules): the stand-in for redis-sessions.
import type { RedisSessionsConstructor } from 'session-core-driver';

export type { RedisSessionsInstance, RedisSessionsOptions, Session, SessionEvent } from 'session-core-driver';

declare const RedisSessions: RedisSessionsConstructor;
export default RedisSessions;
