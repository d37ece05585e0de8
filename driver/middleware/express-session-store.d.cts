// Types of session-core-driver/express-session-store for CommonJS. Needs TypeScript 5.3+.
import type * as S from './express-session-store.js' with { 'resolution-mode': 'import' };

declare const store: { makeExpressSessionStore: typeof S.makeExpressSessionStore };
declare namespace store {
  type MiddlewareBinding = S.MiddlewareBinding;
  type SessionCoreStoreOptions = S.SessionCoreStoreOptions;
  type StoredSession = S.StoredSession;
}
export = store;
