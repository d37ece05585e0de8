// Types of session-core-driver/express: the Express middleware over a binding.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { MiddlewareBinding, MiddlewareOptions, RequestSession } from './session.js';

export type { ActiveSession, MiddlewareBinding, MiddlewareOptions, RequestSession, SessionCookieOptions } from './session.js';

/** The options of `session()` and `injectSession()`. */
export type ExpressSessionOptions = MiddlewareOptions<IncomingMessage>;

/** A Connect-style middleware (Express accepts it as a RequestHandler). */
export type SessionMiddleware = (req: IncomingMessage, res: ServerResponse, next: (err?: any) => void) => void;

/**
 * A request after the middleware. To have Express's `req.session` typed everywhere, add to
 * your app: `declare global { namespace Express { interface Request { session: RequestSession } } }`.
 */
export interface SessionRequest extends IncomingMessage {
  session: RequestSession;
}

export interface ExpressSessions {
  session(options?: ExpressSessionOptions): SessionMiddleware;
  injectSession(req: IncomingMessage, res: ServerResponse, options?: ExpressSessionOptions): Promise<RequestSession>;
  authenticateRequest: SessionMiddleware;
}

export declare function makeExpress(binding: MiddlewareBinding): ExpressSessions;
