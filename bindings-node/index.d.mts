// Types of session-core (ES modules: index.mjs). Written by hand: no build step writes this
// file (`napi build` writes its generated declarations of the addon to native.d.ts, or to
// index.d.ts when run without `--dts`; neither is a file of the package's `exports`), and
// tests/docs/types.test.mjs type-checks a consumer of every export against it.
import type { EventEmitter } from 'node:events';
import type { Sessions as SessionsInstance, SessionsConstructor, SessionsSync as SessionsSyncInstance, SessionsSyncConstructor } from 'session-core-driver';

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
  RedisOptions,
  RedisClusterOptions,
  Session,
  SessionData,
  SessionEvent,
  SessionsOptions,
  SessionsSyncOptions,
  SetOptions,
  SetTtlOptions,
  Store,
  StoreCommand,
  StoreReply,
  SweepOptions,
  TokenOptions,
} from 'session-core-driver';
export { MapStore, SessionError } from 'session-core-driver';

/**
 * Sessions: the embedded memory store by default, `new Sessions({ redis: url })` for Redis,
 * or `new Sessions({ store })` for a store written in JavaScript.
 */
export declare const Sessions: SessionsConstructor<Sessions>;
/** A Sessions is an EventEmitter of node:events ('created', 'destroyed', 'expired', 'error'). */
export type Sessions = SessionsInstance & EventEmitter;
/**
 * SessionsSync: the methods of Sessions returning values instead of Promises, on the
 * embedded memory store. An EventEmitter of node:events, with the events of Sessions.
 */
export declare const SessionsSync: SessionsSyncConstructor<SessionsSync>;
export type SessionsSync = SessionsSyncInstance & EventEmitter;
export default Sessions;
