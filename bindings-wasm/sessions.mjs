// What every entry point of session-core-wasm exports, once the module is initialised: the
// same API as the Node package (session-core), built by the same driver on the wasm backend.
import * as glue from './pkg/session_core_wasm.js';
import { wasmBackend } from './backend.mjs';
import { makeSessionsClass, MapStore, SessionError } from 'session-core-driver';

/** Sessions: the embedded memory store by default, or `new Sessions({ store })`. */
export const Sessions = makeSessionsClass(wasmBackend(glue));
export { MapStore, SessionError };

/** The wasm-bindgen glue's synchronous initialiser (`initSync({ module })`). */
export const initSync = glue.initSync;
/** The glue's asynchronous initialiser (fetches the .wasm next to the glue by default). */
export const init = glue.default;
