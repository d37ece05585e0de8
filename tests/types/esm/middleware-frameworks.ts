// The middleware with the frameworks' own types, in an ES module: Express (with
// @types/express and @types/express-session), Fastify and Hono. Type-checked in the
// workspace, never run (the pack test leaves this file out: its app installs no framework).
// The options' functions (`ip`, `onError`, `sessions`) get each framework's own request type,
// and the opt-in declaration of `req.session` for Express is in the program together with
// express-session's types (loaded by the `express-session` import below): no clash.
import type {} from 'session-core/express-request';
import type {} from 'session-core-driver/express-request';
import express from 'express';
import expressSession from 'express-session';
import Fastify from 'fastify';
import { Hono } from 'hono';
import { Sessions } from 'session-core';
import { authenticateRequest, session, type RequestSession } from 'session-core/express';
import { SessionCoreStore } from 'session-core/express-session-store';
import fastifyPlugin, {
  authenticateRequest as fastifyAuthenticate,
  sessionPlugin,
  type FastifySessionOptions,
} from 'session-core/fastify';
import { authenticateRequest as honoAuthenticate, session as honoSession, type HonoSessionOptions, type SessionEnv } from 'session-core/hono';
import { session as wasmHonoSession, authenticateRequest as wasmHonoAuthenticate } from 'session-core-wasm/hono';
import { makeFastify, type FastifySessions } from 'session-core-driver/fastify';
import { makeHono, type HonoSessions } from 'session-core-driver/hono';

export async function withFrameworks(): Promise<void> {
  // Express: the middleware is a RequestHandler; the store is express-session's Store.
  const app = express();
  app.use(session({ app: 'shop' }));
  // The README's options: Express's own request (`req.ip` honours 'trust proxy').
  app.use(session({ app: 'shop', ip: (req) => req.ip, onError: (error, req) => console.error(req.originalUrl, error) }));
  app.use(session({ sessions: (req) => (req.hostname === 'a.example' ? new Sessions() : new Sessions()) }));
  app.get('/private', authenticateRequest, (req, res) => {
    // Typed by the opt-in declaration (session-core/express-request).
    const s: RequestSession = req.session;
    const user: string | null = req.session.authenticatableID;
    res.json({ user, handle: s.id });
  });
  app.post('/login', (req, res, next) => {
    req.session.logIn('ann').then(() => res.json({ ok: true }), next);
  });
  const legacy = express();
  legacy.use(expressSession({ secret: 'keyboard cat', resave: false, saveUninitialized: false, store: new SessionCoreStore() }));
  // express-session's own members are typed as @types/express-session has them.
  legacy.get('/', (req, res) => req.session.regenerate((err: unknown) => res.json({ err, id: req.sessionID })));

  // Fastify: request.session is typed once the plugin's types are in.
  const f = Fastify();
  const options: FastifySessionOptions = { app: 'shop', ttl: 600 };
  await f.register(sessionPlugin, options);
  await f.register(fastifyPlugin, { app: 'other', sessions: (request) => (request.url ? new Sessions() : new Sessions()) });
  await f.register(sessionPlugin, { app: 'third', ip: (request) => request.ip, onError: (error, request) => request.log.error(error) });
  f.get('/me', { preHandler: fastifyAuthenticate }, async (request) => {
    const token: string | null = request.session.token;
    return { user: request.session.authenticatableID, token };
  });

  // Hono: c.get('session') is typed everywhere.
  const h = new Hono<SessionEnv>();
  const honoOptions: HonoSessionOptions = { app: 'shop', sessions: (c) => (c.req.url ? new Sessions() : new Sessions()) };
  h.use(honoSession(honoOptions));
  h.use(honoSession({ ip: (c) => c.req.header('x-real-ip'), onError: (error, c) => console.error(c.req.path, error) }));
  h.get('/me', honoAuthenticate, (c) => c.json({ user: c.get('session').authenticatableID }));
  const plain = new Hono();
  plain.use(wasmHonoSession({ app: 'edge' }));
  plain.get('/', wasmHonoAuthenticate, async (c) => c.json({ devices: (await c.get('session').activeSessions()).length }));
  // @ts-expect-error not an option
  honoSession({ nope: 1 });

  const madeF: FastifySessions = makeFastify({ Sessions });
  const madeH: HonoSessions = makeHono({ Sessions });
  void [madeF.sessionPlugin, madeH.session];
}
