// `session-core/hono`: Hono middleware that sets `c.get('session')`, over this package's
// engine (Node, through @hono/node-server). For Workers, see session-core-wasm/hono.
import { makeHono } from 'session-core-driver/hono';
import { Sessions } from './index.mjs';

const hono = makeHono({ Sessions, redis: true });
/** The middleware: `app.use(session({ app: 'shop' }))`. */
export const session = hono.session;
/** Answers 401 unless the request has a live session. */
export const authenticateRequest = hono.authenticateRequest;
