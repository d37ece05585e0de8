// Types of require('session-core-driver/express-request'): the opt-in declaration of
// express-request.d.ts, for CommonJS. Needs TypeScript 5.3+ (resolution-mode).
import type { RequestSession } from './session.js' with { 'resolution-mode': 'import' };

declare module 'express-serve-static-core' {
  interface Request {
    /** The request's session (session-core/express), and express-session's type of it when that one is in the program too. */
    session: RequestSession & (Express.Request extends { session: infer Theirs } ? Theirs : unknown);
  }
}

export {};
