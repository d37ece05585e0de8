// Types of session-core-driver for CommonJS (`require('session-core-driver')`): the same as index.d.ts.
// Needs TypeScript 5.3+ (resolution-mode).
import type * as D from './index.js' with { 'resolution-mode': 'import' };

declare const driver: {
  Emitter: typeof D.Emitter;
  SessionError: typeof D.SessionError;
  MapStore: typeof D.MapStore;
  compareMembers: typeof D.compareMembers;
  makeSessionsClass: typeof D.makeSessionsClass;
  makeRedisSessionsClass: typeof D.makeRedisSessionsClass;
  makeSessionsSyncClass: typeof D.makeSessionsSyncClass;
  makeTokenSessionClass: typeof D.makeTokenSessionClass;
  makeSessionManagerClass: typeof D.makeSessionManagerClass;
};

declare namespace driver {
  type Emitter<E extends D.EventMap = D.EventMap> = D.Emitter<E>;
  type EventMap = D.EventMap;
  type MakeSessionsOptions = D.MakeSessionsOptions;
  type SessionsEvents = D.SessionsEvents;
  type SessionError = D.SessionError;
  type MapStore = D.MapStore;
  type Answer = D.Answer;
  type ApplyResult = D.ApplyResult;
  type Backend = D.Backend;
  type CreateOptions = D.CreateOptions;
  type DataValue = D.DataValue;
  type DeltaOptions = D.DeltaOptions;
  type DestroyReason = D.DestroyReason;
  type ErrorName = D.ErrorName;
  type Expect = D.Expect;
  type IdOptions = D.IdOptions;
  type KillOptions = D.KillOptions;
  type ListedSession = D.ListedSession;
  type Listing = D.Listing;
  type PageOptions = D.PageOptions;
  type RedisChannel = D.RedisChannel;
  type RedisChannelListener = D.RedisChannelListener;
  type RedisConnection = D.RedisConnection;
  type RedisOptions = D.RedisOptions;
  type RedisClusterOptions = D.RedisClusterOptions;
  type RedisReach = D.RedisReach;
  type RedisSessionsConstructor<I extends D.RedisSessionsInstance = D.RedisSessionsInstance> = D.RedisSessionsConstructor<I>;
  type RedisSessionsInstance = D.RedisSessionsInstance;
  type RedisSessionsOptions = D.RedisSessionsOptions;
  type RemoteEngine = D.RemoteEngine;
  type Session = D.Session;
  type SessionData = D.SessionData;
  type SessionEvent = D.SessionEvent;
  type Sessions = D.Sessions;
  type SessionsConstructor<S extends D.Sessions = D.Sessions> = D.SessionsConstructor<S>;
  type SessionsOptions = D.SessionsOptions;
  type SessionsSync = D.SessionsSync;
  type SessionManager = D.SessionManager;
  type SessionManagerConstructor<M extends D.SessionManager = D.SessionManager> = D.SessionManagerConstructor<M>;
  type SessionManagerOptions = D.SessionManagerOptions;
  type SessionDetails = D.SessionDetails;
  type SessionsSyncConstructor<S extends D.SessionsSync = D.SessionsSync> = D.SessionsSyncConstructor<S>;
  type SessionsSyncOptions = D.SessionsSyncOptions;
  type SetOptions = D.SetOptions;
  type SetTtlOptions = D.SetTtlOptions;
  type Store = D.Store;
  type StoreCommand = D.StoreCommand;
  type StoreReply = D.StoreReply;
  type SweepOptions = D.SweepOptions;
  type TokenOptions = D.TokenOptions;
  type TokenSession = D.TokenSession;
  type TokenSessionCallback<T> = D.TokenSessionCallback<T>;
  type TokenSessionConstructor = D.TokenSessionConstructor;
  type TokenSessionData = D.TokenSessionData;
  type TokenSessionOptions = D.TokenSessionOptions;
  type TokenSessionResult = D.TokenSessionResult;
}
export = driver;
