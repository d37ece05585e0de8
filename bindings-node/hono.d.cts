// Types of `require('session-core/hono')`. Needs TypeScript 5.3+ (resolution-mode).
import type * as H from 'session-core-driver/hono' with { 'resolution-mode': 'import' };

declare const hono: {
  session: H.HonoSessions['session'];
  authenticateRequest: H.HonoSessions['authenticateRequest'];
};
declare namespace hono {
  type ActiveSession = H.ActiveSession;
  type HonoSessionOptions = H.HonoSessionOptions;
  type RequestSession = H.RequestSession;
  type SessionCookieOptions = H.SessionCookieOptions;
  type SessionEnv = H.SessionEnv;
}
export = hono;
