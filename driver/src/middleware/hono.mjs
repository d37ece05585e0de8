// Hono (on Node through @hono/node-server, on Cloudflare Workers, on any runtime Hono runs
// on): middleware that sets `c.get('session')`, the same object as the Express middleware's
// `req.session`. Its changed keys are saved after the handler, before the response is
// returned; a failed save turns the response into a 500 (and goes to `onError`).
//
// In a Worker the store is known only per request (`c.env`): give `sessions` as a function
// of the context, `(c) => Sessions`.
import { makeSessionsSource, settingsOf } from './options.mjs';
import { loadSession } from './request-session.mjs';

/**
 * The client's address: on Node, the socket's (@hono/node-server puts the IncomingMessage in
 * `c.env.incoming`); in a Cloudflare Worker, the CF-Connecting-IP header, which Cloudflare
 * sets. Anywhere else, or behind a proxy, give `options.ip`.
 */
function honoIp(c) {
  const incoming = c.env?.incoming;
  if (incoming !== undefined && incoming !== null) return incoming.socket?.remoteAddress;
  return c.req.header('cf-connecting-ip');
}

/** How RequestSession reaches a Hono context. */
const adapter = {
  ip: honoIp,
  userAgent: (c) => c.req.header('user-agent'),
  header: (c, _c, name, value) => c.header(name, value),
  cookie: (c, _c, value) => c.header('Set-Cookie', value, { append: true }),
};

/** `session-core/hono` over a binding: `{ Sessions, redis }` (see options.mjs). */
export function makeHono(binding) {
  const source = makeSessionsSource(binding);

  /** The middleware: `app.use(session({ app: 'shop' }))`. */
  function session(options) {
    const settings = settingsOf(options, source);
    return async function sessionCore(c, next) {
      const r = c.req;
      const s = await loadSession(settings, adapter, c, c, r.header('authorization'), r.header('x-access-token'), r.header('cookie'));
      c.set('session', s);
      await next();
      try {
        await s.save();
      } catch (e) {
        settings.onError(e, c);
        c.res = new Response('Internal Server Error: the session could not be saved', {
          status: 500,
          headers: { 'content-type': 'text/plain; charset=utf-8' },
        });
      }
    };
  }

  /** Answers 401 unless the request has a live session. */
  async function authenticateRequest(c, next) {
    if (c.get('session')?.authenticated !== true) return c.body(null, 401);
    await next();
  }

  return { session, authenticateRequest };
}
