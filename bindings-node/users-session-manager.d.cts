// Types of `require('session-core/users-session-manager')`. Needs TypeScript 5.3+ (resolution-mode).
import type * as D from 'session-core-driver' with { 'resolution-mode': 'import' };

declare const SessionManager: D.SessionManagerConstructor & {
  SessionManager: D.SessionManagerConstructor;
  default: D.SessionManagerConstructor;
};
declare namespace SessionManager {
  type SessionDetails = D.SessionDetails;
  type SessionManagerOptions = D.SessionManagerOptions;
}
export = SessionManager;
