// Types of session-core-driver/express for CommonJS. Needs TypeScript 5.3+ (resolution-mode).
import type * as E from './express.js' with { 'resolution-mode': 'import' };

declare const express: { makeExpress: typeof E.makeExpress };
declare namespace express {
  type ActiveSession = E.ActiveSession;
  type ExpressRequest = E.ExpressRequest;
  type ExpressSessionOptions = E.ExpressSessionOptions;
  type ExpressSessions = E.ExpressSessions;
  type MiddlewareBinding = E.MiddlewareBinding;
  type RequestSession = E.RequestSession;
  type SessionCookieOptions = E.SessionCookieOptions;
  type SessionMiddleware = E.SessionMiddleware;
  type SessionRequest = E.SessionRequest;
}
export = express;
