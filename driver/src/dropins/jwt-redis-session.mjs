// The jwt-redis-session 0.1 stand-in: its middleware (`app.use(JWTRedisSession({ client,
// secret }))`, then `req.session.create()`, `update()`, `reload()`, `destroy()`,
// `toJSON()`) over any session-core `Sessions`. The JWTs are signed and verified by jose; the
// JWT's `jti` is the core's session token, and every session rule (expiry, merging updates)
// is the core's. A token that does not verify (another key, another algorithm, `none`,
// expired, malformed) is no session, never an error. The response of a request that
// created a session (and so carries its JWT) is marked `Cache-Control: no-store`.
import { SignJWT, exportJWK, importJWK, importPKCS8, jwtVerify } from 'jose';
import { SessionError } from '../errors.mjs';
import { makeSessionsSource } from '../middleware/options.mjs';
import { clientIp } from '../middleware/request-session.mjs';
import { answer, decodeData, encodeData, isSessions } from './values.mjs';

const ALGORITHMS = ['HS256', 'HS384', 'HS512', 'RS256'];
/** What `toJSON` and `update` leave out: they come from the JWT, not the stored data. */
const RESERVED = new Set(['id', 'claims', 'jwt']);
/** The private members of an RSA JWK: what a public key leaves out. */
const RSA_PRIVATE = ['d', 'p', 'q', 'dp', 'dq', 'qi'];

function invalid(field, message) {
  return new SessionError('invalidValue', message, field);
}

/** The error of `update` and `reload` when the request has no live session. */
function noSession() {
  return new SessionError('invalidValue', 'Invalid session ID', 'id');
}

/** `requestArg` as jwt-redis-session names its header: accessToken -> x-access-token. */
function headerOf(arg) {
  return `x-${arg.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

/**
 * The signing and verifying keys for `algorithm`: HS* take the secret (text or bytes); RS256
 * takes a PKCS#8 PEM private key, whose public half verifies.
 */
async function keysOf(secret, algorithm) {
  if (algorithm !== 'RS256') {
    const key = typeof secret === 'string' ? new TextEncoder().encode(secret) : secret;
    return { sign: key, verify: key };
  }
  try {
    const sign = await importPKCS8(secret, 'RS256', { extractable: true });
    const jwk = await exportJWK(sign);
    for (const name of RSA_PRIVATE) delete jwk[name];
    return { sign, verify: await importJWK(jwk, 'RS256') };
  } catch {
    throw invalid('secret', 'options.secret must be a PKCS#8 PEM private key for RS256');
  }
}

/** The checked options of the middleware. */
function settingsOf(options, source) {
  const o = options ?? {};
  if (typeof o !== 'object') throw new TypeError('the JWTRedisSession options must be an object');
  const { client, secret } = o;
  let sessions;
  if (isSessions(client)) sessions = client;
  else if (typeof client === 'string' && client !== '') {
    if (!source.redis) throw invalid('client', 'options.client as a Redis URL needs the napi package session-core; here, pass a Sessions');
    sessions = source.overRedis(client);
  } else throw invalid('client', "options.client must be a Redis URL (such as 'redis://127.0.0.1:6379') or a session-core Sessions");
  const algorithm = o.algorithm ?? 'HS256';
  if (!ALGORITHMS.includes(algorithm)) throw invalid('algorithm', `options.algorithm must be one of ${ALGORITHMS.join(', ')}`);
  const text = typeof secret === 'string' && secret !== '';
  if (algorithm === 'RS256' ? !text : !text && !(secret instanceof Uint8Array && secret.length > 0)) {
    throw invalid('secret', algorithm === 'RS256' ? 'options.secret must be a PKCS#8 PEM private key for RS256' : 'options.secret must be a non-empty string or Uint8Array');
  }
  // The keyspace names the core's app: its letters, digits, _ and - ("sess:" -> "sess").
  const keyspace = o.keyspace ?? 'sess:';
  const app = typeof keyspace === 'string' ? keyspace.replace(/[^A-Za-z0-9_-]/g, '') : '';
  if (!/^[A-Za-z0-9_-]{3,20}$/.test(app)) throw invalid('keyspace', 'options.keyspace must hold 3 to 20 characters of [A-Za-z0-9_-] (others are dropped)');
  const maxAge = o.maxAge ?? 86400;
  if (!Number.isInteger(maxAge) || maxAge < 10 || maxAge > 31536000) throw invalid('maxAge', 'options.maxAge must be whole seconds from 10 to 31536000');
  const requestKey = o.requestKey ?? 'session';
  if (typeof requestKey !== 'string' || requestKey === '') throw invalid('requestKey', 'options.requestKey must be a non-empty string');
  const requestArg = o.requestArg ?? 'accessToken';
  if (typeof requestArg !== 'string' || !/^[A-Za-z][A-Za-z0-9]*$/.test(requestArg)) throw invalid('requestArg', 'options.requestArg must be a name of letters and digits');
  const clock = o.clock ?? Date.now;
  if (typeof clock !== 'function') throw invalid('clock', 'options.clock must be a function');
  let keys = null;
  return {
    sessions,
    app,
    algorithm,
    maxAge,
    requestKey,
    requestArg,
    header: headerOf(requestArg),
    clock,
    keys: () => (keys ??= keysOf(secret, algorithm)),
  };
}

/** The token a request carries: body, then query string, then header, as the seed looks. */
function tokenOf(req, s) {
  const fromBody = req.body?.[s.requestArg];
  if (typeof fromBody === 'string' && fromBody !== '') return fromBody;
  const fromQuery = (req.query ?? queryOf(req.url))?.[s.requestArg];
  if (typeof fromQuery === 'string' && fromQuery !== '') return fromQuery;
  const fromHeader = req.headers?.[s.header];
  return typeof fromHeader === 'string' && fromHeader !== '' ? fromHeader : null;
}

/** The query string of a bare node:http request (no framework parsed it): `{}` if none. */
function queryOf(url) {
  try {
    return Object.fromEntries(new URL(url ?? '/', 'http://localhost').searchParams);
  } catch {
    return {};
  }
}

/** The session data of `session`: its own fields but functions and the JWT's. */
function dataOf(session) {
  const data = {};
  for (const key of Object.keys(session)) {
    if (!RESERVED.has(key) && typeof session[key] !== 'function') data[key] = session[key];
  }
  return data;
}

/**
 * Marks the response no cache may keep (OWASP's session guidance): `create` hands the app a
 * JWT, which the app sends in this response. Nothing when the headers are already out.
 */
function noStore(res) {
  if (typeof res?.setHeader === 'function' && res.headersSent !== true) res.setHeader('Cache-Control', 'no-store');
}

/** `req.session`: the data as own fields; id, claims and jwt once there is a session. */
class JwtSession {
  #s;
  #ip;
  #res;
  /** The stored data's JSON text by key, as last read or written: what `update` compares. */
  #stored = {};

  constructor(settings, ip, res) {
    this.#s = settings;
    this.#ip = ip;
    this.#res = res;
  }

  /** A new session of this object's data: `callback(err, token)`, or a Promise of the JWT. */
  create(claims, callback) {
    if (typeof claims === 'function') return this.create(undefined, claims);
    return answer(this.#create(claims ?? {}), callback);
  }

  /** Saves the fields that changed since the session was read: `callback(err)`. */
  update(callback) {
    return answer(this.#update(), callback);
  }

  /** Reads the session again (another server may have changed it): `callback(err)`. */
  reload(callback) {
    return answer(this.#reload(), callback);
  }

  /** Ends the session: the JWT no longer names one. `callback(err)`. */
  destroy(callback) {
    return answer(this.#destroy(), callback);
  }

  /** Slides the session's expiry: `callback(err)`. */
  touch(callback) {
    return answer(this.#touch(), callback);
  }

  /** The session data (without id, claims and jwt). */
  toJSON() {
    return dataOf(this);
  }

  /** Fills `session` from a verified JWT and the stored session (static: not on req.session). */
  static load(session, token, claims, d) {
    session.#adopt(d);
    session.id = claims.jti;
    session.claims = claims;
    session.jwt = token;
  }

  #adopt(d) {
    for (const key of Object.keys(dataOf(this))) delete this[key];
    Object.assign(this, decodeData(d));
    this.#stored = { ...(d ?? {}) };
  }

  async #create(extra) {
    const s = this.#s;
    if (typeof extra !== 'object' || Array.isArray(extra)) throw invalid('claims', 'claims must be an object');
    const d = encodeData(dataOf(this));
    for (const key of Object.keys(d)) if (d[key] === null) delete d[key];
    const id = typeof extra.sub === 'string' && extra.sub !== '' ? extra.sub : 'anonymous';
    const options = { app: s.app, id, ip: this.#ip, ttl: s.maxAge };
    if (Object.keys(d).length > 0) options.d = d;
    const { token } = await s.sessions.create(options);
    const iat = Math.floor(+s.clock() / 1000);
    const claims = { iat, ...extra, jti: token };
    const jwt = await new SignJWT(claims).setProtectedHeader({ alg: s.algorithm, typ: 'JWT' }).sign((await s.keys()).sign);
    noStore(this.#res);
    this.#stored = d;
    this.id = token;
    this.claims = claims;
    this.jwt = jwt;
    return jwt;
  }

  async #update() {
    const s = this.#s;
    if (typeof this.id !== 'string') throw noSession();
    const now = encodeData(dataOf(this));
    // Only what changed: concurrent updates of other keys are kept (the core merges).
    const d = {};
    for (const key of Object.keys(now)) if (now[key] !== null && now[key] !== this.#stored[key]) d[key] = now[key];
    for (const key of Object.keys(this.#stored)) if (now[key] === undefined || now[key] === null) d[key] = null;
    const options = { app: s.app, token: this.id };
    const saved = Object.keys(d).length === 0 ? await s.sessions.touch(options) : await s.sessions.set({ ...options, d });
    if (saved === null) throw noSession();
    this.#stored = { ...(saved.d ?? {}) };
  }

  async #reload() {
    if (typeof this.id !== 'string') return;
    const got = await this.#s.sessions.get({ app: this.#s.app, token: this.id });
    if (got === null) throw noSession();
    this.#adopt(got.d);
  }

  async #destroy() {
    if (typeof this.id !== 'string') return;
    await this.#s.sessions.kill({ app: this.#s.app, token: this.id });
    delete this.id;
    delete this.claims;
    delete this.jwt;
    this.#stored = {};
  }

  async #touch() {
    if (typeof this.id !== 'string') return;
    if ((await this.#s.sessions.touch({ app: this.#s.app, token: this.id })) === null) throw noSession();
  }
}

/**
 * Verifies `token` and reads its session into `session`. Anything wrong with the token is no
 * session; only a failing store is an error (the request then fails).
 */
async function attach(session, token, s) {
  let claims;
  try {
    const keys = await s.keys();
    ({ payload: claims } = await jwtVerify(token, keys.verify, { algorithms: [s.algorithm], currentDate: new Date(+s.clock()) }));
  } catch {
    return;
  }
  if (typeof claims.jti !== 'string') return;
  let got;
  try {
    got = await s.sessions.get({ app: s.app, token: claims.jti });
  } catch (e) {
    // A jti that is not a token the core could have issued names no session.
    if (e instanceof SessionError && e.name !== 'storeError') return;
    throw e;
  }
  if (got !== null) JwtSession.load(session, token, claims, got.d);
}

/**
 * The `JWTRedisSession(options)` middleware factory over a binding (`{ Sessions, redis }`, as
 * the framework middleware take it).
 */
export function makeJwtRedisSession(binding) {
  const source = makeSessionsSource(binding);
  return function JWTRedisSession(options) {
    const s = settingsOf(options, source);
    return function jwtRedisSession(req, res, next) {
      const session = new JwtSession(s, clientIp(req.socket?.remoteAddress), res);
      req[s.requestKey] = session;
      const token = tokenOf(req, s);
      if (token === null) return next();
      attach(session, token, s).then(() => next(), next);
    };
  };
}
