// session-core-wasm for Node.js and Deno: the .wasm is read from the package folder and
// compiled synchronously at import.
import { readFileSync } from 'node:fs';
import { initSync, Sessions } from './sessions.mjs';

initSync({ module: readFileSync(new URL('./pkg/session_core_wasm_bg.wasm', import.meta.url)) });

export { MapStore, SessionError, Sessions } from './sessions.mjs';
export { DurableObjectStore } from './durable-object-store.mjs';
export default Sessions;
