// The users-session-manager stand-in: its `SessionManager`, a singleton EventEmitter with
// synchronous methods (loadNewSession, getSessionData, checkSessionStatus...), over a
// `SessionsSync` (the embedded store, answered within the call). Session keys are the core's
// tokens; expiry is the core's: sessions expire in the core and its sweeping reports them
// (one unref'd timer for all of them, instead of one setTimeout per user).
import { emitterBase } from '../emitter.mjs';
import { SessionError } from '../errors.mjs';
import { handleOf } from '../middleware/handle.mjs';

const APP = 'users';
/** The core's TTL bounds, in seconds. */
const MIN_TIMEOUT = 10;
const MAX_TIMEOUT = 31536000;
/** How often the core is asked to sweep expired sessions (ms of real time). */
const SWEEP_EVERY_MS = 1000;

/** A key that names no live session (unknown, expired or deleted). */
function notFound() {
  return new SessionError('invalidValue', 'Session key not found or expired', 'key');
}

/**
 * The `SessionManager` class over `SessionsSync` (a binding's class). Each class made here is
 * its own singleton: `new SessionManager()` always returns the first instance.
 */
export function makeSessionManagerClass(SessionsSync, options = {}) {
  let instance = null;
  const Base = emitterBase(options);

  return class SessionManager extends Base {
    #sessions;
    #timeout = 3600;
    #io = null;
    #clock;
    /** Handle -> key of the live sessions: the core's events name a session by its handle. */
    #keys = new Map();

    /**
     * @param {object} [options] `clock` (ms since the epoch, default Date.now: tests move it).
     *   Only the first construction takes options; later ones return that instance.
     */
    constructor(options) {
      if (instance !== null) {
        if (options !== undefined) throw new TypeError('the SessionManager exists already: options are taken by the first new SessionManager() only');
        // A constructor returning an object gives that object: the singleton.
        return instance;
      }
      super();
      const o = options ?? {};
      const clock = o.clock ?? Date.now;
      if (typeof clock !== 'function') throw new TypeError('options.clock must be a function');
      this.#clock = clock;
      this.#sessions = new SessionsSync({ clock });
      this.#sessions.on('destroyed', (e) => this.#ended(e));
      // The core sweeps inside calls too; this timer reports expiries while nobody calls.
      const timer = setInterval(() => this.#sessions.sweep({ app: APP }), SWEEP_EVERY_MS);
      timer.unref?.();
      instance = this;
    }

    /** Sets the timeout of sessions (seconds, 10 to 31536000): true, or false (unchanged). */
    setSessionTimeOut(sessionTimeout) {
      if (!Number.isInteger(sessionTimeout) || sessionTimeout < MIN_TIMEOUT || sessionTimeout > MAX_TIMEOUT) return false;
      this.#timeout = sessionTimeout;
      return true;
    }

    /** The timeout of sessions in seconds (default 3600). */
    getSessionTimeOut() {
      return this.#timeout;
    }

    /** The usernames with a live session (each once). */
    getLoggedUsers() {
      const { sessions } = this.#sessions.soapp({ app: APP, dt: MAX_TIMEOUT });
      return [...new Set(sessions.map((s) => s.id))];
    }

    /** Keeps the Socket.IO server for `sendLogoutMessage`: true. */
    initSocketReference(ioRef) {
      this.#io = ioRef;
      return true;
    }

    /** The same as `initSocketReference` (the name in the package's README example). */
    initSocketReferences(ioRef) {
      return this.initSocketReference(ioRef);
    }

    /** The Socket.IO server given to `initSocketReference`, or null. */
    getSocketReference() {
      return this.#io;
    }

    /** A new session for `username`: its key. Emits `sessionCreated`. */
    loadNewSession(username) {
      const created = { app: APP, id: username, ip: 'unknown', ttl: this.#timeout, d: { createdAt: +this.#clock() } };
      const { token } = this.#sessions.create(created);
      this.#keys.set(handleOf(token), token);
      this.emit('sessionCreated', token);
      return token;
    }

    /** The same as `loadNewSession`. */
    addSession(username) {
      return this.loadNewSession(username);
    }

    /** Replaces the session's data (any JSON value): true. Throws if the key names no session. */
    setSessionData(key, data) {
      const text = JSON.stringify(data ?? {});
      if (this.#sessions.set({ app: APP, token: key, d: { data: text } }) === null) throw notFound();
      return true;
    }

    /** The session's data ({} until set). Throws if the key names no session. */
    getSessionData(key) {
      const s = this.#sessions.get({ app: APP, token: key });
      if (s === null) throw notFound();
      return dataOf(s);
    }

    /** Restarts the session's timeout (with the current `getSessionTimeOut()`): true. Throws if none. */
    restartSessionTimer(key) {
      if (this.#sessions.setTtl({ app: APP, token: key, ttl: this.#timeout }) === null) throw notFound();
      return true;
    }

    /** `{ username, createdAt, data }` of the session, or false. */
    getSessionDetails(key) {
      const s = this.#read(key);
      if (s === null) return false;
      return { username: s.id, createdAt: s.d?.createdAt, data: dataOf(s) };
    }

    /** Deletes the session: true (emits `activeUserDeleted` and `sessionDeleted`). Throws if none. */
    deleteSession(key) {
      if (this.#sessions.kill({ app: APP, token: key }).kill === 0) throw notFound();
      return true;
    }

    /** Deletes every session: true. */
    deleteAllSessions() {
      this.#sessions.killall({ app: APP });
      return true;
    }

    /** Emits `notifyClientToLogout` with the Socket.IO server and the key: true. */
    sendLogoutMessage(key) {
      this.emit('notifyClientToLogout', this.#io, key);
      return true;
    }

    /** True when the key names a live session (reading it counts as activity). Throws if not. */
    checkSessionStatus(key) {
      if (this.#sessions.get({ app: APP, token: key }) === null) throw notFound();
      return true;
    }

    /** The session's username, or false. */
    getUsernameFromSessionKey(key) {
      const s = this.#read(key);
      return s === null ? false : s.id;
    }

    /** The session of `key`, or null; a key that cannot be one (missing, malformed) is none. */
    #read(key) {
      try {
        return this.#sessions.get({ app: APP, token: key });
      } catch (e) {
        if (e instanceof SessionError && (e.name === 'invalidFormat' || e.name === 'missingParameter')) return null;
        throw e;
      }
    }

    /** A session ended in the core: deleted, or expired (then the client is told to log out). */
    #ended(event) {
      const key = this.#keys.get(event.handle);
      if (key === undefined) return;
      this.#keys.delete(event.handle);
      if (event.reason === 'expired') this.sendLogoutMessage(key);
      this.emit('activeUserDeleted', key);
      this.emit('sessionDeleted', key);
    }
  };
}

/** A stored session's data: what `setSessionData` stored, or {}. */
function dataOf(s) {
  const text = s.d?.data;
  return typeof text === 'string' ? JSON.parse(text) : {};
}
