// Types of session-core-driver/express-request: an opt-in declaration that types
// `req.session` in every Express handler as session-core's RequestSession. Import it once in
// an app that uses `session-core/express` and Express's types (@types/express):
//
//   import type {} from 'session-core/express-request';
//
// It does not clash with express-session's types (@types/express-session), which declare a
// `session` of their own on Express's global `Request`: when they are in the program too,
// `req.session` is typed as both (an app on one of them, a library on the other, one build).
import type { RequestSession } from './session.js';

declare module 'express-serve-static-core' {
  interface Request {
    /** The request's session (session-core/express), and express-session's type of it when that one is in the program too. */
    session: RequestSession & (Express.Request extends { session: infer Theirs } ? Theirs : unknown);
  }
}

export {};
