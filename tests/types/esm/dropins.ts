// A TypeScript user of session-core's synchronous API and drop-ins, in an ES module.
// Type-checked (never run) by tests/docs/types.test.mjs.
import { SessionsSync, type SessionsSyncOptions } from 'session-core';
import { makeSessionsSyncClass, type Backend, type SessionsSyncConstructor } from 'session-core-driver';

export function sessionsSyncEsm(backend: Backend): void {
  const options: SessionsSyncOptions = { clock: () => 0, wipe: 0 };
  const s: SessionsSync = new SessionsSync(options);
  const { token }: { token: string } = s.create({ app: 'shop', id: 'ann', ip: '::1' });
  const got = s.get({ app: 'shop', token });
  const r: number | undefined = got?.r;
  const n: number = s.activity({ app: 'shop', dt: 60 }).activity;
  const pong: 'PONG' = s.ping();
  s.on('expired', (e) => void e.id);
  s.setMaxListeners(20); // session-core's is an EventEmitter of node:events
  const Made: SessionsSyncConstructor = makeSessionsSyncClass(backend);
  void [r, n, pong, Made];
  // @ts-expect-error values, not Promises
  void s.get({ app: 'shop', token }).then;
  // @ts-expect-error embedded only
  new SessionsSync({ redis: 'redis://127.0.0.1:6379' });
}

import TokenSession, {
  type TokenSessionCallback,
  type TokenSessionData,
  type TokenSessionOptions,
  type TokenSessionResult,
} from 'session-core/token-session';
import { makeTokenSessionClass, type TokenSession as TokenSessionInstance, type TokenSessionConstructor } from 'session-core-driver';
import { Sessions } from 'session-core';

export async function tokenSessionEsm(): Promise<void> {
  const options: TokenSessionOptions = { genid: () => 'u1', autoTouch: true, store: new Sessions(), ttl: 60 };
  const ts: TokenSessionInstance = new TokenSession(options);
  const r: TokenSessionResult = await ts.new({ name: 'jhon', count: 0 });
  const cb: TokenSessionCallback<TokenSessionData | null> = (err, data) => void [err, data];
  ts.get(r.sessionId, cb);
  const data: TokenSessionData | null = await ts.getNtouch(r.sessionId);
  const ok: boolean = await ts.set(r.sessionId, { count: 1 });
  ts.setWttl(r.sessionId, { a: 1 }, 60, (err) => void err);
  const next: string | null = await ts.regenerate(r.sessionId);
  await ts.touch(r.sessionId, {});
  await ts.newWttl({}, 600);
  await ts.destroy(r.sessionId);
  const Made: TokenSessionConstructor = makeTokenSessionClass(Sessions);
  void [data, ok, next, Made];
  // @ts-expect-error ttl is a number of seconds
  new TokenSession({ ttl: '1h' });
}

import JWTRedisSession, {
  type JwtRedisSessionOptions,
  type JwtSession,
  type JwtSessionCallback,
  type JwtSessionMiddleware,
} from 'session-core/jwt-redis-session';
import { makeJwtRedisSession, type JWTRedisSessionFactory } from 'session-core-driver/jwt-redis-session';

export async function jwtRedisSessionEsm(session: JwtSession): Promise<void> {
  const options: JwtRedisSessionOptions = { client: 'redis://127.0.0.1:6379', secret: 's', keyspace: 'sess:', maxAge: 86400, algorithm: 'HS256', requestKey: 'session', requestArg: 'accessToken' };
  const mw: JwtSessionMiddleware = JWTRedisSession(options);
  const cb: JwtSessionCallback<string> = (err, token) => void [err, token];
  session.create(cb);
  const token: string = await session.create({ sub: 'ann' });
  session.user = { name: 'ann' };
  await session.update();
  session.reload((err) => void err);
  await session.destroy();
  const data: Record<string, unknown> = session.toJSON();
  const id: string | undefined = session.id;
  const Made: JWTRedisSessionFactory = makeJwtRedisSession({ Sessions, redis: true });
  void [mw, token, data, id, Made];
  // @ts-expect-error only HS256, HS384, HS512 and RS256
  JWTRedisSession({ client: 'redis://h', secret: 's', algorithm: 'none' });
}

import DefaultSessionManager, { SessionManager, type SessionDetails, type SessionManagerOptions } from 'session-core/users-session-manager';
import { makeSessionManagerClass, type SessionManagerConstructor } from 'session-core-driver';

export function sessionManagerEsm(): void {
  const options: SessionManagerOptions = { clock: () => 0 };
  const SM: SessionManager = new SessionManager(options);
  const same: SessionManager = new DefaultSessionManager();
  const ok: boolean = SM.setSessionTimeOut(3000);
  const timeout: number = SM.getSessionTimeOut();
  const key: string = SM.loadNewSession('Luca');
  SM.addSession('Fabio');
  SM.setSessionData(key, { actions: ['logged in'] });
  const data: unknown = SM.getSessionData(key);
  SM.restartSessionTimer(key);
  const details: SessionDetails | false = SM.getSessionDetails(key);
  const users: string[] = SM.getLoggedUsers();
  SM.initSocketReference({});
  SM.initSocketReferences({});
  const io: unknown = SM.getSocketReference();
  SM.sendLogoutMessage(key);
  const active: boolean = SM.checkSessionStatus(key);
  const name: string | false = SM.getUsernameFromSessionKey(key);
  SM.deleteSession(key);
  SM.deleteAllSessions();
  SM.on('notifyClientToLogout', (server, k: string) => void [server, k]);
  SM.on('sessionCreated', (k: string) => void k);
  SM.setMaxListeners(20); // an EventEmitter of node:events
  const Made: SessionManagerConstructor = makeSessionManagerClass(SessionsSync);
  void [same, ok, timeout, data, details, users, io, active, name, Made];
  // @ts-expect-error the key is a string
  SM.deleteSession(42);
}
