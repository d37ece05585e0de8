// Types of session-core/redis-sessions (ES modules): the stand-in for redis-sessions.
import type { RedisSessionsConstructor } from './driver.js';

export type { RedisSessionsOptions, Session, ListedSession, SessionEvent } from './driver.js';

declare const RedisSessions: RedisSessionsConstructor;
export default RedisSessions;
