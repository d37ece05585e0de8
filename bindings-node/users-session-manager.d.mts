// Types of session-core/users-session-manager (ES modules).
import type { SessionManagerConstructor } from 'session-core-driver';

export type { SessionDetails, SessionManagerOptions } from 'session-core-driver';

/** users-session-manager's singleton class, over SessionsSync. */
export declare const SessionManager: SessionManagerConstructor;
export type SessionManager = import('session-core-driver').SessionManager;
export default SessionManager;
