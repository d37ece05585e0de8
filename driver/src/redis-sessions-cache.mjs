// The session cache of the redis-sessions drop-in: redis-sessions 4's `sessionCache`, an
// lru-cache 10 `LRUCache({ max: cachemax, ttl: cachetime * 1000, updateAgeOnGet: false,
// ttlAutopurge: false })` (redis-sessions dist/index.js, constructor), with the same
// behaviour on a clock of the drop-in's:
//
// - `get` answers an entry at most `ttl` ms old (older ones are dropped then) and makes it
//   the most recently used; its age is not reset;
// - `set` stores an entry (again) with a fresh age, as the most recently used; when `max`
//   entries are held, the least recently used goes first, stale or not;
// - entries are dropped by key, and, for the drop-in's evictions of sessions it knows only by
//   handle, by `app:handle` (`handle` given at `set`) or by the app and user id of the cached
//   session.

/** lru-cache's own check of `max` and `ttl` (a positive integer). */
function isPosInt(n) {
  return n && n === Math.floor(n) && n > 0 && Number.isFinite(n);
}

/**
 * The cache redis-sessions builds for `cachetime` and `cachemax`, or null when `cachetime` is
 * not above 0 (no cache). Throws lru-cache's TypeErrors for the values it refuses.
 */
export function sessionCache(cachetime, cachemax, now) {
  if (!(cachetime && cachetime > 0)) return null;
  const max = cachemax ? (cachemax > 0 ? cachemax : 5000) : 5000;
  if (!isPosInt(max)) throw new TypeError('max option must be a nonnegative integer');
  const ttl = cachetime * 1000;
  if (!isPosInt(ttl)) throw new TypeError('ttl must be a positive integer if specified');
  return new SessionCache(max, ttl, now);
}

export class SessionCache {
  /** key -> { value, start, handleKey }; Map order is recency order (least recent first). */
  #entries = new Map();
  /** `app:handle` -> key */
  #byHandle = new Map();
  #max;
  #ttl;
  #now;

  constructor(max, ttl, now) {
    this.#max = max;
    this.#ttl = ttl;
    this.#now = now;
  }

  get size() {
    return this.#entries.size;
  }

  /** The most entries held (redis-sessions' `sessionCache.max`). */
  get max() {
    return this.#max;
  }

  get(key) {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    if (this.#now() - entry.start > this.#ttl) {
      this.delete(key);
      return undefined;
    }
    this.#entries.delete(key);
    this.#entries.set(key, entry);
    return entry.value;
  }

  /** Stores `value` under `key`; `handleKey` (`app:handle`) lets `deleteHandle` find it. */
  set(key, value, handleKey) {
    const start = this.#now();
    this.delete(key);
    if (this.#entries.size >= this.#max) this.delete(this.#entries.keys().next().value);
    this.#entries.set(key, { value, start, handleKey });
    if (handleKey !== undefined) this.#byHandle.set(handleKey, key);
  }

  delete(key) {
    const entry = this.#entries.get(key);
    if (entry === undefined) return false;
    this.#entries.delete(key);
    if (entry.handleKey !== undefined) this.#byHandle.delete(entry.handleKey);
    return true;
  }

  /** Drops the session cached under `app:handle`, if it was stored with that handle. */
  deleteHandle(handleKey) {
    const key = this.#byHandle.get(handleKey);
    return key === undefined ? false : this.delete(key);
  }

  /** Drops every cached session of `app` whose user is `id` (every one of `app` without `id`). */
  deleteWhere(app, id) {
    const prefix = `${app}:`;
    for (const [key, entry] of this.#entries) {
      if (key.startsWith(prefix) && (id === undefined || entry.value.id === id)) this.delete(key);
    }
  }

  clear() {
    this.#entries.clear();
    this.#byHandle.clear();
  }
}
