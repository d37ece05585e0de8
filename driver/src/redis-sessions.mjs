// The redis-sessions compatibility shell: a class with redis-sessions 4's constructor options,
// methods, results and errors over any Sessions class. session-core's
// `session-core/redis-sessions` entry point builds it over Redis; over a backend with no
// Redis, each call fails, saying so.
//
// What it takes from redis-sessions 4's source (dist/index.js), so that a team that changes
// only its import sees the same behaviour:
//
// - its input checks and error objects, messages included (redis-sessions-input.mjs);
// - its session cache (`cachetime`, `cachemax`): an LRU of the sessions `get` read, answered
//   without touching Redis, evicted in every process through the channel
//   `{namespace}:cache` on `set` and `kill` (the message `app:token`, as redis-sessions
//   publishes it) and on `killsoid`, `killall` and the wipe (redis-sessions-cache.mjs);
// - its wipe: expired sessions stay (their users count in `activity`, kills end them) until
//   the sweep that runs every `wipe` seconds. The engine is asked for that with the input
//   switch `_keepExpired` (session_core::ops::Expired::Keep); the `Sessions` class keeps its
//   own policy (an operation that meets an expired session removes it).
import { MapStore } from './map-store.mjs';
import { sessionCache } from './redis-sessions-cache.mjs';
import { ClientClosedError, engineData, rsSession, rsShaped, seconds, validate } from './redis-sessions-input.mjs';

const noop = () => {};
const KEEP = '_keepExpired';

/**
 * The default `connect` of the shell, for backends that cannot reach Redis: a store whose
 * every call fails, saying so (bad input is still reported first, by its own error).
 */
function noRedis(_connection) {
  const fail = () => {
    throw new Error('this backend of session-core has no Redis store');
  };
  return { store: { apply: fail, ping: fail, quit: noop } };
}

/**
 * A store as the shell runs it: shared, so that `Sessions` sweeps it on the `wipe` timer (as
 * redis-sessions wipes), never inside calls.
 */
function sharedStore(store) {
  if (store.shared === true) return store;
  const shared = { shared: true, apply: (batch) => store.apply(batch) };
  if (typeof store.ping === 'function') shared.ping = () => store.ping();
  if (typeof store.quit === 'function') shared.quit = () => store.quit();
  return shared;
}

/** redis-sessions' wipe period in seconds for its `wipe` option (0: no wipe). */
function wipeSeconds(wipe) {
  if (wipe === 0) return 0;
  const seconds = Number(wipe || 600);
  if (!Number.isFinite(seconds)) return 600;
  return seconds < 10 ? 10 : seconds;
}

/**
 * session-core's `cluster` option (redis-sessions has none): a Redis Cluster's nodes, each a
 * URL or `{ host, port }`, instead of `host`/`port`/`options.url`; `undefined` when not given.
 */
function clusterOption(cluster) {
  if (cluster === undefined || cluster === null) return undefined;
  if (!Array.isArray(cluster) || cluster.length === 0) {
    throw new TypeError('cluster must be a non-empty array of node URLs or { host, port }');
  }
  return cluster.map((node, i) => {
    if (typeof node === 'string' && node !== '') return node;
    const { host, port } = node ?? {};
    if (typeof host === 'string' && host !== '' && Number.isInteger(port) && port > 0 && port < 65536) return { host, port };
    throw new TypeError(`cluster[${i}] must be a node URL or { host, port }`);
  });
}

/**
 * session-core's `shards` option (redis-sessions has none): each app's keys over 1 to 64
 * shards, so that one app spreads over a Redis Cluster's masters; `undefined` when not given.
 */
function shardsOption(shards) {
  if (shards === undefined || shards === null) return undefined;
  if (!Number.isInteger(shards) || shards < 1 || shards > 64) {
    throw new TypeError('shards must be an integer from 1 to 64');
  }
  return shards;
}

/** Rejects with the engine's error reshaped as redis-sessions shapes errors. */
function reshape(e) {
  throw rsShaped(e);
}

/**
 * A class that takes redis-sessions' constructor options (`host`, `port`, `namespace`,
 * `wipe`, `cachetime`, `cachemax`, `options.url`, `options.password`...) and behaves like
 * `require('redis-sessions')` over the Redis that `connect(connection)` reaches.
 *
 * `connect` returns the `Sessions` options for it (session-core's napi backend:
 * `{ redis: url }`; or `{ store }`), plus, optionally:
 * - `channel(name, listener)`: a pub/sub channel of that Redis, `{ subscribe(), publish(messages)
 *   (a Promise), quit() }`, whose `listener` gets `message(text)`, `live()` and
 *   `lost(reason)`: the cache's evictions reach other processes through it (without one, the
 *   cache evicts in this process only);
 * - `handleOf(token)`: a token's handle, so that sessions ended by handle (`killsoid`,
 *   `killall`, the wipe) are evicted exactly (without it, by their user).
 *
 * `connection` is `{ url, options }` or `{ host, port, options }` as redis-sessions takes
 * them, or, with session-core's `cluster` option, `{ cluster, options }` (each node a URL or
 * `{ host, port }`).
 *
 * session-core's `shards` option (1 to 64) spreads each app's keys over that many shards of
 * that Redis (`{ redis: { ..., shards } }`).
 *
 * The constructor connects nowhere. It throws only for a `cachetime`/`cachemax` that
 * redis-sessions' cache refuses, with its TypeError, for a `cluster` that is not a list
 * of nodes, and for `shards` outside 1 to 64.
 */
export function makeRedisSessionsClass(Sessions, connect = noRedis) {
  return class RedisSessions extends Sessions {
    #cache;
    #channel = null;
    #handleOf;
    /** The channel's state: 'idle' (not subscribed yet), 'pending', 'live' or 'lost'. */
    #state = 'idle';
    #ready = null;
    #settleReady = noop;
    /** Messages for the channel, sent by the next `#flush`. */
    #outbox = [];
    #flushing = Promise.resolve();
    #closed = false;

    constructor(o = {}) {
      const opts = o ?? {};
      const cluster = clusterOption(opts.cluster);
      const connection =
        cluster !== undefined
          ? { cluster, options: opts.options ?? {} }
          : opts.options?.url
            ? { url: opts.options.url, options: opts.options }
            : { host: opts.host ?? '127.0.0.1', port: opts.port ?? 6379, options: opts.options ?? {} };
      const namespace = String(opts.namespace ?? 'rs');
      const shards = shardsOption(opts.shards);
      const { channel, handleOf, ...reach } = connect(connection) ?? {};
      if (shards !== undefined && reach.redis !== undefined && reach.redis !== null) {
        reach.redis = typeof reach.redis === 'string' ? { url: reach.redis, shards } : { ...reach.redis, shards };
      }
      if (reach.store !== undefined && reach.store !== null) reach.store = sharedStore(reach.store);
      else if (reach.redis === undefined || reach.redis === null) reach.store = sharedStore(new MapStore());
      const clock = opts.clock;
      super({ namespace, wipe: wipeSeconds(opts.wipe), clock, ...reach });
      const now = typeof clock === 'function' ? () => +clock() : () => performance.now();
      this.#cache = sessionCache(opts.cachetime, opts.cachemax, now);
      this.#handleOf = typeof handleOf === 'function' ? handleOf : null;
      if (this.#cache !== null) {
        if (typeof channel === 'function') {
          this.#channel = channel(`${namespace}:cache`, {
            message: (text) => this.#cache.delete(text) || this.#cache.deleteHandle(text),
            live: () => this.#live(true),
            lost: () => this.#live(false),
          });
        } else {
          this.#state = 'live';
        }
        this.on('destroyed', (e) => this.#ended(e));
      }
    }

    async activity(options) {
      validate(options, ['app', 'deltaTime']);
      this.#open();
      const dt = seconds(options.deltaTime, '');
      return super.activity({ app: String(options.app), dt }).catch(reshape);
    }

    async create(options) {
      options.d = options.d || { ___duMmYkEy: null };
      validate(options, ['app', 'id', 'ip', 'ttl', 'd', 'no_resave']);
      let d;
      if (!options.d.___duMmYkEy) {
        // redis-sessions drops the keys whose value is null from the caller's `d`.
        const kept = {};
        for (const k of Object.keys(options.d)) if (options.d[k] !== null) kept[k] = options.d[k];
        options.d = kept;
        if (Object.keys(kept).length > 0) d = engineData(kept);
      }
      this.#open();
      // redis-sessions hands the id to Redis as it is, where node-redis refuses anything but
      // a string (a number too): nothing is written.
      if (typeof options.id !== 'string') throw new TypeError('Invalid argument type');
      const input = {
        app: String(options.app),
        id: String(options.id),
        ip: String(options.ip),
        ttl: seconds(options.ttl, '7200'),
        no_resave: Boolean(options.no_resave),
      };
      if (d !== undefined) input.d = d;
      return super.create(input).catch(reshape);
    }

    async get(options) {
      validate(options, ['app', 'token']);
      const key = `${options.app}:${options.token}`;
      if (this.#cache !== null && !options._nocache) {
        const cached = this.#cache.get(key);
        if (cached) return cached;
      }
      this.#open();
      const cache = this.#cache;
      if (cache === null) {
        const s = await super.get({ app: String(options.app), token: String(options.token), [KEEP]: true }).catch(reshape);
        return s === null ? null : rsSession(s);
      }
      await this.#subscribed();
      // The answer enters the cache in the order the reads were sent (redis-sessions-cache.mjs).
      const place = cache.reserve(key, this.#handleKey(options.app, options.token));
      let s;
      try {
        s = await super.get({ app: String(options.app), token: String(options.token), [KEEP]: true });
      } catch (e) {
        cache.abandon(place);
        throw rsShaped(e);
      }
      if (s === null || this.#state !== 'live') {
        cache.abandon(place);
        return s === null ? null : rsSession(s);
      }
      const o = rsSession(s);
      cache.fill(place, o);
      return o;
    }

    async set(options) {
      validate(options, ['app', 'token', 'd', 'no_resave']);
      this.#open();
      const app = String(options.app);
      const token = String(options.token);
      const s = await super.set({ app, token, d: engineData(options.d), [KEEP]: true }).catch(reshape);
      if (s === null) return null;
      if (this.#cache !== null) await this.#evict(`${app}:${token}`);
      const o = rsSession(s);
      // redis-sessions answers with the caller's own values for the keys it set.
      for (const k of Object.keys(options.d)) if (options.d[k] !== null && o.d !== undefined) o.d[k] = options.d[k];
      // redis-sessions answers a set of a no_resave session with the reply of the HSET of
      // its ttl (0 fields added) as `w`: its `reply[3]` is that command's there.
      if (o.no_resave) o.w = 0;
      return o;
    }

    async kill(options) {
      validate(options, ['app', 'token']);
      const app = String(options.app);
      const token = String(options.token);
      const key = `${app}:${token}`;
      // As redis-sessions: a `get` first (from the cache if there, else from Redis, where it
      // counts as an access of the user), and a session it does not find is not killed.
      if (this.#cache === null || !this.#cache.get(key)) {
        this.#open();
        const s = await super.get({ app, token, [KEEP]: true }).catch(reshape);
        if (s === null) return { kill: 0 };
      }
      this.#open();
      const { kill } = await super.kill({ app, token, [KEEP]: true }).catch(reshape);
      if (this.#cache !== null) await this.#evict(key);
      return { kill };
    }

    async killall(options) {
      validate(options, ['app']);
      this.#open();
      const { kill } = await super.killall({ app: String(options.app), [KEEP]: true }).catch(reshape);
      await this.#flush();
      return { kill };
    }

    async killsoid(options) {
      validate(options, ['app', 'id']);
      this.#open();
      const { kill } = await super.killsoid({ app: String(options.app), id: String(options.id), [KEEP]: true }).catch(reshape);
      await this.#flush();
      return { kill };
    }

    async ping() {
      this.#open();
      return super.ping().catch(reshape);
    }

    async quit() {
      this.#open();
      this.#closed = true;
      this.#channel?.quit();
      this.#cache?.clear();
      return super.quit().catch(reshape);
    }

    async soapp(options) {
      validate(options, ['app', 'deltaTime']);
      this.#open();
      const dt = seconds(options.deltaTime, '');
      const { sessions } = await super.soapp({ app: String(options.app), dt }).catch(reshape);
      return { sessions: sessions.map(rsSession) };
    }

    async soid(options) {
      validate(options, ['app', 'id']);
      this.#open();
      const { sessions } = await super.soid({ app: String(options.app), id: String(options.id) }).catch(reshape);
      return { sessions: sessions.map(rsSession) };
    }

    // session-core's methods beyond redis-sessions follow the wipe as well, and keep the cache
    // right.

    async touch(options) {
      this.#open();
      return super.touch({ ...options, [KEEP]: true });
    }

    async setTtl(options) {
      this.#open();
      const s = await super.setTtl({ ...options, [KEEP]: true });
      if (s !== null && this.#cache !== null) await this.#evict(`${options.app}:${options.token}`);
      return s;
    }

    async regenerate(options) {
      this.#open();
      const r = await super.regenerate({ ...options, [KEEP]: true });
      await this.#flush();
      return r;
    }

    /** After `quit()`, every call that reaches Redis fails as node-redis fails it. */
    #open() {
      if (this.#closed) throw new ClientClosedError();
    }

    #handleKey(app, token) {
      return this.#handleOf === null ? undefined : `${app}:${this.#handleOf(String(token))}`;
    }

    /**
     * The channel said it is subscribed (`true`) or lost its subscription (`false`). While it
     * is lost, the copies held still answer (as redis-sessions' do) but no new ones are made;
     * once subscribed again, evictions may have been missed meanwhile, so none is trusted.
     */
    #live(yes) {
      if (yes && this.#state === 'lost') this.#cache.clear();
      this.#state = yes ? 'live' : 'lost';
      this.#settleReady();
    }

    /** Subscribes at the first use of the cache, and waits for the outcome of that attempt. */
    #subscribed() {
      if (this.#state !== 'idle') return this.#ready;
      this.#state = 'pending';
      this.#ready = new Promise((resolve) => {
        this.#settleReady = () => {
          this.#settleReady = noop;
          resolve();
        };
      });
      this.#channel.subscribe();
      return this.#ready;
    }

    /** Evicts `app:token` here and, through the channel, in every process. */
    #evict(key) {
      this.#cache.delete(key);
      this.#outbox.push(key);
      return this.#flush();
    }

    /** A session ended (events of `kill`, `killsoid`, `killall`, `regenerate`, the wipe). */
    #ended(e) {
      // `kill` evicts and publishes the token itself, as redis-sessions does.
      if (e.reason === 'kill') return;
      const handleKey = `${e.app}:${e.handle}`;
      if (this.#handleOf !== null) this.#cache.deleteHandle(handleKey);
      else this.#cache.deleteWhere(e.app, e.reason === 'killall' ? undefined : e.id);
      this.#outbox.push(handleKey);
      queueMicrotask(() => this.#flush());
    }

    /** Publishes the outbox (one round trip); resolves once Redis took it. */
    #flush() {
      if (this.#outbox.length === 0 || this.#channel === null) {
        this.#outbox.length = 0;
        return this.#flushing;
      }
      const messages = this.#outbox.splice(0);
      const previous = this.#flushing;
      // A failed publish leaves other processes' copies to age out; the call that changed the
      // session succeeded, and says so.
      this.#flushing = previous.then(() => this.#channel.publish(messages)).catch(noop);
      return this.#flushing;
    }
  };
}
