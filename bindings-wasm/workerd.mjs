// session-core-wasm for Cloudflare Workers (workerd): the .wasm is imported as a compiled
// module (wrangler's and miniflare's default rule for *.wasm) and instantiated at import, so
// nothing is fetched or compiled at run time and `init()` has nothing left to do. No node:
// module is imported (no `nodejs_compat` needed): Sessions extends the driver's own Emitter.
import wasmModule from './pkg/session_core_wasm_bg.wasm';
import { initSync, Sessions } from './sessions.mjs';

initSync(wasmModule);

export { init, initSync, MapStore, SessionError, Sessions } from './sessions.mjs';
export { DurableObjectStore } from './durable-object-store.mjs';
export default Sessions;
