// A TypeScript user of the Express middleware and the express-session store in a CommonJS
// module (`require`). No framework's types needed (the pack test checks this file against the
// installed packages). Type-checked, never run.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Sessions } from 'session-core';
import expressMw = require('session-core/express');
import storeModule = require('session-core/express-session-store');
import driverExpress = require('session-core-driver/express');
import driverStore = require('session-core-driver/express-session-store');

export async function expressCjs(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const options: expressMw.ExpressSessionOptions = { app: 'shop', sessions: new Sessions() };
  const mw: expressMw.SessionMiddleware = expressMw.session(options);
  mw(req, res, () => {});
  expressMw.authenticateRequest(req, res, () => {});
  const s: expressMw.RequestSession = await expressMw.injectSession(req, res, options);
  const devices: expressMw.ActiveSession[] = await s.activeSessions('u1');
  const cookie: expressMw.SessionCookieOptions = { secure: true };
  const r: expressMw.SessionRequest = req as expressMw.SessionRequest;
  const store: storeModule.SessionCoreStore = new storeModule.SessionCoreStore({ app: 'express' } satisfies storeModule.SessionCoreStoreOptions);
  const viaDefault = new storeModule.default();
  const got: storeModule.StoredSession | null = await store.get('sid');
  const made: driverExpress.ExpressSessions = driverExpress.makeExpress({ Sessions } satisfies driverExpress.MiddlewareBinding);
  const Store = driverStore.makeExpressSessionStore({ Sessions }).SessionCoreStore;
  void [devices, cookie, r, viaDefault, got, made, new Store()];
  // @ts-expect-error not an export
  expressMw.nope;
}
