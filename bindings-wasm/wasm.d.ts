// Types of `session-core-wasm/session_core_wasm_bg.wasm`, the module's .wasm file. What an
// import of it gives depends on who loads it: a URL with esbuild's `file` loader (or Vite's
// `?url`), a WebAssembly.Module in workerd (wrangler's `CompiledWasm` rule), the bytes with a
// `binary` loader. Each is something `init()` takes.
import type { InitInput } from './index.js';

declare const wasm: InitInput;
export default wasm;
