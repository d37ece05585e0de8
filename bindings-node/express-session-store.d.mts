// Types of session-core/express-session-store (ES modules).
import { SessionCoreStore } from 'session-core-driver/express-session-store';

export type { SessionCoreStoreOptions, StoredSession } from 'session-core-driver/express-session-store';
/** A Store for express-session: `session({ secret, store: new SessionCoreStore() })`. */
export { SessionCoreStore };
export default SessionCoreStore;
