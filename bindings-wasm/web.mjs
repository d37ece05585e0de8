// session-core-wasm for browsers and every runtime with fetch and WebAssembly (Deno, Bun,
// bundles for the web): nothing is loaded at import. `await init()` loads the .wasm first:
// with no argument it fetches the .wasm next to this file (served as is, or by a bundler that
// follows `new URL(..., import.meta.url)`, as webpack and Vite do); or give it the .wasm
// yourself, as your bundler hands it over (`session-core-wasm/session_core_wasm_bg.wasm`): a
// URL, a Response, the bytes or a WebAssembly.Module. No node: module is imported, here or
// by the driver: Sessions extends the driver's own Emitter.
import { Sessions } from './sessions.mjs';

export { init, initSync, MapStore, SessionError, Sessions } from './sessions.mjs';
export { DurableObjectStore } from './durable-object-store.mjs';
export default Sessions;
