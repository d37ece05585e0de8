// Types of session-core/users-session-manager (ES modules).
import type { EventEmitter } from 'node:events';
import type { SessionManager as DriverSessionManager, SessionManagerConstructor } from 'session-core-driver';

export type { SessionDetails, SessionManagerOptions } from 'session-core-driver';

/** users-session-manager's singleton: its methods, and an EventEmitter of node:events. */
export type SessionManager = DriverSessionManager & EventEmitter;
/** users-session-manager's singleton class, over SessionsSync. */
export declare const SessionManager: SessionManagerConstructor<SessionManager>;
export default SessionManager;
