// Types of session-core-wasm: the same API as session-core (every entry point: index.mjs for
// Node and Deno, workerd.mjs for Cloudflare Workers, web.mjs for browsers).
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

/** Sessions: the embedded memory store by default, or `new Sessions({ store })`. */
export declare const Sessions: SessionsConstructor;
export type Sessions = SessionsInstance;
export default Sessions;
