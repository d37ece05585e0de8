// Types of session-core (ES modules: index.mjs).
import type { Sessions as SessionsInstance, SessionsConstructor } from './driver.js';

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
} from './driver.js';
export { MapStore, SessionError } from './driver.js';

/** Sessions: the embedded memory store by default, or `new Sessions({ store })`. */
export declare const Sessions: SessionsConstructor;
export type Sessions = SessionsInstance;
export default Sessions;
