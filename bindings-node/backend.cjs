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
 * master Sentinel names), or `{ url, username?, password?, tls?, waitReplicas?, waitTimeout? }`
 * where `tls` is `true` or `{ ca?, cert?, key? }` (PEM
 * text or Buffers, as node:tls takes them; `ca` may be an array). `tls` turns a `redis://`
 * URL into `rediss://`. Returns the URL and the addon's settings (`undefined` for none).
 */
function redisTarget(redis) {
  if (typeof redis === 'string') {
    if (redis === '') throw new TypeError("options.redis must be a Redis URL, such as 'redis://127.0.0.1:6379'");
    return { url: redis, settings: undefined };
  }
  if (typeof redis !== 'object' || Array.isArray(redis)) {
    throw new TypeError(
      "options.redis must be a Redis URL, such as 'redis://127.0.0.1:6379', or { url, username, password, tls }",
    );
  }
  let { url } = redis;
  if (typeof url !== 'string' || url === '') {
    throw new TypeError("options.redis.url must be a Redis URL, such as 'rediss://redis.example:6380'");
  }
  const settings = {};
  for (const name of ['username', 'password']) {
    const v = redis[name];
    if (v === undefined || v === null) continue;
    if (typeof v !== 'string' || v === '') throw new TypeError(`options.redis.${name} must be a non-empty string`);
    settings[name] = v;
  }
  for (const [name, min] of [['waitReplicas', 0], ['waitTimeout', 1]]) {
    const v = redis[name];
    if (v === undefined || v === null) continue;
    if (!Number.isInteger(v) || v < min || v > 2 ** 31 - 1) {
      throw new TypeError(`options.redis.${name} must be an integer from ${min} to 2147483647`);
    }
    settings[name] = v;
  }
  const tls = redis.tls;
  if (tls !== undefined && tls !== null && tls !== false) {
    if (tls !== true && (typeof tls !== 'object' || Array.isArray(tls))) {
      throw new TypeError('options.redis.tls must be true or { ca, cert, key }');
    }
    if (/^redis:\/\//i.test(url)) url = `rediss://${url.slice('redis://'.length)}`;
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
  return { url, settings: Object.keys(settings).length > 0 ? settings : undefined };
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
 * some.
 */
function redisConnection(connection) {
  const url = redisUrl(connection);
  const socket = connection.options?.socket ?? {};
  const tls = {};
  for (const name of ['ca', 'cert', 'key']) {
    if (socket[name] !== undefined && socket[name] !== null) tls[name] = socket[name];
  }
  return Object.keys(tls).length > 0 ? { url, tls } : url;
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
