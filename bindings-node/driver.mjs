// session-core's JavaScript driver: the `Sessions` class users call, written once for every
// backend. A backend is the native engine (the napi addon here; the wasm module in
// session-core-wasm, which copies this file unchanged) and exposes two classes:
//
//   new NativeSessions(namespace, autoSweep).call(op, inputJson, now) -> answerJson
//     and, typed (the fast path of the usual argument types; see #typed for the answer):
//     .get/.touch/.regenerate(app, token, now, events, out), .set(app, token, dJson, now,
//     events, out), .create(app, id, ip, ttl, dJson, noResave, lifetime, now, events, out)
//   new NativeOp(op, inputJson, now, namespace): start() / resume(repliesJson) / fail(message)
//
// and, optionally, `openRemote(options)`: for options that name a store the engine reaches
// by itself (session-core's `redis`), an object that runs whole operations asynchronously,
//
//   call(op, inputJson, now) -> Promise<answer>;  ping() -> Promise<answer>;  quit()
//
// (answers already parsed), and `undefined` for any other options.
//
// An answer is `{"done": result, "events": [...]}` or `{"error": {name, message, field?},
// "events": [...]}`; a NativeOp may also answer `{"batch": [...]}`, a batch of store commands
// (the format is in the core's wire.rs and in the README).
//
// This file adds no session logic: validation, results, expiry and events all come from the
// core. It converts values, maps events to listeners, builds errors, loops batches through a
// store written in JavaScript, and queues calls on the same session. Its only import is
// node:events, which Node, Deno, Bun and workerd (nodejs_compat) all provide.

import { EventEmitter } from 'node:events';

/**
 * The error every operation rejects with. `name` and `code` are the core's error name
 * (redis-sessions' `missingParameter`, `invalidFormat`, `invalidValue`, or `storeError`,
 * `conflict`, `tooLarge`); `message` is the core's text, which names the field; `field` is
 * the input field at fault, when there is one.
 */
export class SessionError extends Error {
  constructor(name, message, field) {
    super(message);
    this.name = name;
    this.code = name;
    if (field !== undefined) this.field = field;
  }
}

function toError(e) {
  return new SessionError(e.name, e.message, e.field);
}

function storeError(message) {
  return new SessionError('storeError', `Store error: ${message}`);
}

function describe(thrown) {
  if (thrown instanceof Error) return thrown.message || thrown.name;
  return String(thrown);
}

// JSON.stringify silently turns NaN and Infinity into null (which would delete a key of `d`)
// and drops functions and symbols (which would hide a wrong value). Values with no JSON form
// are sent as [], which the core rejects with the right error for the field (not a string,
// not a number, not a scalar). The scan is shallow because options are: fields plus `d`.
const NO_JSON = [];

function unrepresentable(v) {
  const t = typeof v;
  if (t === 'number') return !Number.isFinite(v);
  return t === 'bigint' || t === 'function' || t === 'symbol';
}

function replacer(_key, v) {
  return unrepresentable(v) ? NO_JSON : v;
}

function needsReplacer(options) {
  for (const k in options) {
    const v = options[k];
    if (unrepresentable(v)) return true;
    if (k === 'd' && typeof v === 'object' && v !== null) {
      for (const dk in v) if (unrepresentable(v[dk])) return true;
    }
  }
  return false;
}

/** The option object as the JSON the core parses. */
function optionsJson(options) {
  if (options === undefined || options === null || typeof options !== 'object') return '{}';
  return JSON.stringify(options, needsReplacer(options) ? replacer : undefined);
}

// The typed fast path: when a caller passes the usual types (strings, whole numbers, a plain
// object for `d`), they cross to the engine as they are, with `d` as JSON text, instead of one
// JSON text of the whole option object. The engine validates them exactly as it validates
// the option object, so both paths give the same answers and errors (the conformance vectors
// run through both); any other shape takes the general path.

/** A plain object, as `d` must be. */
function isObject(v) {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** `d` as the JSON the core parses (values with no JSON form as in optionsJson). */
function dataJson(d) {
  for (const k in d) if (unrepresentable(d[k])) return JSON.stringify(d, replacer);
  return JSON.stringify(d);
}

/** A whole number of seconds the fast path can pass, or absent (-1). */
function secondsArg(v) {
  if (v === undefined) return -1;
  return Number.isSafeInteger(v) && v >= 0 ? v : undefined;
}

function emitEvents(emitter, events) {
  for (const e of events) {
    try {
      if (e.type === 'created') {
        emitter.emit('created', e);
      } else {
        emitter.emit('destroyed', e);
        if (e.reason === 'expired') emitter.emit('expired', e);
      }
    } catch (err) {
      // A throwing listener must not turn a stored result into a rejection: it goes to the
      // 'error' listeners, or, with none, is rethrown outside the call (an uncaught exception,
      // as from any event handler).
      if (emitter.listenerCount('error') > 0) {
        emitter.emit('error', err);
      } else {
        queueMicrotask(() => {
          throw err;
        });
      }
    }
  }
}

/** Emits an answer's events, then gives its result or throws its error. */
function settle(emitter, answer) {
  if (answer.events.length > 0) emitEvents(emitter, answer.events);
  if (answer.error !== undefined) throw toError(answer.error);
  return answer.done;
}

const noop = () => {};

// The same cadence as the core's default auto-sweep (AutoSweep::default), for stores written
// in JavaScript, where the core's driver loop is this file: one bounded sweep step per second
// at most, piggybacked on calls (no timer, so nothing keeps the process alive), and another
// step at once while a step reports more work.
const SWEEP_INTERVAL_MS = 1000;
const SWEEP_LIMIT = 100;

// Remote stores (shared by many processes) are swept as redis-sessions wipes: on a timer,
// every `wipe` seconds (default 600, at least 10), in steps of REMOTE_SWEEP_LIMIT sessions
// while a step reports more work (at most REMOTE_SWEEP_STEPS steps per tick). The timer is
// unref'd: it never keeps a process alive.
const WIPE_DEFAULT_S = 600;
const WIPE_MIN_S = 10;
const REMOTE_SWEEP_LIMIT = 1000;
const REMOTE_SWEEP_STEPS = 100;

/** Seconds between timed sweeps, as redis-sessions reads its `wipe` option. */
function wipeSeconds(wipe) {
  const s = Number(wipe) || WIPE_DEFAULT_S;
  return Math.max(s, WIPE_MIN_S);
}

/**
 * A remote engine's call failed outright (its answers carry the operation's errors, so this
 * is a failure of the engine itself): the call rejects with storeError.
 */
function remoteFailure(e) {
  throw storeError(describe(e));
}

/**
 * Builds the `Sessions` class over a backend (`{ NativeSessions, NativeOp, openRemote? }`).
 */
export function makeSessionsClass(backend) {
  const { NativeSessions, NativeOp, openRemote } = backend;

  class Sessions extends EventEmitter {
    #native = null;
    #remote = null;
    #store = null;
    #timer = null;
    #sweeping = false;
    #clock;
    #namespace;
    #autoSweep;
    #chains = new Map();
    #sweepDue = 0;
    /** Where typed calls put their answer's numbers (see #typed). */
    #out = new Float64Array(8);

    /**
     * @param {object} [options]
     * @param {object} [options.store] a store written in JavaScript (`apply(batch)`); without
     *   one (and without a remote store the backend knows, such as `redis`), the embedded
     *   memory store is used.
     * @param {() => number} [options.clock] milliseconds since the epoch (default Date.now).
     * @param {string} [options.namespace] the key prefix for stores with string keys ("rs").
     * @param {number} [options.wipe] 0 turns automatic sweeping off (as in redis-sessions);
     *   for a remote store, the seconds between timed sweeps (default 600, at least 10).
     * @param {boolean} [options.autoSweep] false turns automatic sweeping off.
     */
    constructor(options = {}) {
      super();
      const o = options ?? {};
      const clock = o.clock ?? Date.now;
      if (typeof clock !== 'function') throw new TypeError('options.clock must be a function');
      const namespace = o.namespace ?? 'rs';
      if (typeof namespace !== 'string') throw new TypeError('options.namespace must be a string');
      this.#clock = clock;
      this.#namespace = namespace;
      this.#autoSweep = !(o.wipe === 0 || o.autoSweep === false);
      const remote = openRemote === undefined ? undefined : openRemote(o);
      if (remote !== undefined && remote !== null) {
        this.#remote = remote;
        if (this.#autoSweep) this.#startSweeper(wipeSeconds(o.wipe));
      } else if (o.store !== undefined && o.store !== null) {
        if (typeof o.store.apply !== 'function') {
          throw new TypeError('options.store must have an apply(batch) method');
        }
        this.#store = o.store;
      } else {
        this.#native = new NativeSessions(namespace, this.#autoSweep);
      }
    }

    create(options) {
      const n = this.#native;
      if (n !== null && typeof options === 'object' && options !== null) {
        const { app, id, ip, d } = options;
        const noResave = options.no_resave;
        const ttl = secondsArg(options.ttl);
        const lifetime = secondsArg(options.lifetime);
        if (
          typeof app === 'string' &&
          typeof id === 'string' &&
          typeof ip === 'string' &&
          ttl !== undefined &&
          lifetime !== undefined &&
          (d === undefined || isObject(d)) &&
          (noResave === undefined || typeof noResave === 'boolean')
        ) {
          const data = d === undefined ? '' : dataJson(d);
          const out = this.#out;
          const now = this.#now();
          return this.#typed(n.create(app, id, ip, ttl, data, noResave === true, lifetime, now, this.#listened(), out));
        }
      }
      return this.#call('create', options);
    }

    get(options) {
      return this.#onToken('get', options);
    }

    set(options) {
      const n = this.#native;
      if (n !== null && typeof options === 'object' && options !== null) {
        const { app, token, d } = options;
        if (typeof app === 'string' && typeof token === 'string' && isObject(d)) {
          return this.#typed(n.set(app, token, dataJson(d), this.#now(), this.#listened(), this.#out));
        }
      }
      return this.#call('set', options);
    }

    touch(options) {
      return this.#onToken('touch', options);
    }

    setTtl(options) {
      return this.#call('setTtl', options);
    }

    regenerate(options) {
      return this.#onToken('regenerate', options);
    }

    kill(options) {
      return this.#call('kill', options);
    }

    activity(options) {
      return this.#call('activity', options);
    }

    soapp(options) {
      return this.#call('soapp', options);
    }

    soid(options) {
      return this.#call('soid', options);
    }

    killsoid(options) {
      return this.#call('killsoid', options);
    }

    killall(options) {
      return this.#call('killall', options);
    }

    sweep(options) {
      return this.#call('sweep', options);
    }

    /** "PONG" (asks the store when it has a `ping`). */
    ping() {
      if (this.#remote !== null) {
        try {
          return this.#remote.ping().then((answer) => settle(this, answer), remoteFailure);
        } catch (e) {
          return Promise.reject(storeError(describe(e)));
        }
      }
      return this.#storeHook('ping', 'PONG');
    }

    /**
     * Closes the store when it has a `quit` (the memory store has nothing to close), and stops
     * timed sweeping.
     */
    quit() {
      if (this.#timer !== null) {
        clearInterval(this.#timer);
        this.#timer = null;
      }
      if (this.#remote !== null) {
        try {
          this.#remote.quit();
          return Promise.resolve(undefined);
        } catch (e) {
          return Promise.reject(storeError(describe(e)));
        }
      }
      return this.#storeHook('quit', undefined);
    }

    #storeHook(name, fallback) {
      const store = this.#store;
      if (store === null || typeof store[name] !== 'function') return Promise.resolve(fallback);
      try {
        return Promise.resolve(store[name]()).then(
          (v) => (v === undefined ? fallback : v),
          (e) => {
            throw storeError(describe(e));
          },
        );
      } catch (e) {
        return Promise.reject(storeError(describe(e)));
      }
    }

    #now() {
      return +this.#clock();
    }

    /** Whether anybody listens to session events (if not, the engine does not send them). */
    #listened() {
      return this.listenerCount('created') + this.listenerCount('destroyed') + this.listenerCount('expired') > 0;
    }

    /** `get`, `touch` or `regenerate` on the fast path when the caller gave strings. */
    #onToken(op, options) {
      const n = this.#native;
      if (n !== null && typeof options === 'object' && options !== null) {
        const { app, token } = options;
        if (typeof app === 'string' && typeof token === 'string') {
          return this.#typed(n[op](app, token, this.#now(), this.#listened(), this.#out));
        }
      }
      return this.#call(op, options);
    }

    /**
     * A typed answer (the core's host.rs, `MemoryHost::call_typed`): `out[0]` says what the
     * text is. 0: null; 1: a session, as its numbers in `out` and one text of id, ip and d;
     * 2: a token; 3: a whole answer (an error, or events somebody listens to).
     */
    #typed(text) {
      const o = this.#out;
      switch (o[0]) {
        case 0:
          return Promise.resolve(null);
        case 1: {
          const a = o[5];
          const b = a + o[6];
          const s = { id: text.slice(0, a), r: o[1], w: o[2], ttl: o[3], idle: o[4], ip: text.slice(a, b) };
          const flags = o[7];
          if (flags & 2) s.d = JSON.parse(text.slice(b));
          if (flags & 1) s.no_resave = true;
          return Promise.resolve(s);
        }
        case 2:
          return Promise.resolve({ token: text });
        default:
          try {
            return Promise.resolve(settle(this, JSON.parse(text)));
          } catch (e) {
            return Promise.reject(e);
          }
      }
    }

    #call(op, options) {
      try {
        const input = optionsJson(options);
        if (this.#native !== null) {
          // The fast path: one native call runs the whole operation.
          const answer = JSON.parse(this.#native.call(op, input, this.#now()));
          return Promise.resolve(settle(this, answer));
        }
        if (this.#remote !== null) {
          // The same over the network: one native call, answered by a Promise.
          const answer = this.#remote.call(op, input, this.#now());
          return answer.then((a) => settle(this, a), remoteFailure);
        }
        this.#maybeSweep();
        // Calls that name one session queue behind each other, so that many concurrent
        // calls on a hot session take turns instead of failing each other's versioned
        // writes. Other calls run at once and rely on the core's bounded retries.
        const key = options?.token ?? options?.handle;
        if (typeof key !== 'string') return this.#onStore(op, input);
        return this.#serialize(`${options.app}\n${key}`, () => this.#onStore(op, input));
      } catch (e) {
        return Promise.reject(e);
      }
    }

    #serialize(key, run) {
      const chains = this.#chains;
      const prev = chains.get(key);
      const result = prev === undefined ? run() : prev.then(run);
      const tail = result.then(noop, noop);
      chains.set(key, tail);
      tail.then(() => {
        if (chains.get(key) === tail) chains.delete(key);
      });
      return result;
    }

    /** Runs one operation against the JavaScript store: batches out, replies in. */
    async #onStore(op, input, at) {
      const now = at ?? this.#now();
      const machine = new NativeOp(op, input, now, this.#namespace);
      let answer = JSON.parse(machine.start());
      while (answer.batch !== undefined) {
        let next;
        try {
          let replies = this.#store.apply(answer.batch);
          if (replies !== null && typeof replies === 'object' && typeof replies.then === 'function') {
            replies = await replies;
          }
          next = machine.resume(JSON.stringify(replies) ?? 'null');
        } catch (e) {
          next = machine.fail(describe(e));
        }
        answer = JSON.parse(next);
      }
      return settle(this, answer);
    }

    #startSweeper(seconds) {
      // The timer holds the Sessions weakly: one dropped without quit() is still collected
      // (and its timer stops), as is its engine.
      const self = new WeakRef(this);
      const timer = setInterval(() => {
        const sessions = self.deref();
        if (sessions === undefined) clearInterval(timer);
        else sessions.#sweepTick();
      }, seconds * 1000);
      if (typeof timer === 'object' && timer !== null && typeof timer.unref === 'function') timer.unref();
      this.#timer = timer;
    }

    /** One timed sweep: steps while there is more work; skipped while the last one runs. */
    async #sweepTick() {
      if (this.#sweeping) return;
      this.#sweeping = true;
      try {
        for (let step = 0; step < REMOTE_SWEEP_STEPS; step++) {
          const r = await this.#call('sweep', { limit: REMOTE_SWEEP_LIMIT });
          if (!r.more) break;
        }
      } catch {
        // The store is unreachable: the next tick tries again, and the app's own calls report
        // the failure.
      } finally {
        this.#sweeping = false;
      }
    }

    #maybeSweep() {
      if (!this.#autoSweep) return;
      const now = this.#now();
      if (now < this.#sweepDue) return;
      this.#sweepDue = Infinity;
      this.#onStore('sweep', `{"limit":${SWEEP_LIMIT}}`, now).then(
        (r) => {
          this.#sweepDue = r.more ? now : now + SWEEP_INTERVAL_MS;
        },
        () => {
          this.#sweepDue = now + SWEEP_INTERVAL_MS;
        },
      );
    }
  }

  return Sessions;
}

// ---------------------------------------------------------------------------------------------
// MapStore: the reference store written in JavaScript.
// #region MapStore (README.md shows this region verbatim; test/readme.test.mjs keeps them equal)

/** Code-point order (= UTF-8 byte order, as Redis and the memory store sort members). */
export function compareMembers(a, b) {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.codePointAt(i);
    const y = b.codePointAt(i);
    if (x !== y) return x < y ? -1 : 1;
    if (x > 0xffff) i++;
  }
  return a.length < b.length ? -1 : a.length > b.length ? 1 : 0;
}

function expectationHolds(expect, record) {
  if (expect === 'any') return true;
  if (expect === 'absent') return record === undefined;
  return record !== undefined && record.version === expect;
}

/**
 * A complete store in plain JavaScript: records (with versions) and sorted sets in Maps.
 * It shows the whole store interface, and the tests run the conformance vectors through it.
 * Swap the Maps for your database and keep the two rules: check every expectation before
 * changing anything (then apply nothing and answer `{conflict: true}`), and let no other
 * writer interleave with a batch.
 */
export class MapStore {
  /** key -> { value: string (base64), version: number } */
  records = new Map();
  /** key -> Map(member -> score) */
  zsets = new Map();

  apply(batch) {
    // 1. All or nothing: every expectation is checked before anything changes.
    for (const c of batch) {
      if ((c.op === 'put' || c.op === 'delete') && !expectationHolds(c.expect, this.records.get(c.key))) {
        return { conflict: true };
      }
    }
    // 2. Apply in order; each command sees the effects of the ones before it.
    return batch.map((c) => this.#run(c));
  }

  #run(c) {
    switch (c.op) {
      case 'get':
        return this.records.get(c.key) ?? null;
      case 'put': {
        const old = this.records.get(c.key);
        // c.ttlMs is a hint (the record may be dropped after it); the core checks expiry
        // itself, and sweep reclaims records, so this store ignores it.
        this.records.set(c.key, { value: c.value, version: old === undefined ? 1 : old.version + 1 });
        return true;
      }
      case 'delete':
        return this.records.delete(c.key);
      case 'zadd': {
        let z = this.zsets.get(c.key);
        if (z === undefined) this.zsets.set(c.key, (z = new Map()));
        z.set(c.member, c.score);
        return true;
      }
      case 'zrem':
        return this.#zrem(c.key, c.member);
      case 'zremIfEmpty':
        return this.zsets.has(c.watched) ? false : this.#zrem(c.key, c.member);
      case 'zrange': {
        const z = this.zsets.get(c.key);
        if (z === undefined) return [];
        const out = [];
        for (const [member, score] of z) if (score >= c.min && score <= c.max) out.push([member, score]);
        out.sort((x, y) => x[1] - y[1] || compareMembers(x[0], y[0]));
        if (c.rev) out.reverse();
        return c.limit == null ? out : out.slice(0, c.limit);
      }
      case 'zcount': {
        const z = this.zsets.get(c.key);
        let n = 0;
        if (z !== undefined) for (const score of z.values()) if (score >= c.min && score <= c.max) n++;
        return n;
      }
      default:
        throw new Error(`unknown store command ${JSON.stringify(c.op)}`);
    }
  }

  #zrem(key, member) {
    const z = this.zsets.get(key);
    if (z === undefined || !z.delete(member)) return false;
    if (z.size === 0) this.zsets.delete(key); // an empty sorted set does not exist
    return true;
  }
}

// #endregion MapStore

// ---------------------------------------------------------------------------------------------
// The redis-sessions compatibility shell.

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
 * A class that takes redis-sessions' constructor options (`host`, `port`, `namespace`,
 * `wipe`, `options.url`, `options.password`...) and behaves like `require('redis-sessions')`
 * over the Redis that `connect(connection)` reaches: it returns the `Sessions` options for
 * it (session-core's napi backend: `{ redis: url }`; or `{ store }`). The constructor
 * connects nowhere and never throws.
 */
export function makeRedisSessionsClass(Sessions, connect = noRedis) {
  return class RedisSessions extends Sessions {
    constructor(o = {}) {
      const opts = o ?? {};
      const connection = opts.options?.url
        ? { url: opts.options.url, options: opts.options }
        : { host: opts.host ?? '127.0.0.1', port: opts.port ?? 6379, options: opts.options ?? {} };
      super({ namespace: opts.namespace ?? 'rs', wipe: opts.wipe, ...connect(connection) });
    }
  };
}
