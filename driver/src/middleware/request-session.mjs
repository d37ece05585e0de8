// `req.session` (Express), `request.session` (Fastify) and `c.get('session')` (Hono): one
// class for every framework. A framework's adapter tells it how to read the client's address
// and user agent and how to set a response header; everything else is here:
//
// - the token comes from Authorization: Bearer, then x-access-token, then the cookie;
// - one `get` per request (it counts the read and slides the expiry);
// - `d` is the session's data: at the end of the request, only the keys that changed are
//   saved, with one `set` (a deleted key as null), and nothing when nothing changed; `set`
//   merges, so concurrent requests that change different keys keep both;
// - logIn creates a session and kills the one the request came with (no fixation);
// - a response that carries a token or changes the session cookie is marked
//   `Cache-Control: no-store` (OWASP's session guidance): no cache keeps a token.
//
// The core keeps a session's user id, its IP at creation, its counters and its idle time. What
// the API shows beyond that lives in `d` under three reserved keys, hidden from `d` here:
//   "sc.at"  when the session was created (ms since the epoch): firstAccessed
//   "sc.ua"  the user agent at login: userAgent
//   "sc.ip"  the last client address, written only when it changes: lastIp of listings
import { SessionError } from '../errors.mjs';
import { isToken, sessionCookie, tokenOf } from './cookies.mjs';
import { handleOf } from './handle.mjs';

const AT = 'sc.at';
/** The base of a session with no data. */
const EMPTY = Object.freeze({});
const UA = 'sc.ua';
const IP = 'sc.ip';
/** A user agent is kept to this many characters. */
const MAX_UA = 512;
/** What every response that sets the session cookie or carries a token is marked with. */
const NO_STORE = 'no-store';

/** Whether `key` is one of the reserved keys of `d`. */
export const isReserved = (key) => key.length === 5 && (key === AT || key === UA || key === IP);

/** The core's `ip` (1 to 39 characters) from a request's address: 'unknown' without one. */
export function clientIp(ip) {
  if (typeof ip !== 'string' || ip === '') return 'unknown';
  return ip.length > 39 ? ip.slice(0, 39) : ip;
}

/** The user's keys of stored data `d` (a fresh object). */
function userData(d) {
  const out = {};
  if (d !== undefined) for (const k in d) if (!isReserved(k)) out[k] = d[k];
  return out;
}

/** A listed session, as `activeSessions` shows it. */
function describeListed(s, now, current) {
  const d = s.d ?? {};
  return {
    id: s.handle,
    authenticatableID: s.id,
    firstAccessed: typeof d[AT] === 'number' ? new Date(d[AT]) : null,
    lastAccessed: new Date(now - s.idle * 1000),
    firstIp: s.ip,
    lastIp: typeof d[IP] === 'string' ? d[IP] : s.ip,
    userAgent: typeof d[UA] === 'string' ? d[UA] : null,
    r: s.r,
    w: s.w,
    ttl: s.ttl,
    d: userData(s.d),
    current,
  };
}

export class RequestSession {
  authenticated = false;
  /** The token the session is used with (the one the request came with, or logIn's). */
  token = null;
  authenticatableID = null;
  firstIp = null;
  lastIp = null;
  userAgent = null;
  /** Reads before this one, and writes, as the core counts them; the TTL in seconds. */
  r = 0;
  w = 0;
  ttl = null;
  /** The session's data: change it, and the changed keys are saved when the response ends. */
  d = {};

  #settings;
  #sessions;
  #adapter;
  #req;
  #res;
  /** The token the request came with, if it had a token's form: logIn kills it. */
  #presented;
  /** `d` as stored (reserved keys included): what the changes are counted against. */
  #base = EMPTY;
  /** When the session was created, and this request's time (ms), or null. */
  #firstAt = null;
  #lastAt = null;
  /** The last address stored (reserved key, or the IP at creation). */
  #storedIp = null;
  #handle = null;

  constructor(settings, sessions, adapter, req, res, presented) {
    this.#settings = settings;
    this.#sessions = sessions;
    this.#adapter = adapter;
    this.#req = req;
    this.#res = res;
    this.#presented = presented;
  }

  /** The session's handle: its public, non-secret name (null when not authenticated). */
  get id() {
    if (!this.authenticated) return null;
    this.#handle ??= handleOf(this.token);
    return this.#handle;
  }

  /** When the session was created (at login). */
  get firstAccessed() {
    return this.#firstAt === null ? null : new Date(this.#firstAt);
  }

  /** This request's use of the session: now. */
  get lastAccessed() {
    return this.#lastAt === null ? null : new Date(this.#lastAt);
  }

  /** @universal-packages/express-session's spelling of authenticatableID. */
  get authenticatableId() {
    return this.authenticatableID;
  }

  /** Fills the fields from a session as `get` answered it. */
  #fill(token, s, now) {
    const stored = s.d;
    this.authenticated = true;
    this.token = token;
    this.authenticatableID = s.id;
    this.r = s.r;
    this.w = s.w;
    this.ttl = s.ttl;
    const at = stored?.[AT];
    this.#firstAt = typeof at === 'number' ? at : now - s.idle * 1000;
    this.#lastAt = now;
    this.firstIp = s.ip;
    const ua = stored?.[UA];
    this.userAgent = typeof ua === 'string' ? ua : null;
    const lastStored = stored?.[IP];
    this.#storedIp = typeof lastStored === 'string' ? lastStored : s.ip;
    this.lastIp = this.#ip();
    // The answer's `d` is this request's own object: kept as the base, copied for the app.
    this.#base = stored ?? EMPTY;
    this.d = userData(stored);
    this.#handle = null;
  }

  #clear() {
    this.authenticated = false;
    this.token = null;
    this.authenticatableID = null;
    this.#firstAt = null;
    this.#lastAt = null;
    this.firstIp = null;
    this.lastIp = null;
    this.userAgent = null;
    this.r = 0;
    this.w = 0;
    this.ttl = null;
    this.d = {};
    this.#base = EMPTY;
    this.#storedIp = null;
    this.#handle = null;
  }

  #ip() {
    const own = this.#settings.ip;
    return clientIp(own === undefined ? this.#adapter.ip(this.#req, this.#res) : own(this.#req));
  }

  /**
   * Looks the request's token up; resolves to this, unauthenticated if the request has no
   * token, or none that lives. (Promise callbacks rather than await: one hop, on every request.)
   */
  load(token) {
    if (!isToken(token)) return Promise.resolve(this);
    return this.#sessions.get({ app: this.#settings.app, token }).then(
      (s) => {
        if (s !== null) this.#fill(token, s, Date.now());
        return this;
      },
      (e) => {
        // Only a fault of the store is an error; a token the core will not take is no session.
        if (e instanceof SessionError && e.name !== 'storeError') return this;
        throw e;
      },
    );
  }

  /**
   * Logs `userId` in: a new session (with `d`, if given), whose token is returned and sent in
   * the session cookie and an Authorization response header. The session the request came
   * with, if any, is killed: a token planted before login is dead after it.
   */
  async logIn(userId, d) {
    if (typeof userId !== 'string' && typeof userId !== 'number') {
      throw new SessionError('invalidValue', 'logIn(userId): userId must be a string or a number', 'id');
    }
    if (d !== undefined && (typeof d !== 'object' || d === null || Array.isArray(d))) {
      throw new SessionError('invalidValue', 'logIn(userId, d): d must be an object', 'd');
    }
    const data = {};
    if (d !== undefined) {
      for (const k in d) {
        if (isReserved(k)) throw reservedError(k);
        data[k] = d[k];
      }
    }
    const now = Date.now();
    const ip = this.#ip();
    const ua = this.#adapter.userAgent(this.#req, this.#res);
    data[AT] = now;
    if (typeof ua === 'string' && ua !== '') data[UA] = ua.length > MAX_UA ? ua.slice(0, MAX_UA) : ua;
    const { app, ttl } = this.#settings;
    const sessions = this.#sessions;
    const created = await sessions.create({ app, id: userId, ip, ttl, d: data });
    const token = created.token;
    const old = this.#presented;
    if (isToken(old)) await sessions.kill({ app, token: old });
    this.#presented = token;
    this.#fill(token, { id: String(userId), r: 1, w: 1, ttl, idle: 0, ip, d: data }, now);
    this.#storedIp = ip;
    this.#setCookie(token);
    this.#adapter.header(this.#req, this.#res, 'Authorization', `Bearer ${token}`);
    return token;
  }

  /**
   * Logs out: this session (no argument, or its own token or handle), or another session of
   * the same user named by its token or its handle (as activeSessions lists them). Logging
   * this session out also clears the cookie. Resolves to whether a session was killed.
   * Another user's session is never ended, whether named by its handle or by its token.
   */
  async logOut(tokenOrHandle) {
    if (!this.authenticated) return false;
    const { app } = this.#settings;
    const sessions = this.#sessions;
    const target = tokenOrHandle ?? this.token;
    if (typeof target !== 'string') throw new SessionError('invalidValue', 'logOut(token): token must be a token or a handle', 'token');
    if (target === this.token || target === this.id) {
      const { kill } = await sessions.kill({ app, token: this.token });
      this.#endHere();
      return kill > 0;
    }
    // Named by token or by handle, the session must be one of this user's: a token says whose
    // session it is no more than a handle does (a token obtained from another user's request,
    // a log or a leak must not end that user's session from this one's).
    const handle = isToken(target) ? handleOf(target) : target;
    const mine = await sessions.soid({ app, id: this.authenticatableID });
    if (!mine.sessions.some((s) => s.handle === handle)) return false;
    return (await sessions.kill({ app, handle })).kill > 0;
  }

  /** Kills every session of this user (this one too); resolves to how many. */
  async logOutEverywhere() {
    if (!this.authenticated) return 0;
    const { kill } = await this.#sessions.killsoid({ app: this.#settings.app, id: this.authenticatableID });
    this.#endHere();
    return kill;
  }

  /**
   * The live sessions of `userId` (default: this session's user), oldest first, each with its
   * handle as `id`, for a "your devices" page; `current` marks this one.
   */
  async activeSessions(userId) {
    const id = userId ?? this.authenticatableID;
    if (id === null || id === undefined) return [];
    const { sessions } = await this.#sessions.soid({ app: this.#settings.app, id });
    const now = Date.now();
    const mine = this.id;
    return sessions.map((s) => describeListed(s, now, s.handle === mine));
  }

  /** This session is over: no cookie, no fields, nothing to save. */
  #endHere() {
    this.#clear();
    this.#presented = undefined;
    this.#setCookie(null);
  }

  /** Sets the session cookie to `token` (null clears it), in a response no cache may keep. */
  #setCookie(token) {
    this.#adapter.cookie(this.#req, this.#res, sessionCookie(this.#settings.cookie, token));
    this.#adapter.header(this.#req, this.#res, 'Cache-Control', NO_STORE);
  }

  /**
   * The keys to save: those of `d` that changed since the session was read (deleted ones as
   * null), and the client's address when it changed; null when there is nothing to save.
   */
  changes() {
    if (!this.authenticated) return null;
    let out = null;
    const d = this.d;
    const base = this.#base;
    if (typeof d !== 'object' || d === null) {
      throw new SessionError('invalidValue', 'session.d must be an object', 'd');
    }
    for (const k in d) {
      const v = d[k];
      if (base[k] !== v || !(k in base) || isReserved(k)) {
        if (isReserved(k)) throw reservedError(k);
        (out ??= {})[k] = v === undefined ? null : v;
      }
    }
    for (const k in base) if (!(k in d) && !isReserved(k)) (out ??= {})[k] = null;
    if (this.lastIp !== this.#storedIp) (out ??= {})[IP] = this.lastIp;
    return out;
  }

  /**
   * Saves the changes, if any, with one `set`; afterwards there is nothing left to save. The
   * middleware calls it when the response ends.
   */
  async save() {
    const changes = this.changes();
    if (changes === null) return;
    // What is being written is the new base, even if the write fails (it is reported then).
    this.#base = { ...this.d };
    this.#storedIp = this.lastIp;
    const s = await this.#sessions.set({ app: this.#settings.app, token: this.token, d: changes });
    if (s !== null) this.w = s.w;
  }

  /** A plain object of the fields (for logs and JSON). */
  toJSON() {
    return {
      authenticated: this.authenticated,
      id: this.id,
      authenticatableID: this.authenticatableID,
      firstAccessed: this.firstAccessed,
      lastAccessed: this.lastAccessed,
      firstIp: this.firstIp,
      lastIp: this.lastIp,
      userAgent: this.userAgent,
      r: this.r,
      w: this.w,
      ttl: this.ttl,
      d: this.d,
    };
  }
}

function reservedError(key) {
  return new SessionError('invalidValue', `d: the key ${JSON.stringify(key)} is reserved by the middleware`, 'd');
}

/**
 * The session of a request: made and looked up from the request's headers
 * (`authorization`, `x-access-token`, `cookie`).
 */
export function loadSession(settings, adapter, req, res, authorization, accessToken, cookieHeader) {
  const sessions = settings.sessionsFor(req);
  const token = tokenOf(authorization, accessToken, cookieHeader, settings.cookie.name);
  return new RequestSession(settings, sessions, adapter, req, res, token).load(token);
}
