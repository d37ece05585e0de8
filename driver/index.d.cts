// Types of session-core-driver for CommonJS (`require('session-core-driver')`): the same as index.d.ts.
// Needs TypeScript 5.3+ (resolution-mode).
import type * as D from './index.js' with { 'resolution-mode': 'import' };

declare const driver: {
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
  type RedisConnection = D.RedisConnection;
  type RedisOptions = D.RedisOptions;
  type RedisSessionsConstructor = D.RedisSessionsConstructor;
  type RedisSessionsOptions = D.RedisSessionsOptions;
  type RemoteEngine = D.RemoteEngine;
  type Session = D.Session;
  type SessionData = D.SessionData;
  type SessionEvent = D.SessionEvent;
  type Sessions = D.Sessions;
  type SessionsConstructor = D.SessionsConstructor;
  type SessionsOptions = D.SessionsOptions;
  type SessionsSync = D.SessionsSync;
  type SessionManager = D.SessionManager;
  type SessionManagerConstructor = D.SessionManagerConstructor;
  type SessionManagerOptions = D.SessionManagerOptions;
  type SessionDetails = D.SessionDetails;
  type SessionsSyncConstructor = D.SessionsSyncConstructor;
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
