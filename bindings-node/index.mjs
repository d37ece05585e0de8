// session-core for Node.js (ES modules): the redis-sessions API over the embedded engine.
import { createRequire } from 'node:module';
import { makeSessionsClass, MapStore, SessionError } from './driver.mjs';

const native = createRequire(import.meta.url)('./native.cjs');

/** Sessions: the embedded memory store by default, or `new Sessions({ store })`. */
export const Sessions = makeSessionsClass(native);
export { MapStore, SessionError };
export default Sessions;
