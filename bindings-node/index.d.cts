// Types of session-core (CommonJS: index.cjs). Written by hand (see index.d.mts). Needs
// TypeScript 5.3+ (resolution-mode).
import type { EventEmitter } from 'node:events';
import type * as D from 'session-core-driver' with { 'resolution-mode': 'import' };

/** A Sessions is an EventEmitter of node:events ('created', 'destroyed', 'expired', 'error'). */
type NodeSessions = D.Sessions & EventEmitter;
/** A SessionsSync is one too, with the same events. */
type NodeSessionsSync = D.SessionsSync & EventEmitter;

/** What `require('session-core')` returns. */
declare const sessionCore: {
  /**
   * Sessions: the embedded memory store by default, `new Sessions({ redis: url })` for Redis,
   * or `new Sessions({ store })` for a store written in JavaScript.
   */
  Sessions: D.SessionsConstructor<NodeSessions>;
  /** The methods of Sessions returning values instead of Promises, on the embedded memory store. */
  SessionsSync: D.SessionsSyncConstructor<NodeSessionsSync>;
  MapStore: typeof D.MapStore;
  SessionError: typeof D.SessionError;
  /** The same as `Sessions`. */
  default: D.SessionsConstructor<NodeSessions>;
};

declare namespace sessionCore {
  type Sessions = NodeSessions;
  type SessionsSync = NodeSessionsSync;
  type SessionsSyncOptions = D.SessionsSyncOptions;
  type MapStore = D.MapStore;
  type SessionError = D.SessionError;
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
  type RedisOptions = D.RedisOptions;
  type RedisClusterOptions = D.RedisClusterOptions;
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
export = sessionCore;
