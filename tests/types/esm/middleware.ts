// A TypeScript user of the Express middleware and the express-session store, in an ES module:
// session-core/express, session-core/express-session-store and their driver entry points.
// These need no framework's types (the pack test checks them against the installed
// packages); middleware-frameworks.ts checks them with Express, Fastify and Hono. Type-checked,
// never run.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Sessions } from 'session-core';
import {
  authenticateRequest,
  injectSession,
  session,
  type ActiveSession,
  type ExpressSessionOptions,
  type RequestSession,
  type SessionCookieOptions,
  type SessionMiddleware,
  type SessionRequest,
} from 'session-core/express';
import DefaultStore, { SessionCoreStore, type SessionCoreStoreOptions, type StoredSession } from 'session-core/express-session-store';
import { makeExpress, type ExpressSessions, type MiddlewareBinding, type MiddlewareOptions } from 'session-core-driver/express';
import { makeExpressSessionStore } from 'session-core-driver/express-session-store';

export async function expressMiddleware(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const cookie: SessionCookieOptions = { secure: false, sameSite: 'Strict', path: '/', maxAge: 3600 };
  const options: ExpressSessionOptions = { app: 'shop', ttl: 600, cookieName: 'sid', cookie, sessions: new Sessions() };
  const mw: SessionMiddleware = session(options);
  mw(req, res, (err?: unknown) => void err);
  session({ redis: 'redis://127.0.0.1:6379', ip: (r) => r.socket.remoteAddress, onError: (e, r) => void [e, r.url] });
  session({ sessions: (r: IncomingMessage) => (r.url === '/' ? new Sessions() : new Sessions()) });
  authenticateRequest(req, res, () => {});
  const s: RequestSession = await injectSession(req, res, options);
  const token: string = await s.logIn('u1', { role: 'admin', n: 1, ok: true });
  const authenticated: boolean = s.authenticated;
  const handle: string | null = s.id;
  const user: string | null = s.authenticatableID ?? s.authenticatableId;
  const first: Date | null = s.firstAccessed;
  const counts: number = s.r + s.w;
  s.d.theme = 'dark';
  delete s.d.theme;
  const devices: ActiveSession[] = await s.activeSessions();
  const lastIp: string = devices[0].lastIp;
  const killed: boolean = await s.logOut(devices[0].id);
  const all: number = await s.logOutEverywhere();
  const pending = s.changes();
  await s.save();
  const withSession: SessionRequest = req as SessionRequest;
  void [token, authenticated, handle, user, first, counts, lastIp, killed, all, pending, withSession.session.token, s.toJSON()];
  // @ts-expect-error d holds scalars
  s.d.nested = { a: 1 };
  // @ts-expect-error the token is read-only
  s.token = 'x';
  // @ts-expect-error not an option
  session({ nope: true });

  const binding: MiddlewareBinding = { Sessions, redis: true };
  const made: ExpressSessions = makeExpress(binding);
  const generic: MiddlewareOptions<IncomingMessage> = { app: 'shop' };
  made.session(generic);
}

export async function expressSessionStore(): Promise<void> {
  const options: SessionCoreStoreOptions = { sessions: new Sessions(), app: 'express', ttl: 86400, ip: 'app' };
  const store = new SessionCoreStore(options);
  const viaDefault: SessionCoreStore = new DefaultStore({ redis: 'redis://127.0.0.1:6379' });
  const got: StoredSession | null = await store.get('sid');
  store.get('sid', (err, sess) => void [err, sess?.cookie]);
  await store.set('sid', { cookie: { maxAge: 60000 }, user: 'ann' });
  await store.touch('sid', { cookie: { maxAge: 60000 } });
  await store.destroy('sid');
  const all: StoredSession[] = await store.all();
  const n: number = await store.length();
  await store.clear();
  const sessions: Sessions = store.sessions;
  const Made = makeExpressSessionStore({ Sessions }).SessionCoreStore;
  new Made();
  void [viaDefault, got, all, n, sessions];
  // @ts-expect-error app must be a string
  new SessionCoreStore({ app: 1 });
}
