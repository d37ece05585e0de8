// Types of `require('session-core/express-session-store')`. Needs TypeScript 5.3+.
import type * as S from 'session-core-driver/express-session-store' with { 'resolution-mode': 'import' };

declare const store: {
  SessionCoreStore: typeof S.SessionCoreStore;
  /** The same as `SessionCoreStore`. */
  default: typeof S.SessionCoreStore;
};
declare namespace store {
  type SessionCoreStore = S.SessionCoreStore;
  type SessionCoreStoreOptions = S.SessionCoreStoreOptions;
  type StoredSession = S.StoredSession;
}
export = store;
