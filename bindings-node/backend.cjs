// The napi backend of the JS driver (driver.mjs): the addon's classes, and how options reach
// Redis. index.mjs, index.cjs and the redis-sessions entry points all build on it.
'use strict';
const native = require('./native.cjs');

const noop = () => {};

// Engines with calls in flight, by key: held here (strongly) until their answers are in, so
// that the addon's wake-up always finds its engine. An idle engine is held only by its user:
// dropped without quit(), it is garbage-collected and its connection closes.
const busy = new Map();
let keys = 0;

// One timer, ref'd while any call is in flight, keeps the process alive until its answers
// come back (the addon's wake-up never does); unref'd otherwise.
let inFlight = 0;
let keepAlive = null;

function started() {
  if (inFlight++ === 0) {
    if (keepAlive === null) keepAlive = setInterval(noop, 2 ** 31 - 1);
    keepAlive.ref();
  }
}

function finished() {
  if (--inFlight === 0) keepAlive.unref();
}

/**
 * The driver's remote engine over NativeRedisSessions: `call` submits an operation and
 * returns a Promise of its parsed answer. Answers come back in batches: the addon wakes this
 * thread once for all the answers that are ready, and `drain` takes them with one JSON.parse.
 */
class RedisEngine {
  #native;
  #key;
  #pending = new Map();
  #nextId = 0;

  constructor(url, namespace, settings) {
    this.#key = keys = (keys + 1) >>> 0;
    this.#native = new native.NativeRedisSessions(url, namespace, this.#key, RedisEngine.#wake, settings);
  }

  static #wake(key) {
    busy.get(key)?.#drain();
  }

  call(op, inputJson, now) {
    return new Promise((resolve, reject) => {
      const id = (this.#nextId = (this.#nextId + 1) >>> 0);
      this.#pending.set(id, { resolve, reject });
      if (this.#pending.size === 1) busy.set(this.#key, this);
      started();
      try {
        this.#native.submit(id, op, inputJson, now);
      } catch (e) {
        this.#settled(id);
        reject(e);
      }
    });
  }

  ping() {
    return this.call('ping', '{}', 0);
  }

  quit() {
    this.#native.quit();
  }

  #drain() {
    const pending = this.#pending;
    try {
      for (const [id, answer] of JSON.parse(this.#native.drain())) {
        const call = pending.get(id);
        if (call !== undefined) {
          this.#settled(id);
          call.resolve(answer);
        }
      }
    } catch (e) {
      // Cannot happen (the addon writes the JSON); if it did, fail every pending call
      // rather than leave them hanging.
      for (const [id, call] of pending) {
        this.#settled(id);
        call.reject(e);
      }
    }
  }

  #settled(id) {
    this.#pending.delete(id);
    finished();
    if (this.#pending.size === 0) busy.delete(this.#key);
  }
}

/**
 * `new Sessions({ redis })`: the engine over that Redis (the driver's remote engine), or
 * `undefined` for any other options. Connects at the first call.
 */
function openRemote(options) {
  const redis = options.redis;
  if (redis === undefined || redis === null) return undefined;
  const { url, settings } = redisTarget(redis);
  if (options.store !== undefined && options.store !== null) {
    throw new TypeError('options.redis and options.store cannot both be given');
  }
  return new RedisEngine(url, options.namespace ?? 'rs', settings);
}

/**
 * `options.redis`: a URL (`redis://…`, `rediss://…` for TLS, `redis+sentinel://…` for the
 * master Sentinel names), or `{ url, username?, password?, tls?, waitReplicas?, waitTimeout?,
 * shards? }`
 * where `tls` is `true` or `{ ca?, cert?, key? }` (PEM text or Buffers, as node:tls takes
 * them; `ca` may be an array); `cluster` (a Redis Cluster's node URLs) instead of `url`.
 * `tls` turns `redis://` URLs into `rediss://`. Returns the URL (a cluster's first node) and
 * the addon's settings (`undefined` for none).
 */
function redisTarget(redis) {
  if (typeof redis === 'string') {
    if (redis === '') throw new TypeError("options.redis must be a Redis URL, such as 'redis://127.0.0.1:6379'");
    return { url: redis, settings: undefined };
  }
  if (typeof redis !== 'object' || Array.isArray(redis)) {
    throw new TypeError(
      "options.redis must be a Redis URL, such as 'redis://127.0.0.1:6379', or { url (or cluster), username, password, tls }",
    );
  }
  let { url } = redis;
  let nodes = clusterNodes(redis);
  if (nodes !== undefined) {
    if (url !== undefined && url !== null) throw new TypeError('options.redis.url and options.redis.cluster cannot both be given');
    url = nodes[0];
  } else if (typeof url !== 'string' || url === '') {
    throw new TypeError("options.redis.url must be a Redis URL, such as 'rediss://redis.example:6380'");
  }
  const settings = {};
  for (const name of ['username', 'password']) {
    const v = redis[name];
    if (v === undefined || v === null) continue;
    if (typeof v !== 'string' || v === '') throw new TypeError(`options.redis.${name} must be a non-empty string`);
    settings[name] = v;
  }
  for (const [name, min, max] of [['waitReplicas', 0, 2 ** 31 - 1], ['waitTimeout', 1, 2 ** 31 - 1], ['shards', 1, 64]]) {
    const v = redis[name];
    if (v === undefined || v === null) continue;
    if (!Number.isInteger(v) || v < min || v > max) {
      throw new TypeError(`options.redis.${name} must be an integer from ${min} to ${max}`);
    }
    settings[name] = v;
  }
  const tls = redis.tls;
  if (tls !== undefined && tls !== null && tls !== false) {
    if (tls !== true && (typeof tls !== 'object' || Array.isArray(tls))) {
      throw new TypeError('options.redis.tls must be true or { ca, cert, key }');
    }
    url = rediss(url);
    if (nodes !== undefined) nodes = nodes.map(rediss);
    if (tls !== true) {
      for (const name of ['ca', 'cert', 'key']) {
        const pem = pemText(tls[name], name);
        if (pem !== undefined) settings[name] = pem;
      }
      if ((settings.cert === undefined) !== (settings.key === undefined)) {
        throw new TypeError('options.redis.tls.cert and options.redis.tls.key go together');
      }
    }
  }
  if (nodes !== undefined) settings.cluster = nodes;
  return { url, settings: Object.keys(settings).length > 0 ? settings : undefined };
}

/** A `redis://` URL as `rediss://` (others as they are). */
function rediss(url) {
  return /^redis:\/\//i.test(url) ? `rediss://${url.slice('redis://'.length)}` : url;
}

/**
 * `options.redis.cluster`: a Redis Cluster's node URLs (any of its nodes; the client finds
 * the others), checked here so that a mistake is a TypeError naming the field, not a
 * `storeError` at the first call. `undefined` when not given.
 */
function clusterNodes(redis) {
  const nodes = redis.cluster;
  if (nodes === undefined || nodes === null) return undefined;
  if (!Array.isArray(nodes) || nodes.length === 0) {
    throw new TypeError("options.redis.cluster must be a non-empty array of node URLs, such as ['redis://10.0.0.1:6379']");
  }
  return nodes.map((node, i) => {
    if (typeof node !== 'string' || !isRedisUrl(node)) {
      throw new TypeError(`options.redis.cluster[${i}] must be a Redis URL, such as 'redis://10.0.0.1:6379', not ${JSON.stringify(node) ?? String(node)}`);
    }
    return node;
  });
}

/** `redis://host[:port]…` or `rediss://…`, with a host. */
function isRedisUrl(text) {
  let u;
  try {
    u = new URL(text);
  } catch {
    return false;
  }
  return (u.protocol === 'redis:' || u.protocol === 'rediss:') && u.hostname !== '';
}

/** PEM given as text, a Buffer (any Uint8Array), or (for `ca`) an array of them. */
function pemText(value, name) {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('utf8');
  if (name === 'ca' && Array.isArray(value)) return value.map((v) => pemText(v, 'ca[]') ?? '').join('\n');
  throw new TypeError(`options.redis.tls.${name} must be PEM text or a Buffer${name === 'ca' ? ' (or an array of them)' : ''}`);
}

/**
 * The URL of redis-sessions' connection options: `options.url` as it is, or
 * `redis://[username:password@]host:port[/database]` from `host`, `port` and node-redis'
 * `options.username`, `options.password`, `options.database` (and `options.socket.tls`).
 */
function redisUrl(connection) {
  if (connection.url !== undefined) return String(connection.url);
  const o = connection.options ?? {};
  const scheme = o.socket?.tls ? 'rediss' : 'redis';
  const host = String(connection.host);
  const hostPart = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  let auth = '';
  if (o.password !== undefined && o.password !== null) {
    auth = `${encodeURIComponent(o.username ?? '')}:${encodeURIComponent(o.password)}@`;
  } else if (o.username !== undefined && o.username !== null) {
    auth = `${encodeURIComponent(o.username)}@`;
  }
  const db = o.database === undefined || o.database === null ? '' : `/${o.database}`;
  return `${scheme}://${auth}${hostPart}:${connection.port}${db}`;
}

/**
 * What redis-sessions' connection options give `new Sessions({ redis })`: the URL of
 * `redisUrl`, with node-redis' TLS material (`options.socket.ca`, `cert`, `key`) when there is
 * some; or, with session-core's `cluster` option, the cluster's nodes.
 */
function redisConnection(connection) {
  const socket = connection.options?.socket ?? {};
  const tls = {};
  for (const name of ['ca', 'cert', 'key']) {
    if (socket[name] !== undefined && socket[name] !== null) tls[name] = socket[name];
  }
  if (connection.cluster !== undefined) return clusterConnection(connection, tls);
  const url = redisUrl(connection);
  return Object.keys(tls).length > 0 ? { url, tls } : url;
}

/**
 * The drop-in's `cluster` option as `{ redis: { cluster, ... } }`: `{ host, port }` nodes as
 * URLs, node-redis' credentials and TLS settings applying to every node.
 */
function clusterConnection(connection, tls) {
  const o = connection.options ?? {};
  const scheme = { socket: { tls: o.socket?.tls } };
  const cluster = connection.cluster.map((n) => (typeof n === 'string' ? n : redisUrl({ host: n.host, port: n.port, options: scheme })));
  const redis = { cluster };
  if (o.username !== undefined && o.username !== null) redis.username = String(o.username);
  if (o.password !== undefined && o.password !== null) redis.password = String(o.password);
  if (Object.keys(tls).length > 0) redis.tls = tls;
  else if (o.socket?.tls) redis.tls = true;
  return redis;
}

module.exports = {
  NativeSessions: native.NativeSessions,
  NativeOp: native.NativeOp,
  NativeSweepPlan: native.NativeSweepPlan,
  NativeSweepTick: native.NativeSweepTick,
  NativeRedisSessions: native.NativeRedisSessions,
  openRemote,
  redisConnection,
  redisTarget,
  redisUrl,
};
