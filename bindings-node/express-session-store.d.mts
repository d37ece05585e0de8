// Types of session-core/express-session-store (ES modules).
import { SessionCoreStore as DriverStore } from 'session-core-driver/express-session-store';
import type { SessionCoreStoreOptions } from 'session-core-driver/express-session-store';
import type { Sessions } from './index.mjs';

export type { SessionCoreStoreOptions, StoredSession } from 'session-core-driver/express-session-store';
/** A Store for express-session: `session({ secret, store: new SessionCoreStore() })`. */
export declare class SessionCoreStore extends DriverStore {
  constructor(options?: SessionCoreStoreOptions);
  /** The Sessions this store keeps its sessions in: session-core's, an EventEmitter of node:events. */
  readonly sessions: Sessions;
}
export default SessionCoreStore;
