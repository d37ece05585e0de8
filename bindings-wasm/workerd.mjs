// session-core-wasm for Cloudflare Workers (workerd): the .wasm is imported as a compiled
// module (wrangler's and miniflare's default rule for *.wasm), so nothing is fetched or
// compiled at run time. Needs the `nodejs_compat` flag (the driver imports node:events).
import wasmModule from './pkg/session_core_wasm_bg.wasm';
import { initSync, Sessions } from './sessions.mjs';

initSync({ module: wasmModule });

export { MapStore, SessionError, Sessions } from './sessions.mjs';
export { DurableObjectStore } from './durable-object-store.mjs';
export default Sessions;
