// Types of session-core-driver/express: the Express middleware over a binding.
import type { IncomingMessage, ServerResponse } from 'node:http';
// @ts-ignore: Express's types (@types/express) are optional here; without them, ExpressRequest is Node's IncomingMessage.
import type { Request as ExpressTypesRequest } from 'express';
import type { MiddlewareBinding, MiddlewareOptions, RequestSession } from './session.js';

export type { ActiveSession, MiddlewareBinding, MiddlewareOptions, RequestSession, SessionCookieOptions } from './session.js';

/**
 * The request the options' functions (`ip`, `onError`, `sessions`) get: Express's `Request`
 * when Express's types (@types/express) are installed, so that `ip: (req) => req.ip`
 * compiles; Node's `IncomingMessage` otherwise.
 */
export type ExpressRequest = 0 extends 1 & ExpressTypesRequest ? IncomingMessage : ExpressTypesRequest;

/** The options of `session()` and `injectSession()`. */
export type ExpressSessionOptions = MiddlewareOptions<ExpressRequest>;

/** A Connect-style middleware (Express accepts it as a RequestHandler). */
export type SessionMiddleware = (req: IncomingMessage, res: ServerResponse, next: (err?: any) => void) => void;

/**
 * A request after the middleware. To have Express's `req.session` typed in every handler,
 * import the opt-in declaration once: `import type {} from 'session-core/express-request'`.
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
