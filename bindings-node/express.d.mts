// Types of session-core/express (ES modules).
import type { ExpressSessions } from 'session-core-driver/express';

export type {
  ActiveSession,
  ExpressRequest,
  ExpressSessionOptions,
  RequestSession,
  SessionCookieOptions,
  SessionMiddleware,
  SessionRequest,
} from 'session-core-driver/express';
/** The middleware: `app.use(session({ app: 'shop' }))` gives every request `req.session`. */
export declare const session: ExpressSessions['session'];
/** The same work without being middleware: resolves to `req.session`. */
export declare const injectSession: ExpressSessions['injectSession'];
/** Answers 401 unless the request has a live session. */
export declare const authenticateRequest: ExpressSessions['authenticateRequest'];
