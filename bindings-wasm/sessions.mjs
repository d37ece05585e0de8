// What the ES entry points of session-core-wasm share: the wasm-bindgen glue with the panic
// guard (backend.mjs), the Sessions class the driver builds on it, and the two initialisers
// of the module, `init(source?)` and `initSync(source)`. Each entry point loads the .wasm its
// own way: index.mjs (Node) reads it from disk, workerd.mjs imports it as a compiled module,
// and web.mjs leaves it to the app (`await init(...)`), so that any bundler or runtime can
// hand it over: a WebAssembly.Module, the bytes, a Response, or a URL. Until it is loaded,
// `new Sessions()` throws an error that says so. Nothing here imports a node: module.
import * as glue from './pkg/session_core_wasm.js';
import { wasmBackend } from './backend.mjs';
import { makeSessionsClass, MapStore, SessionError } from 'session-core-driver';

/** Where the .wasm is when the package is served as files (its `init()` with no argument).
 *  Computed on demand: some runtimes (workerd) have no `import.meta.url`. */
const defaultUrl = () => new URL('./pkg/session_core_wasm_bg.wasm', import.meta.url);

let ready = false;
/** The load in progress (or done), so that concurrent init() calls share one. */
let loading = null;

function notReady() {
  const err = new Error(
    'session-core-wasm is not initialised: `await init()` (or call `initSync(module)`) before `new Sessions()`. ' +
      'init() loads the .wasm: from next to the package with no argument, or from the WebAssembly.Module, bytes, Response or URL you give it.',
  );
  err.code = 'ERR_SESSION_CORE_WASM_NOT_INITIALISED';
  return err;
}

/** The native engine (the wasm module's classes, guarded), for the Worker's modules too. */
export const backend = wasmBackend(glue, () => ready, notReady);

/** Sessions: the embedded memory store by default, or `new Sessions({ store })`. */
export const Sessions = makeSessionsClass(backend);
export { MapStore, SessionError };

function describe(value) {
  if (value === null) return 'null';
  if (typeof value !== 'object' && typeof value !== 'function') return `${typeof value} ${String(value)}`;
  return value.constructor?.name ?? 'an object';
}

const isModule = (v) => v instanceof WebAssembly.Module;
const isBytes = (v) => v instanceof ArrayBuffer || ArrayBuffer.isView(v);
const isUrl = (v) => typeof v === 'string' || v instanceof URL || (typeof Request === 'function' && v instanceof Request);
const isResponse = (v) => typeof Response === 'function' && v instanceof Response;

/** The module, its bytes, or a checked Response, from what `init()` was given. */
async function resolveSource(given) {
  let source = await given;
  if (source === undefined) source = defaultUrl();
  if (isUrl(source)) {
    const url = typeof source === 'string' ? source : (source.href ?? source.url);
    try {
      source = await fetch(source);
    } catch (e) {
      throw new Error(`session-core-wasm: could not fetch the .wasm from ${url}: ${e?.message ?? e}`, { cause: e });
    }
  }
  if (isResponse(source)) {
    if (!source.ok) {
      throw new Error(`session-core-wasm: fetching the .wasm from ${source.url || 'its URL'} answered ${source.status} ${source.statusText}`.trimEnd());
    }
    return source;
  }
  if (isModule(source) || isBytes(source)) return source;
  throw new TypeError(
    'init() takes the .wasm as a WebAssembly.Module, its bytes (an ArrayBuffer or a typed array), a Response, ' +
      `or its URL (a string or a URL), or nothing (the .wasm next to the package); got ${describe(source)}`,
  );
}

async function load(given) {
  const source = await resolveSource(given);
  try {
    await glue.default({ module_or_path: source });
  } catch (e) {
    throw new Error(`session-core-wasm: the .wasm did not load: ${e?.message ?? e}`, { cause: e });
  }
  ready = true;
}

/**
 * Loads the module (once: later calls resolve when the first load is done; after a failed
 * load, the next call tries again). `source`: a WebAssembly.Module, the .wasm's bytes, a
 * Response, a URL (string or URL, fetched), a Promise of one of these, or nothing (the .wasm
 * next to this package, fetched).
 */
export function init(source) {
  if (ready) return Promise.resolve();
  if (loading === null) {
    loading = load(source).catch((e) => {
      loading = null;
      throw e;
    });
  }
  return loading;
}

/** Loads the module synchronously from a WebAssembly.Module or the .wasm's bytes. */
export function initSync(source) {
  if (ready) return;
  if (!isModule(source) && !isBytes(source)) {
    throw new TypeError(`initSync() takes the .wasm as a WebAssembly.Module or its bytes (an ArrayBuffer or a typed array); got ${describe(source)}`);
  }
  try {
    glue.initSync({ module: source });
  } catch (e) {
    throw new Error(`session-core-wasm: the .wasm did not load: ${e?.message ?? e}`, { cause: e });
  }
  ready = true;
}
