// Types of session-core-driver/hono: the Hono middleware over a binding. `c.get('session')` is
// typed in every handler (the ContextVariableMap augmentation below).
import type { Context, MiddlewareHandler } from 'hono';
import type { MiddlewareBinding, MiddlewareOptions, RequestSession } from './session.js';

export type { ActiveSession, MiddlewareBinding, RequestSession, SessionCookieOptions } from './session.js';

/** The middleware's options; `sessions` and `ip` get the request's Context (`c.env` has a Worker's bindings). */
export type HonoSessionOptions = MiddlewareOptions<Context>;

/** The Env of a Hono app with the middleware. */
export interface SessionEnv {
  Variables: { session: RequestSession };
}

export interface HonoSessions {
  session(options?: HonoSessionOptions): MiddlewareHandler<SessionEnv>;
  authenticateRequest: MiddlewareHandler<SessionEnv>;
}

export declare function makeHono(binding: MiddlewareBinding): HonoSessions;

declare module 'hono' {
  interface ContextVariableMap {
    session: RequestSession;
  }
}
