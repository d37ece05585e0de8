// Types of `require('session-core/users-session-manager')`. Needs TypeScript 5.3+ (resolution-mode).
import type { EventEmitter } from 'node:events';
import type * as D from 'session-core-driver' with { 'resolution-mode': 'import' };

/** users-session-manager's singleton: its methods, and an EventEmitter of node:events. */
type NodeSessionManager = D.SessionManager & EventEmitter;

declare const SessionManager: D.SessionManagerConstructor<NodeSessionManager> & {
  SessionManager: D.SessionManagerConstructor<NodeSessionManager>;
  default: D.SessionManagerConstructor<NodeSessionManager>;
};
declare namespace SessionManager {
  type SessionManager = NodeSessionManager;
  type SessionDetails = D.SessionDetails;
  type SessionManagerOptions = D.SessionManagerOptions;
}
export = SessionManager;
