// A Store for express-session over session-core: existing express-session apps change only
// their `store:` line. express-session names a session by its own id (the sid, from its
// signed cookie); session-core names it by a token that only the core draws. So each sid is
// mapped to one session-core session:
//
// - the session's user id is "es:" + base64url(SHA-256(sid)): `soid` finds the session of a
//   sid, and `destroy` is one `killsoid`;
// - the session's data holds express-session's session as JSON (key "s"), and its own token
//   encrypted with a keystream derived from the sid (key "k": token XOR SHA-256(sid, n)), so
//   that later calls can `set` and `touch` it.
//
// Neither sids nor tokens are stored in the clear: a dump of the store holds only hashes of
// sids and tokens that only the sid decrypts (and whoever holds a sid, with the cookie
// secret, holds the session anyway). A bounded in-process map remembers recent sid -> token
// pairs, so that a request usually costs one call to the core, not a listing first.
//
// The TTL of a session is its cookie's maxAge (in whole seconds; express-session's `rolling`
// and `touch` slide it, as the core's sliding expiry does), or `ttl` for cookies without one.
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
     * @param {number} [options.ttl] seconds, for cookies without maxAge (default 86400).
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

    /** The TTL of `sess` in seconds (its cookie's maxAge, rounded up), or 0 when it has expired. */
    #ttlOf(sess) {
      const maxAge = sess?.cookie?.maxAge ?? sess?.cookie?.originalMaxAge;
      if (typeof maxAge !== 'number') return this.#ttl;
      if (maxAge <= 0) return 0;
      return Math.min(MAX_TTL, Math.max(MIN_TTL, Math.ceil(maxAge / 1000)));
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
      if (known !== undefined) {
        const s = await this.#sessions.get({ app, token: known });
        if (s !== null && typeof s.d?.s === 'string') return JSON.parse(s.d.s);
        this.#tokens.delete(sid);
      }
      const found = await this.#find(sid);
      if (found === null || typeof found.s.d.s !== 'string') return null;
      await this.#sessions.touch({ app, token: found.token });
      return JSON.parse(found.s.d.s);
    }

    async #set(sid, sess) {
      const ttl = this.#ttlOf(sess);
      if (ttl === 0) return this.#destroy(sid);
      const app = this.#app;
      const sessions = this.#sessions;
      const json = JSON.stringify(sess);
      const token = await this.#token(sid);
      if (token !== null) {
        const s = await sessions.set({ app, token, d: { s: json } });
        if (s !== null) {
          if (s.ttl !== ttl) await sessions.setTtl({ app, token, ttl });
          return;
        }
        this.#tokens.delete(sid);
      }
      // A new session: the token is known only once it exists, so it is sealed in a second write.
      const created = await sessions.create({ app, id: idOf(sid), ip: this.#ip, ttl, d: { s: json } });
      await sessions.set({ app, token: created.token, d: { k: seal(sid, created.token) } });
      this.#remember(sid, created.token);
    }

    async #touch(sid, sess) {
      const ttl = this.#ttlOf(sess);
      if (ttl === 0) return this.#destroy(sid);
      const app = this.#app;
      const token = await this.#token(sid);
      if (token === null) return;
      const s = await this.#sessions.touch({ app, token });
      if (s === null) this.#tokens.delete(sid);
      else if (s.ttl !== ttl) await this.#sessions.setTtl({ app, token, ttl });
    }

    async #destroy(sid) {
      this.#tokens.delete(sid);
      await this.#sessions.killsoid({ app: this.#app, id: idOf(sid) });
    }

    /** Every live session of the app, from its listing, page by page. */
    async #each(visit) {
      let cursor;
      do {
        const page = await this.#sessions.soapp({ app: this.#app, dt: MAX_TTL, limit: PAGE, cursor });
        for (const s of page.sessions) if (typeof s.d?.s === 'string') visit(s);
        cursor = page.cursor;
      } while (cursor !== undefined);
    }

    async #all() {
      const out = [];
      await this.#each((s) => out.push(JSON.parse(s.d.s)));
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
