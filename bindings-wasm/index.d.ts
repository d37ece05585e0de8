// Types of session-core-wasm: the same API as session-core (every entry point: index.mjs for
// Node and Deno, workerd.mjs for Cloudflare Workers, web.mjs for browsers). No node: module is
// imported and no Node type is needed: these types hold under Workers' or the DOM's alone.
import type { Sessions as SessionsInstance, SessionsConstructor } from 'session-core-driver';

export type {
  ApplyResult,
  CreateOptions,
  DataValue,
  DeltaOptions,
  DestroyReason,
  ErrorName,
  Expect,
  IdOptions,
  KillOptions,
  ListedSession,
  Session,
  SessionData,
  SessionEvent,
  SessionsOptions,
  SetOptions,
  SetTtlOptions,
  Store,
  StoreCommand,
  StoreReply,
  SweepOptions,
  TokenOptions,
} from 'session-core-driver';
export { MapStore, SessionError } from 'session-core-driver';
export { DurableObjectStore } from './durable-object-store.js';
export type { DurableObjectStorageLike } from './durable-object-store.js';

/**
 * Sessions: the embedded memory store by default, or `new Sessions({ store })`. On the web
 * entry, constructing one before `init()` throws an Error with code
 * `ERR_SESSION_CORE_WASM_NOT_INITIALISED`.
 */
export declare const Sessions: SessionsConstructor;
export type Sessions = SessionsInstance;
export default Sessions;

/**
 * A WebAssembly.Module: the runtime's own type where its declarations have one (DOM, Workers,
 * Deno), any object elsewhere (Node's types declare no WebAssembly).
 */
export type WasmModule = typeof globalThis extends { WebAssembly: { Module: abstract new (...args: any[]) => infer M } } ? M : object;

/** The part of a fetch Response that init() reads. */
export interface WasmResponse {
  readonly ok: boolean;
  readonly status: number;
  readonly url: string;
  arrayBuffer(): Promise<ArrayBuffer>;
}

/**
 * The .wasm, as `init()` takes it: its URL (fetched), a Response of it, its bytes, or the
 * compiled module.
 */
export type InitInput = string | { readonly href: string } | WasmResponse | ArrayBuffer | ArrayBufferView | WasmModule;

/**
 * Loads the module. `web.mjs` (browsers, Deno, bundles) loads nothing at import: call this
 * first, with no argument (the .wasm next to the package, fetched) or with the .wasm as your
 * runtime or bundler hands it over (`session-core-wasm/session_core_wasm_bg.wasm`). The
 * first call loads; later calls resolve when it is done (after a failure, the next call tries
 * again). In Node and in Workers (`index.mjs`, `index.cjs`, `workerd.mjs`) the module is loaded
 * at import, and this resolves at once.
 * @throws TypeError for a `source` of another kind; Error when the .wasm cannot be fetched
 *   (with the URL and the status) or does not instantiate.
 */
export declare function init(source?: InitInput | Promise<InitInput>): Promise<void>;

/**
 * Loads the module synchronously from the compiled module or its bytes (browsers refuse to
 * compile more than 4 KB on the main thread: give them a WebAssembly.Module, or use `init`).
 * Does nothing once the module is loaded.
 */
export declare function initSync(source: ArrayBuffer | ArrayBufferView | WasmModule): void;
