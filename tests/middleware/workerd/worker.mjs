// The test app (../test/routes.mjs) on Hono inside workerd, with session-core-wasm over a
// Durable Object: the Worker runs the app; the object SessionStore holds the sessions and
// applies each batch of store commands atomically (DurableObjectStore), called over RPC.
//
// Each test uses an app of its own: /t/<app>/<route>. The routes /t/<app>/_calls, /_peek and
// /_errors (outside the middleware) show what the tests check: the calls the middleware made
// to its Sessions, a session as the core has it, and what went to onError.
import { DurableObject } from 'cloudflare:workers';
import { Hono } from 'hono';
import { DurableObjectStore, Sessions } from 'session-core-wasm';
import { authenticateRequest, session } from 'session-core-wasm/hono';
import { counting, localGate, makeRoutes } from '../test/routes.mjs';

/** The routes' gates, in an object: every request reaches the same one. */
export class Gates extends DurableObject {
  wait(name, n) {
    return localGate(name, n);
  }
}

const routesOf = (env) => makeRoutes((name, n) => env.GATES.get(env.GATES.idFromName('gates')).wait(name, n));

export class SessionStore extends DurableObject {
  #store = new DurableObjectStore(this.ctx.storage);

  apply(batch) {
    return this.#store.apply(batch);
  }
}

/**
 * The store of the Worker's Sessions: each batch goes to the one SessionStore object. (An
 * async function: an RPC call's answer is a callable thenable, which the driver does not
 * take for a Promise.)
 */
const remoteStore = (env) => ({
  apply: async (batch) => env.SESSIONS.get(env.SESSIONS.idFromName('sessions')).apply(batch),
});

/** One Hono app per test app, made on first use. */
const apps = new Map();

function appFor(name, env) {
  let found = apps.get(name);
  if (found !== undefined) return found;
  const inner = new Sessions({ store: remoteStore(env), autoSweep: false });
  const sessions = counting(inner);
  const errors = [];
  const hono = new Hono();
  hono.use(session({ app: name, sessions, onError: (e) => errors.push({ name: e.name, field: e.field }) }));
  for (const [key, handler] of Object.entries(routesOf(env))) {
    const [method, path] = key.split(' ');
    hono.on(method, path, async (c) => c.json(await handler(c.get('session'), c.req.query())));
  }
  hono.get('/private', authenticateRequest, (c) => c.json({ user: c.get('session').authenticatableID }));
  found = { hono, inner, sessions, errors };
  apps.set(name, found);
  return found;
}

const json = (v) => new Response(JSON.stringify(v), { headers: { 'content-type': 'application/json' } });

export default {
  async fetch(request, env, ctx) {
    const url = new URL(request.url);
    const m = /^\/t\/([A-Za-z0-9_-]{3,20})(\/.*)$/.exec(url.pathname);
    if (m === null) return new Response('not found', { status: 404 });
    const [, name, path] = m;
    const a = appFor(name, env);
    if (path === '/_calls') return json(a.sessions.calls);
    if (path === '/_errors') return json(a.errors);
    if (path === '/_peek') return json(await a.inner.get({ app: name, token: url.searchParams.get('token') }));
    return a.hono.fetch(new Request(new URL(path + url.search, url), request), env, ctx);
  },
};
