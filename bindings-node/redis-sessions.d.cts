// Types of session-core/redis-sessions (CommonJS): `const RedisSessions = require(...)`.
// Needs TypeScript 5.3+ (resolution-mode).
import type { RedisSessionsConstructor } from './driver.js' with { 'resolution-mode': 'import' };

declare const RedisSessions: RedisSessionsConstructor & { default: RedisSessionsConstructor };
export = RedisSessions;
