// session-core-wasm for browsers and other runtimes with fetch: the .wasm next to this file is
// fetched and compiled at import (top-level await). A bundler must provide node:events.
import { init, Sessions } from './sessions.mjs';

await init({ module_or_path: new URL('./pkg/session_core_wasm_bg.wasm', import.meta.url) });

export { MapStore, SessionError, Sessions } from './sessions.mjs';
export { DurableObjectStore } from './durable-object-store.mjs';
export default Sessions;
