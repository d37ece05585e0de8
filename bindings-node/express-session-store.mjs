// `session-core/express-session-store`: a Store for express-session over this package's engine
// (the embedded store by default, `{ redis: url }`, or any `sessions` you give). Existing
// express-session apps change only their `store:` line. See the README.
import { makeExpressSessionStore } from 'session-core-driver/express-session-store';
import { Sessions } from './index.mjs';

/** `session({ secret, store: new SessionCoreStore() })`. */
export const SessionCoreStore = makeExpressSessionStore({ Sessions, redis: true }).SessionCoreStore;
export default SessionCoreStore;
