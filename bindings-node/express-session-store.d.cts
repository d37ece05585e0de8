// Types of `require('session-core/express-session-store')`. Needs TypeScript 5.3+.
import type * as S from 'session-core-driver/express-session-store' with { 'resolution-mode': 'import' };
import type sessionCore = require('./index.cjs');

/** The driver's store, on session-core's Sessions (an EventEmitter of node:events). */
interface NodeSessionCoreStore extends S.SessionCoreStore {
  /** The Sessions this store keeps its sessions in. */
  readonly sessions: sessionCore.Sessions;
}

declare const store: {
  /** A Store for express-session: `session({ secret, store: new SessionCoreStore() })`. */
  SessionCoreStore: new (options?: S.SessionCoreStoreOptions) => NodeSessionCoreStore;
  /** The same as `SessionCoreStore`. */
  default: new (options?: S.SessionCoreStoreOptions) => NodeSessionCoreStore;
};
declare namespace store {
  type SessionCoreStore = NodeSessionCoreStore;
  type SessionCoreStoreOptions = S.SessionCoreStoreOptions;
  type StoredSession = S.StoredSession;
}
export = store;
