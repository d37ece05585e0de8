// The Sessions class users call, written once for every backend. A backend is the native
// engine (the napi addon in session-core; the wasm module in session-core-wasm):
//
//   new NativeSessions(namespace, autoSweep).call(op, inputJson, now) -> answerJson
//     and, typed (the fast path of the usual argument types; see typed.mjs):
//     .get/.touch/.regenerate(app, token, now, events, out), .set(app, token, dJson, now,
//     events, out), .create(app, id, ip, ttl, dJson, noResave, lifetime, now, events, out)
//   new NativeOp(op, inputJson, now, namespace): start() / resume(repliesJson) / fail(message)
//     and lockKey(): the handle of the one session the operation updates, or null
//   new NativeSweepPlan(shared, wipe) and new NativeSweepTick(): the core's sweep policy
//     (see sweep.mjs)
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
// Sessions picks one of three engines from the options (the embedded memory store, a remote
// store, or a store written in JavaScript) and adds no session logic: validation, results,
// expiry and events all come from the core. It imports nothing outside this package, so that
// it runs on any JavaScript runtime (Node, Deno, Bun, browsers, workerd without
// `nodejs_compat`): the class Sessions extends is the driver's own Emitter, unless the caller
// hands in another (the Node entries pass node:events' EventEmitter).
import { emitterBase } from './emitter.mjs';
import { describe, storeError } from './errors.mjs';
import { settle } from './events.mjs';
import { checkStore, runOnStore } from './js-store.mjs';
import { embeddedCall, embeddedCreate, embeddedOnToken, embeddedSet } from './embedded.mjs';
import { optionsJson } from './json.mjs';
import { KeyedQueue } from './queue.mjs';
import { InCallSweeper, SweepTimer, sweepsInCalls, wipeSetting } from './sweep.mjs';
import { typedOut } from './typed.mjs';

/**
 * A remote engine's call failed outright (its answers carry the operation's errors, so this
 * is a failure of the engine itself): the call rejects with storeError.
 */
function remoteFailure(e) {
  throw storeError(describe(e));
}

/**
 * Builds the `Sessions` class over a backend (`{ NativeSessions, NativeOp, NativeSweepPlan,
 * NativeSweepTick, openRemote? }`). `options.EventEmitter` is the class it extends: the
 * driver's `Emitter` by default; the Node entries pass node:events' `EventEmitter`, so that
 * their Sessions are EventEmitters (the driver only calls `emit` and `listenerCount` on it).
 */
export function makeSessionsClass(backend, options = {}) {
  const { NativeSessions, NativeOp, NativeSweepPlan, NativeSweepTick, openRemote } = backend;
  for (const name of ['NativeSessions', 'NativeOp', 'NativeSweepPlan', 'NativeSweepTick']) {
    if (typeof backend[name] !== 'function') throw new TypeError(`the backend has no ${name}`);
  }
  const Base = emitterBase(options);

  class Sessions extends Base {
    #native = null;
    #remote = null;
    #store = null;
    /** Timed sweeping (a shared store), or null. */
    #timer = null;
    /** In-call sweeping through the JS store (null for the other engines). */
    #inCalls = null;
    /** The clock, as a number of milliseconds. */
    #now;
    #namespace;
    #queue = new KeyedQueue();
    /** Where typed calls put their answer's numbers (see typed.mjs). */
    #out = typedOut();

    /**
     * @param {object} [options]
     * @param {object} [options.store] a store written in JavaScript (`apply(batch)`); without
     *   one (and without a remote store the backend knows, such as `redis`), the embedded
     *   memory store is used.
     * @param {() => number} [options.clock] milliseconds since the epoch (default Date.now).
     * @param {string} [options.namespace] the key prefix for stores with string keys ("rs").
     * @param {number} [options.wipe] 0 turns automatic sweeping off (as in redis-sessions);
     *   for a shared store (Redis, or a JS store with `shared: true`), the seconds between
     *   timed sweeps (default 600, at least 10). Other stores sweep inside calls.
     * @param {boolean} [options.autoSweep] false turns automatic sweeping off.
     */
    constructor(options = {}) {
      super();
      const o = options ?? {};
      const clock = o.clock ?? Date.now;
      if (typeof clock !== 'function') throw new TypeError('options.clock must be a function');
      const namespace = o.namespace ?? 'rs';
      if (typeof namespace !== 'string') throw new TypeError('options.namespace must be a string');
      this.#now = () => +clock();
      this.#namespace = namespace;
      const wipe = wipeSetting(o);
      const remote = openRemote === undefined ? undefined : openRemote(o);
      if (remote !== undefined && remote !== null) {
        // A remote store is shared by every process that reaches it.
        this.#remote = remote;
        this.#sweepOn(new NativeSweepPlan(true, wipe));
      } else if (o.store !== undefined && o.store !== null) {
        this.#store = checkStore(o.store);
        this.#sweepOn(new NativeSweepPlan(o.store.shared === true, wipe));
      } else {
        // The embedded engine runs the in-call policy itself; it only needs to know whether.
        this.#native = new NativeSessions(namespace, sweepsInCalls(NativeSweepPlan, false, wipe));
      }
    }

    /** Sweeps as `plan` says: on a timer, inside calls (a JS store), or not at all. */
    #sweepOn(plan) {
      const every = plan.timerMs();
      if (every > 0) this.#timer = new SweepTimer(NativeSweepTick, every, this, Sessions.#timedStep);
      else if (this.#store !== null) {
        this.#inCalls = new InCallSweeper(plan, (limit, now) => this.#onStore('sweep', `{"limit":${limit}}`, now));
      }
    }

    /** One step of timed sweeping (static: the timer holds its Sessions only weakly). */
    static #timedStep(sessions, limit) {
      return sessions.#call('sweep', { limit });
    }

    create(options) {
      const n = this.#native;
      if (n === null) return this.#call('create', options);
      try {
        return Promise.resolve(embeddedCreate(n, options, this.#now, this, this.#out));
      } catch (e) {
        return Promise.reject(e);
      }
    }

    get(options) {
      return this.#onToken('get', options);
    }

    set(options) {
      const n = this.#native;
      if (n === null) return this.#call('set', options);
      try {
        return Promise.resolve(embeddedSet(n, options, this.#now, this, this.#out));
      } catch (e) {
        return Promise.reject(e);
      }
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
        this.#timer.stop();
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

    /** `get`, `touch` or `regenerate` (the embedded engine's typed path when it can). */
    #onToken(op, options) {
      const n = this.#native;
      if (n === null) return this.#call(op, options);
      try {
        return Promise.resolve(embeddedOnToken(n, op, options, this.#now, this, this.#out));
      } catch (e) {
        return Promise.reject(e);
      }
    }

    #call(op, options) {
      try {
        // The embedded engine: one native call runs the whole operation.
        if (this.#native !== null) return Promise.resolve(embeddedCall(this.#native, op, options, this.#now, this));
        const input = optionsJson(options);
        if (this.#remote !== null) {
          // The same over the network: one native call, answered by a Promise.
          const answer = this.#remote.call(op, input, this.#now());
          return answer.then((a) => settle(this, a), remoteFailure);
        }
        const now = this.#now();
        this.#inCalls?.maybe(now);
        return this.#onStore(op, input, now);
      } catch (e) {
        return Promise.reject(e);
      }
    }

    /**
     * Runs one operation against the JavaScript store. Operations that update one session
     * (the machine names it: `lockKey()`, its handle) queue behind each other, so that many
     * concurrent calls on a hot session take turns instead of failing each other's versioned
     * writes, whether they name it by token or by handle. Other operations run at once and
     * rely on the core's bounded retries.
     */
    #onStore(op, input, now) {
      const machine = new NativeOp(op, input, now, this.#namespace);
      const key = machine.lockKey();
      const store = this.#store;
      const answer = typeof key === 'string' ? this.#queue.run(key, () => runOnStore(machine, store)) : runOnStore(machine, store);
      return answer.then((a) => settle(this, a));
    }
  }

  return Sessions;
}
