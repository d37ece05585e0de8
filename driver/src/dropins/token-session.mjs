// The token-session 1.0 stand-in: its `TokenSession` class (new, get, getNtouch, set,
// destroy, regenerate, touch, newWttl, setWttl, with callbacks or Promises) over any
// session-core `Sessions`. Session IDs are the core's tokens; every rule (expiry, the TTL of
// each session, merging data) is the core's.
import { SessionError } from '../errors.mjs';
import { answer, decodeData, encodeData, isSessions } from './values.mjs';

/** The client address the core records: token-session has none. */
const IP = 'unknown';

function invalid(field, message) {
  return new SessionError('invalidValue', message, field);
}

/** `data` as token-session takes it: a plain object (undefined: none). */
function dataOf(data, field = 'data') {
  if (data === undefined || data === null) return {};
  if (typeof data !== 'object' || Array.isArray(data)) throw invalid(field, `${field} must be an object`);
  return data;
}

/**
 * The `TokenSession` class over `Sessions` (a binding's class: the store default is
 * `new Sessions()`, its embedded memory store).
 */
export function makeTokenSessionClass(Sessions) {
  return class TokenSession {
    #sessions;
    #app;
    #ttl;
    #genid;

    /**
     * @param {object} [options] `genid` (a function whose string names the session's owner,
     *   the core's user id), `autoTouch` (a boolean; reads always slide the expiry), `store` (a `Sessions`, or a store
     *   written in JavaScript; default: the embedded memory store), `ttl` (seconds, default
     *   the core's 7200), `app` (the core's app name, default "token-session").
     */
    constructor(options = {}) {
      const o = options ?? {};
      if (typeof o !== 'object') throw new TypeError('the TokenSession options must be an object');
      if (o.genid !== undefined && typeof o.genid !== 'function') throw invalid('genid', 'options.genid must be a function');
      // Checked, then nothing to do: every read of the core slides the expiry (autoTouch true).
      if (o.autoTouch !== undefined && typeof o.autoTouch !== 'boolean') throw invalid('autoTouch', 'options.autoTouch must be a boolean');
      const store = o.store;
      if (store === undefined || store === null) this.#sessions = new Sessions();
      else if (isSessions(store)) this.#sessions = store;
      else if (typeof store === 'object' && typeof store.apply === 'function') this.#sessions = new Sessions({ store });
      else throw invalid('store', 'options.store must be a session-core Sessions or a store with apply(batch)');
      this.#app = o.app ?? 'token-session';
      this.#ttl = o.ttl;
      this.#genid = o.genid;
    }

    /** The `Sessions` underneath (for listings, events, quit). */
    get sessions() {
      return this.#sessions;
    }

    /** A new session with `data`: `{ sessionId, data }`. */
    new(data, callback) {
      return answer(this.#create(data, this.#ttl), callback);
    }

    /** A new session with `data` and its own `ttl` (seconds): `{ sessionId, data }`. */
    newWttl(data, ttl, callback) {
      return answer(this.#create(data, ttl), callback);
    }

    /** The session's data, or null when there is no such session (a read slides its expiry). */
    get(sid, callback) {
      return answer(this.#get(sid), callback);
    }

    /** The same as `get`: a read always slides the expiry. */
    getNtouch(sid, callback) {
      return answer(this.#get(sid), callback);
    }

    /** Merges `data` into the session (`null` deletes a key): true, or false if it is gone. */
    set(sid, data, callback) {
      return answer(this.#set(sid, data, undefined), callback);
    }

    /** `set`, then the session's TTL becomes `ttl` seconds. */
    setWttl(sid, data, ttl, callback) {
      if (typeof ttl === 'function') return answer(this.#set(sid, data, undefined), ttl);
      return answer(this.#set(sid, data, ttl), callback);
    }

    /** Ends the session: true if there was one. */
    destroy(sid, callback) {
      // destroy(callback), as token-session's README writes it: the missing sid is the error.
      if (typeof sid === 'function') return this.destroy(undefined, sid);
      return answer(
        this.#sessions.kill({ app: this.#app, token: sid }).then((r) => r.kill > 0),
        callback,
      );
    }

    /** A new session ID for the same session (the old one dies at once), or null. */
    regenerate(sid, session, callback) {
      // regenerate(callback), as token-session's README writes it: the missing sid is the error.
      if (typeof sid === 'function') return this.regenerate(undefined, undefined, sid);
      if (typeof session === 'function') return this.regenerate(sid, undefined, session);
      return answer(
        this.#sessions.regenerate({ app: this.#app, token: sid }).then((r) => (r === null ? null : r.token)),
        callback,
      );
    }

    /** Slides the session's expiry: true, or false if it is gone. */
    touch(sid, session, callback) {
      if (typeof session === 'function') return this.touch(sid, undefined, session);
      return answer(
        this.#sessions.touch({ app: this.#app, token: sid }).then((s) => s !== null),
        callback,
      );
    }

    async #create(data, ttl) {
      const given = dataOf(data);
      const id = this.#genid === undefined ? 'token-session' : this.#genid();
      const d = encodeData(given);
      const options = { app: this.#app, id, ip: IP };
      // The core's d has at least one key: a session without data has none.
      if (Object.keys(d).length > 0) options.d = d;
      if (ttl !== undefined) options.ttl = ttl;
      const { token } = await this.#sessions.create(options);
      return { sessionId: token, data: decodeData(options.d) };
    }

    async #get(sid) {
      const s = await this.#sessions.get({ app: this.#app, token: sid });
      return s === null ? null : decodeData(s.d);
    }

    async #set(sid, data, ttl) {
      const d = encodeData(dataOf(data));
      const app = this.#app;
      // set needs at least one key; an empty update is a touch (token-session's set touches).
      const s = Object.keys(d).length === 0 ? await this.#sessions.touch({ app, token: sid }) : await this.#sessions.set({ app, token: sid, d });
      if (s === null) return false;
      if (ttl !== undefined) return (await this.#sessions.setTtl({ app, token: sid, ttl })) !== null;
      return true;
    }
  };
}
