// A TypeScript user of session-core's synchronous API and drop-ins, in a CommonJS module.
// Type-checked, never run.
import sessionCore = require('session-core');
import { SessionsSync } from 'session-core';
import { makeSessionsSyncClass } from 'session-core-driver';
import driver = require('session-core-driver');

export function sessionsSyncCjs(backend: driver.Backend): void {
  const options: sessionCore.SessionsSyncOptions = { wipe: 0 };
  const s: sessionCore.SessionsSync = new SessionsSync(options);
  s.setMaxListeners(20); // an EventEmitter of node:events
  const d = s.set({ app: 'shop', token: s.create({ app: 'shop', id: 'ann', ip: '::1' }).token, d: { a: 1 } })?.d;
  const Made: driver.SessionsSyncConstructor = makeSessionsSyncClass(backend);
  void [d, Made];
  // @ts-expect-error values, not Promises
  void s.ping().then;
}

import TokenSession = require('session-core/token-session');
import { makeTokenSessionClass } from 'session-core-driver';

export async function tokenSessionCjs(): Promise<void> {
  const options: TokenSession.TokenSessionOptions = { ttl: 60 };
  const ts = new TokenSession(options);
  const r: TokenSession.TokenSessionResult = await ts.new({ a: 1 });
  const d: TokenSession.TokenSessionData | null = await ts.get(r.sessionId);
  const again = new TokenSession.default();
  const Made: driver.TokenSessionConstructor = makeTokenSessionClass(sessionCore.Sessions);
  void [d, again, Made];
}

import JWTRedisSession = require('session-core/jwt-redis-session');
import jwtDriver = require('session-core-driver/jwt-redis-session');

export async function jwtRedisSessionCjs(session: JWTRedisSession.JwtSession): Promise<void> {
  const options: JWTRedisSession.JwtRedisSessionOptions = { client: new sessionCore.Sessions(), secret: 's' };
  const mw: JWTRedisSession.JwtSessionMiddleware = JWTRedisSession(options);
  const again: JWTRedisSession.JwtSessionMiddleware = JWTRedisSession.default(options);
  const token: string = await session.create();
  const cb: JWTRedisSession.JwtSessionCallback<void> = (err) => void err;
  session.update(cb);
  const Made: jwtDriver.JWTRedisSessionFactory = jwtDriver.makeJwtRedisSession({ Sessions: sessionCore.Sessions });
  void [mw, again, token, Made];
}

import SessionManager = require('session-core/users-session-manager');
import { makeSessionManagerClass } from 'session-core-driver';

export function sessionManagerCjs(): void {
  const options: SessionManager.SessionManagerOptions = {};
  const SM = new SessionManager(options);
  const viaName = new SessionManager.SessionManager();
  const viaDefault = new SessionManager.default();
  const details: SessionManager.SessionDetails | false = SM.getSessionDetails(SM.loadNewSession('Luca'));
  const Made: driver.SessionManagerConstructor = makeSessionManagerClass(sessionCore.SessionsSync);
  void [viaName, viaDefault, details, Made];
}
