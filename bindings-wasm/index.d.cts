// Types of session-core-wasm (CommonJS: index.cjs). Needs TypeScript 5.3+ (resolution-mode).
import type * as D from 'session-core-driver' with { 'resolution-mode': 'import' };
import type * as DO from './durable-object-store.js' with { 'resolution-mode': 'import' };
import type * as W from './index.js' with { 'resolution-mode': 'import' };

/** What `require('session-core-wasm')` returns. */
declare const sessionCoreWasm: {
  /**
   * Sessions: the embedded memory store by default, or `new Sessions({ store })` for a store
   * written in JavaScript.
   */
  Sessions: D.SessionsConstructor;
  MapStore: typeof D.MapStore;
  SessionError: typeof D.SessionError;
  DurableObjectStore: typeof DO.DurableObjectStore;
  /** The module is loaded by `require()`: resolves at once. */
  init: typeof W.init;
  /** The module is loaded by `require()`: does nothing. */
  initSync: typeof W.initSync;
  /** The same as `Sessions`. */
  default: D.SessionsConstructor;
};

declare namespace sessionCoreWasm {
  type Sessions = D.Sessions;
  type MapStore = D.MapStore;
  type SessionError = D.SessionError;
  type DurableObjectStore = DO.DurableObjectStore;
  type DurableObjectStorageLike = DO.DurableObjectStorageLike;
  type InitInput = W.InitInput;
  type WasmModule = W.WasmModule;
  type WasmResponse = W.WasmResponse;
  type ApplyResult = D.ApplyResult;
  type CreateOptions = D.CreateOptions;
  type DataValue = D.DataValue;
  type DeltaOptions = D.DeltaOptions;
  type DestroyReason = D.DestroyReason;
  type ErrorName = D.ErrorName;
  type Expect = D.Expect;
  type IdOptions = D.IdOptions;
  type KillOptions = D.KillOptions;
  type ListedSession = D.ListedSession;
  type Session = D.Session;
  type SessionData = D.SessionData;
  type SessionEvent = D.SessionEvent;
  type SessionsOptions = D.SessionsOptions;
  type SetOptions = D.SetOptions;
  type SetTtlOptions = D.SetTtlOptions;
  type Store = D.Store;
  type StoreCommand = D.StoreCommand;
  type StoreReply = D.StoreReply;
  type SweepOptions = D.SweepOptions;
  type TokenOptions = D.TokenOptions;
}
export = sessionCoreWasm;
