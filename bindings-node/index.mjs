// session-core for Node.js (ES modules): the redis-sessions API over the embedded engine.
import { EventEmitter } from 'node:events';
import { createRequire } from 'node:module';
import { makeSessionsClass, makeSessionsSyncClass, MapStore, SessionError } from 'session-core-driver';

const backend = createRequire(import.meta.url)('./backend.cjs');

/**
 * Sessions: the embedded memory store by default, `new Sessions({ redis: url })` for Redis,
 * or `new Sessions({ store })` for a store written in JavaScript.
 */
export const Sessions = makeSessionsClass(backend, { EventEmitter });
/**
 * SessionsSync: the same methods returning values instead of Promises, on the embedded
 * memory store (for code that cannot await).
 */
export const SessionsSync = makeSessionsSyncClass(backend, { EventEmitter });
export { MapStore, SessionError };
export default Sessions;
