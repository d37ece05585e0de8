// `session-core-wasm/hono` (Node, Deno): Hono middleware that sets `c.get('session')`, over
// this package's engine. In a Worker the `workerd` condition loads hono-workerd.mjs instead.
import { makeHono } from 'session-core-driver/hono';
import { Sessions } from './index.mjs';

const hono = makeHono({ Sessions });
/** The middleware: `app.use(session({ app: 'shop', sessions }))`. */
export const session = hono.session;
/** Answers 401 unless the request has a live session. */
export const authenticateRequest = hono.authenticateRequest;
