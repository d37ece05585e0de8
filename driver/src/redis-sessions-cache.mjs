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
//   session;
// - the sessions `get` reads enter in the order the reads were sent, whatever order their
//   answers come back in: redis-sessions sets its cache entry when its HMGET's reply arrives,
//   and one connection's replies come in the order of its commands. A read reserves its place
//   when it is sent (`reserve`) and fills it when answered (`fill`, or `abandon`); an answer
//   waits for the ones sent before it. An eviction meanwhile (by key, handle, user or all)
//   voids the places it matches, as the eviction arriving after the reply would have undone
//   the entry.

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
  /** Places of reads sent and not yet entered, in the order they were sent. */
  #pending = [];
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
      this.#remove(key);
      return undefined;
    }
    this.#entries.delete(key);
    this.#entries.set(key, entry);
    return entry.value;
  }

  /** Stores `value` under `key`; `handleKey` (`app:handle`) lets `deleteHandle` find it. */
  set(key, value, handleKey) {
    const start = this.#now();
    this.#remove(key);
    if (this.#entries.size >= this.#max) this.#remove(this.#entries.keys().next().value);
    this.#entries.set(key, { value, start, handleKey });
    if (handleKey !== undefined) this.#byHandle.set(handleKey, key);
  }

  /**
   * The place of a read of `key` being sent now: its answer enters the cache (`fill`) after
   * the answers of the reads sent before it.
   */
  reserve(key, handleKey) {
    const place = { key, handleKey, value: undefined, answered: false, void: false };
    this.#pending.push(place);
    return place;
  }

  /** The read of `place` answered `value`: it enters the cache in its turn. */
  fill(place, value) {
    place.value = value;
    place.answered = true;
    this.#enter();
  }

  /** The read of `place` has nothing to enter (no session, an error, no live channel). */
  abandon(place) {
    place.void = true;
    place.answered = true;
    this.#enter();
  }

  /** Enters the answered places at the head of the queue, in the order they were sent. */
  #enter() {
    const pending = this.#pending;
    while (pending.length > 0 && pending[0].answered) {
      const place = pending.shift();
      if (!place.void) this.set(place.key, place.value, place.handleKey);
    }
  }

  /** Voids the reads in flight that `matches(place)`. */
  #voidPending(matches) {
    for (const place of this.#pending) if (matches(place)) place.void = true;
  }

  /** An eviction of `key` (and of the reads of it in flight). */
  delete(key) {
    this.#voidPending((place) => place.key === key);
    return this.#remove(key);
  }

  #remove(key) {
    const entry = this.#entries.get(key);
    if (entry === undefined) return false;
    this.#entries.delete(key);
    if (entry.handleKey !== undefined) this.#byHandle.delete(entry.handleKey);
    return true;
  }

  /** Drops the session cached under `app:handle`, if it was stored with that handle. */
  deleteHandle(handleKey) {
    this.#voidPending((place) => place.handleKey !== undefined && place.handleKey === handleKey);
    const key = this.#byHandle.get(handleKey);
    return key === undefined ? false : this.#remove(key);
  }

  /** Drops every cached session of `app` whose user is `id` (every one of `app` without `id`). */
  deleteWhere(app, id) {
    const prefix = `${app}:`;
    // A read not answered yet has no user id to compare: voided, to be safe (a later miss).
    this.#voidPending((place) => place.key.startsWith(prefix) && (id === undefined || !place.answered || place.value?.id === id));
    for (const [key, entry] of this.#entries) {
      if (key.startsWith(prefix) && (id === undefined || entry.value.id === id)) this.#remove(key);
    }
  }

  clear() {
    this.#voidPending(() => true);
    this.#entries.clear();
    this.#byHandle.clear();
  }
}
