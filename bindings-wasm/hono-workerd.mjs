// `session-core-wasm/hono` in Cloudflare Workers (the `workerd` condition): the same as
// hono.mjs, over the engine of workerd.mjs (the .wasm imported as a compiled module).
import { makeHono } from 'session-core-driver/hono';
import { Sessions } from './workerd.mjs';

const hono = makeHono({ Sessions });
/** The middleware: `app.use(session({ app: 'shop', sessions: (c) => ... }))`. */
export const session = hono.session;
/** Answers 401 unless the request has a live session. */
export const authenticateRequest = hono.authenticateRequest;
