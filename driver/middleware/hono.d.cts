// Types of session-core-driver/hono for CommonJS. Needs TypeScript 5.3+ (resolution-mode).
import type * as H from './hono.js' with { 'resolution-mode': 'import' };

declare const hono: { makeHono: typeof H.makeHono };
declare namespace hono {
  type ActiveSession = H.ActiveSession;
  type HonoSessionOptions = H.HonoSessionOptions;
  type HonoSessions = H.HonoSessions;
  type MiddlewareBinding = H.MiddlewareBinding;
  type RequestSession = H.RequestSession;
  type SessionCookieOptions = H.SessionCookieOptions;
  type SessionEnv = H.SessionEnv;
}
export = hono;
