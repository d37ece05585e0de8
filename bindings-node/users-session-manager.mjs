// `session-core/users-session-manager`: stands in for `users-session-manager`. Its
// `SessionManager` (a singleton) over this package's SessionsSync, the embedded store.
import { EventEmitter } from 'node:events';
import { makeSessionManagerClass } from 'session-core-driver';
import { SessionsSync } from './index.mjs';

export const SessionManager = makeSessionManagerClass(SessionsSync, { EventEmitter });
export default SessionManager;
