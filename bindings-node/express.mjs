// `session-core/express`: session middleware for Express over this package's engine (the
// embedded store by default, `{ redis: url }`, or any `sessions` you give). See the README.
import { makeExpress } from 'session-core-driver/express';
import { Sessions } from './index.mjs';

const express = makeExpress({ Sessions, redis: true });
/** The middleware: `app.use(session({ app: 'shop' }))` gives every request `req.session`. */
export const session = express.session;
/** The same work without being middleware: `await injectSession(req, res, options)`. */
export const injectSession = express.injectSession;
/** Answers 401 unless the request has a live session. */
export const authenticateRequest = express.authenticateRequest;
