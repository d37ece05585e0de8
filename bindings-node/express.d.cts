// Types of `require('session-core/express')`. Needs TypeScript 5.3+ (resolution-mode).
import type * as E from 'session-core-driver/express' with { 'resolution-mode': 'import' };

declare const express: {
  session: E.ExpressSessions['session'];
  injectSession: E.ExpressSessions['injectSession'];
  authenticateRequest: E.ExpressSessions['authenticateRequest'];
};
declare namespace express {
  type ActiveSession = E.ActiveSession;
  type ExpressRequest = E.ExpressRequest;
  type ExpressSessionOptions = E.ExpressSessionOptions;
  type RequestSession = E.RequestSession;
  type SessionCookieOptions = E.SessionCookieOptions;
  type SessionMiddleware = E.SessionMiddleware;
  type SessionRequest = E.SessionRequest;
}
export = express;
