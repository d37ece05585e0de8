// session-core-wasm for Node.js and Deno: the .wasm is read from the package folder and
// compiled synchronously at import, so `init()` has nothing left to do. As in session-core,
// Sessions is an EventEmitter of node:events.
import { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import { makeSessionsClass } from 'session-core-driver';
import { backend, initSync } from './sessions.mjs';

initSync(readFileSync(new URL('./pkg/session_core_wasm_bg.wasm', import.meta.url)));

/** Sessions: the embedded memory store by default, or `new Sessions({ store })`. */
export const Sessions = makeSessionsClass(backend, { EventEmitter });
export { init, initSync, MapStore, SessionError } from './sessions.mjs';
export { DurableObjectStore } from './durable-object-store.mjs';
export default Sessions;
