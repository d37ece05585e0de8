// Fastify (4 and 5): a plugin that gives every request `request.session`, the same object as
// the Express middleware's `req.session`. The session is looked up in an onRequest hook and
// its changed keys saved in an onSend hook, before the reply goes out; a failed save goes to
// `onError` and fails the reply (Fastify answers it with its error handler, a 500 by default).
//
// The plugin is not encapsulated (as fastify-plugin would mark it): registered once, it
// applies to every route of the instance it is registered on.
import { makeSessionsSource, settingsOf } from './options.mjs';
import { loadSession } from './request-session.mjs';

/** How RequestSession reaches a Fastify request and reply. */
const adapter = {
  ip: (request) => request.ip,
  userAgent: (request) => request.headers['user-agent'],
  header: (request, reply, name, value) => reply.header(name, value),
  // Fastify appends to set-cookie rather than replacing it.
  cookie: (request, reply, value) => reply.header('set-cookie', value),
};

/** `session-core/fastify` over a binding: `{ Sessions, redis }` (see options.mjs). */
export function makeFastify(binding) {
  const source = makeSessionsSource(binding);

  /** `fastify.register(sessionPlugin, { app: 'shop' })`. */
  async function sessionPlugin(fastify, options) {
    // Fastify passes its own keys (prefix, logLevel...) with the options: only ours are read.
    const { app, ttl, cookieName, cookie, sessions, redis, ip, onError } = options ?? {};
    const settings = settingsOf({ app, ttl, cookieName, cookie, sessions, redis, ip, onError }, source);
    fastify.decorateRequest('session', null);
    fastify.addHook('onRequest', async (request, reply) => {
      const h = request.headers;
      request.session = await loadSession(settings, adapter, request, reply, h.authorization, h['x-access-token'], h.cookie);
    });
    fastify.addHook('onSend', async (request, reply, payload) => {
      const session = request.session;
      try {
        if (session !== null) await session.save();
      } catch (e) {
        settings.onError(e, request);
        throw e;
      }
      return payload;
    });
  }
  sessionPlugin[Symbol.for('skip-override')] = true;
  sessionPlugin[Symbol.for('fastify.display-name')] = 'session-core';

  /** Answers 401 unless the request has a live session (a preHandler hook). */
  async function authenticateRequest(request, reply) {
    if (request.session?.authenticated !== true) return reply.code(401).send();
  }

  return { sessionPlugin, authenticateRequest };
}
