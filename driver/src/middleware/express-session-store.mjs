// A Store for express-session over session-core: existing express-session apps change only
// their `store:` line. express-session names a session by its own id (the sid, from its
// signed cookie); session-core names it by a token that only the core draws. So each sid is
// mapped to one session-core session:
//
// - the session's user id is "es:" + base64url(SHA-256(sid)): `soid` finds the session of a
//   sid, and `destroy` is one `killsoid`;
// - the session's data holds express-session's session as JSON without its cookie (key "s"),
//   the cookie apart (key "c": `touch` replaces the cookie alone, as MemoryStore's does, in
//   one write that keeps data another request saved meanwhile), and the session's own token
//   encrypted with a keystream derived from the sid (key "k": token XOR SHA-256(sid, n)), so
//   that later calls can `set` and `touch` it.
//
// Neither sids nor tokens are stored in the clear: a dump of the store holds only hashes of
// sids and tokens that only the sid decrypts (and whoever holds a sid, with the cookie
// secret, holds the session anyway). A bounded in-process map remembers recent sid -> token
// pairs, so that a request usually costs one call to the core, not a listing first.
//
// The cookie's expiry decides, as in MemoryStore and connect-redis: the TTL of a session is the
// time its cookie has left (`expires`, a Date or, from a plain object, its JSON text; `maxAge`
// without one; in whole seconds, 10 at least: the core's floor), or `ttl` for cookies that
// never expire; an expiry already passed destroys it. Because of the floor and the rounding, the
// core may keep a session a little longer than its cookie: every read checks `expires` too, and
// a session whose cookie has expired is destroyed and not answered.
import { Store } from 'express-session';
import { SessionError } from '../errors.mjs';
import { base64url, sha256 } from './handle.mjs';
import { isToken } from './cookies.mjs';
import { makeSessionsSource } from './options.mjs';

const APP = /^[A-Za-z0-9_-]{3,20}$/;
const MIN_TTL = 10;
const MAX_TTL = 31536000;
/** Listings are read in pages of this many sessions. */
const PAGE = 1000;
/** How many sid -> token pairs are remembered. */
const REMEMBERED = 10000;

const encoder = new TextEncoder();

/** SHA-256 of the sid's UTF-8 bytes followed by the bytes of `suffix`. */
function digest(sid, suffix) {
  return sha256(encoder.encode(sid + suffix));
}

/** The user id of a sid's session. */
const idOf = (sid) => `es:${base64url(digest(sid, ''))}`;

/** 64 bytes of keystream for a sid's token. */
function keystream(sid) {
  const out = new Uint8Array(64);
  out.set(digest(sid, '\u0000token:1'), 0);
  out.set(digest(sid, '\u0000token:2'), 32);
  return out;
}

/** The token encrypted under the sid, as 128 hex digits. */
function seal(sid, token) {
  const ks = keystream(sid);
  let out = '';
  for (let i = 0; i < 64; i++) out += (token.charCodeAt(i) ^ ks[i]).toString(16).padStart(2, '0');
  return out;
}

/** The token sealed under the sid, or null if `sealed` is not one. */
function unseal(sid, sealed) {
  if (typeof sealed !== 'string' || sealed.length !== 128) return null;
  const ks = keystream(sid);
  let token = '';
  for (let i = 0; i < 64; i++) token += String.fromCharCode(Number.parseInt(sealed.slice(2 * i, 2 * i + 2), 16) ^ ks[i]);
  return isToken(token) ? token : null;
}

/**
 * When `cookie` expires (ms since the epoch): `undefined` when it never does (no `expires`),
 * NaN when its `expires` is not a date (an invalid Date, which JSON writes as null).
 */
function expiryOf(cookie) {
  const expires = cookie?.expires;
  if (expires === undefined || expires === null) return undefined;
  return new Date(expires).getTime();
}

/** Whether a stored session's cookie has expired at `now` (MemoryStore's check). */
function expired(sess, now) {
  const at = expiryOf(sess?.cookie);
  return at !== undefined && at <= now;
}

/** The stored data of `sess`: `{ s, c }` (the cookie apart; `c` null deletes a stored one). */
function encode(sess) {
  const { cookie, ...rest } = sess;
  return { s: JSON.stringify(rest), c: cookie === undefined ? null : JSON.stringify(cookie) };
}

/** express-session's session from stored data `d`, or null when `d` holds none. */
function decode(d) {
  if (typeof d?.s !== 'string') return null;
  const rest = JSON.parse(d.s);
  // Without "c": a session stored before the cookie was kept apart, its cookie inside "s".
  return typeof d.c === 'string' ? { cookie: JSON.parse(d.c), ...rest } : rest;
}

function checkTtl(ttl, field) {
  if (!Number.isInteger(ttl) || ttl < MIN_TTL || ttl > MAX_TTL) {
    throw new SessionError('invalidValue', `options.${field} must be whole seconds from ${MIN_TTL} to ${MAX_TTL}`, field);
  }
  return ttl;
}

/**
 * Calls express-session's callback, if given, with the outcome of `promise`; without one,
 * returns the promise (for callers that await).
 */
function settle(promise, cb) {
  if (typeof cb !== 'function') return promise;
  promise.then(
    (v) => queueMicrotask(() => cb(null, v)),
    (e) => queueMicrotask(() => cb(e)),
  );
  return undefined;
}

/** `session-core/express-session-store` over a binding: `{ Sessions, redis }`. */
export function makeExpressSessionStore(binding) {
  const source = makeSessionsSource(binding);

  class SessionCoreStore extends Store {
    #sessions;
    #app;
    #ttl;
    #ip;
    /** sid -> token, most recently used last. */
    #tokens = new Map();

    /**
     * @param {object} [options]
     * @param {object} [options.sessions] a Sessions instance (default: the embedded store).
     * @param {string} [options.redis] a Redis URL (session-core only).
     * @param {string} [options.app] the app name sessions are kept under (default "express").
     * @param {number} [options.ttl] seconds, for cookies that never expire (default 86400).
     * @param {string} [options.ip] the `ip` recorded with each session (default "express-session").
     */
    constructor(options = {}) {
      super();
      const o = options ?? {};
      this.#app = o.app ?? 'express';
      if (typeof this.#app !== 'string' || !APP.test(this.#app)) {
        throw new SessionError('invalidValue', 'options.app must be 3 to 20 characters of [A-Za-z0-9_-]', 'app');
      }
      this.#ttl = checkTtl(o.ttl ?? 86400, 'ttl');
      this.#ip = o.ip ?? 'express-session';
      if (typeof this.#ip !== 'string' || this.#ip.length < 1 || this.#ip.length > 39) {
        throw new SessionError('invalidValue', 'options.ip must be 1 to 39 characters', 'ip');
      }
      if (o.sessions !== undefined && o.sessions !== null) {
        if (typeof o.sessions.soid !== 'function') throw new SessionError('invalidValue', 'options.sessions must be a Sessions instance', 'sessions');
        this.#sessions = o.sessions;
      } else if (o.redis !== undefined) {
        if (!source.redis) throw new SessionError('invalidValue', 'options.redis needs the napi package session-core; pass options.sessions', 'redis');
        if (typeof o.redis !== 'string' || o.redis === '') throw new SessionError('invalidValue', 'options.redis must be a Redis URL', 'redis');
        this.#sessions = source.overRedis(o.redis);
      } else {
        this.#sessions = source.embedded();
      }
    }

    /** The Sessions this store keeps its sessions in. */
    get sessions() {
      return this.#sessions;
    }

    /**
     * The TTL of `sess` in seconds: the time its cookie has left (from `expires`, else
     * `maxAge`), rounded up, or 0 when it has expired; the store's `ttl` for a cookie that
     * never expires, and for an expiry that is not a date (express-session reports that one
     * itself, "option expires is invalid", when it writes the cookie; MemoryStore keeps it).
     */
    #ttlOf(sess) {
      const cookie = sess?.cookie;
      const at = expiryOf(cookie);
      let left;
      if (at !== undefined) left = at - Date.now();
      else if (typeof cookie?.maxAge === 'number') left = cookie.maxAge;
      if (left === undefined || Number.isNaN(left)) return this.#ttl;
      if (left <= 0) return 0;
      return Math.min(MAX_TTL, Math.max(MIN_TTL, Math.ceil(left / 1000)));
    }

    #remember(sid, token) {
      const tokens = this.#tokens;
      tokens.delete(sid);
      tokens.set(sid, token);
      if (tokens.size > REMEMBERED) tokens.delete(tokens.keys().next().value);
    }

    /** The live session of `sid`, from a listing: `{ token, s }`, or null. */
    async #find(sid) {
      const { sessions } = await this.#sessions.soid({ app: this.#app, id: idOf(sid) });
      for (const listed of sessions) {
        const token = unseal(sid, listed.d?.k);
        if (token !== null) {
          this.#remember(sid, token);
          return { token, s: listed };
        }
      }
      return null;
    }

    /** The token of `sid`'s live session, or null. */
    async #token(sid) {
      return this.#tokens.get(sid) ?? (await this.#find(sid))?.token ?? null;
    }

    async #get(sid) {
      const app = this.#app;
      const known = this.#tokens.get(sid);
      let sess = null;
      if (known !== undefined) {
        const s = await this.#sessions.get({ app, token: known });
        sess = decode(s?.d);
        if (sess === null) this.#tokens.delete(sid);
      }
      if (sess === null) {
        const found = await this.#find(sid);
        sess = decode(found?.s.d);
        if (sess === null) return null;
        await this.#sessions.touch({ app, token: found.token });
      }
      // The core may outlive the cookie by its floor and rounding: MemoryStore's check decides.
      if (expired(sess, Date.now())) {
        await this.#destroy(sid);
        return null;
      }
      return sess;
    }

    async #set(sid, sess) {
      const ttl = this.#ttlOf(sess);
      if (ttl === 0) return this.#destroy(sid);
      const app = this.#app;
      const sessions = this.#sessions;
      const d = encode(sess);
      const token = await this.#token(sid);
      if (token !== null) {
        const s = await sessions.set({ app, token, d });
        if (s !== null) {
          if (s.ttl !== ttl) await sessions.setTtl({ app, token, ttl });
          return;
        }
        this.#tokens.delete(sid);
      }
      // A new session: the token is known only once it exists, so it is sealed in a second write.
      if (d.c === null) delete d.c;
      const created = await sessions.create({ app, id: idOf(sid), ip: this.#ip, ttl, d });
      await sessions.set({ app, token: created.token, d: { k: seal(sid, created.token) } });
      this.#remember(sid, created.token);
    }

    /** As MemoryStore's: the stored session's cookie becomes `sess`'s, its data stays. */
    async #touch(sid, sess) {
      const ttl = this.#ttlOf(sess);
      if (ttl === 0) return this.#destroy(sid);
      const app = this.#app;
      const token = await this.#token(sid);
      if (token === null) return;
      const s = await this.#sessions.set({ app, token, d: { c: encode(sess).c } });
      if (s === null) this.#tokens.delete(sid);
      else if (s.ttl !== ttl) await this.#sessions.setTtl({ app, token, ttl });
    }

    async #destroy(sid) {
      this.#tokens.delete(sid);
      await this.#sessions.killsoid({ app: this.#app, id: idOf(sid) });
    }

    /**
     * Every live session of the app, from its listing, page by page; those whose cookie has
     * expired are destroyed instead (as MemoryStore's `all` and `length` do).
     */
    async #each(visit) {
      const app = this.#app;
      const now = Date.now();
      const ended = [];
      let cursor;
      do {
        const page = await this.#sessions.soapp({ app, dt: MAX_TTL, limit: PAGE, cursor });
        for (const listed of page.sessions) {
          const sess = decode(listed.d);
          if (sess === null) continue;
          if (expired(sess, now)) ended.push(listed.handle);
          else visit(sess);
        }
        cursor = page.cursor;
      } while (cursor !== undefined);
      for (const handle of ended) await this.#sessions.kill({ app, handle });
    }

    async #all() {
      const out = [];
      await this.#each((sess) => out.push(sess));
      return out;
    }

    async #length() {
      let n = 0;
      await this.#each(() => n++);
      return n;
    }

    async #clear() {
      this.#tokens.clear();
      await this.#sessions.killall({ app: this.#app });
    }

    get(sid, cb) {
      return settle(this.#get(sid), cb);
    }

    set(sid, sess, cb) {
      return settle(this.#set(sid, sess).then(() => undefined), cb);
    }

    touch(sid, sess, cb) {
      return settle(this.#touch(sid, sess).then(() => undefined), cb);
    }

    destroy(sid, cb) {
      return settle(this.#destroy(sid), cb);
    }

    /** The sessions, as an array (sids are not kept: only their hashes). */
    all(cb) {
      return settle(this.#all(), cb);
    }

    length(cb) {
      return settle(this.#length(), cb);
    }

    clear(cb) {
      return settle(this.#clear(), cb);
    }
  }

  return { SessionCoreStore };
}
