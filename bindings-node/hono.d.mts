// Types of session-core/hono (ES modules). Importing it types `c.get('session')`.
import type { HonoSessions } from 'session-core-driver/hono';

export type { ActiveSession, HonoSessionOptions, RequestSession, SessionCookieOptions, SessionEnv } from 'session-core-driver/hono';
/** The middleware: `app.use(session({ app: 'shop' }))`. */
export declare const session: HonoSessions['session'];
/** Answers 401 unless the request has a live session. */
export declare const authenticateRequest: HonoSessions['authenticateRequest'];
