// SessionsSync: the methods of Sessions, returning their results instead of Promises (and
// throwing their SessionErrors), over the embedded memory store only: the one engine that
// answers within the call. The same engine paths as Sessions (embedded.mjs), so the same
// answers, errors and events.
import { emitterBase } from './emitter.mjs';
import { embeddedCall, embeddedCreate, embeddedOnToken, embeddedSet } from './embedded.mjs';
import { sweepsInCalls, wipeSetting } from './sweep.mjs';
import { typedOut } from './typed.mjs';

/** Builds the `SessionsSync` class over a backend (`{ NativeSessions, NativeSweepPlan }`). */
export function makeSessionsSyncClass(backend, options = {}) {
  const { NativeSessions, NativeSweepPlan } = backend;
  for (const name of ['NativeSessions', 'NativeSweepPlan']) {
    if (typeof backend[name] !== 'function') throw new TypeError(`the backend has no ${name}`);
  }

  const Base = emitterBase(options);

  class SessionsSync extends Base {
    #native;
    #now;
    #out = typedOut();

    /**
     * @param {object} [options] `clock`, `namespace`, `wipe` and `autoSweep` as for
     *   Sessions. `store` and `redis` are refused: only the embedded store answers at once.
     */
    constructor(options = {}) {
      super();
      const o = options ?? {};
      for (const name of ['store', 'redis']) {
        if (o[name] !== undefined && o[name] !== null) {
          throw new TypeError(`options.${name}: SessionsSync runs on the embedded memory store only; use Sessions for other stores`);
        }
      }
      const clock = o.clock ?? Date.now;
      if (typeof clock !== 'function') throw new TypeError('options.clock must be a function');
      const namespace = o.namespace ?? 'rs';
      if (typeof namespace !== 'string') throw new TypeError('options.namespace must be a string');
      this.#now = () => +clock();
      this.#native = new NativeSessions(namespace, sweepsInCalls(NativeSweepPlan, false, wipeSetting(o)));
    }

    create(options) {
      return embeddedCreate(this.#native, options, this.#now, this, this.#out);
    }

    get(options) {
      return embeddedOnToken(this.#native, 'get', options, this.#now, this, this.#out);
    }

    set(options) {
      return embeddedSet(this.#native, options, this.#now, this, this.#out);
    }

    touch(options) {
      return embeddedOnToken(this.#native, 'touch', options, this.#now, this, this.#out);
    }

    setTtl(options) {
      return embeddedCall(this.#native, 'setTtl', options, this.#now, this);
    }

    regenerate(options) {
      return embeddedOnToken(this.#native, 'regenerate', options, this.#now, this, this.#out);
    }

    kill(options) {
      return embeddedCall(this.#native, 'kill', options, this.#now, this);
    }

    activity(options) {
      return embeddedCall(this.#native, 'activity', options, this.#now, this);
    }

    soapp(options) {
      return embeddedCall(this.#native, 'soapp', options, this.#now, this);
    }

    soid(options) {
      return embeddedCall(this.#native, 'soid', options, this.#now, this);
    }

    killsoid(options) {
      return embeddedCall(this.#native, 'killsoid', options, this.#now, this);
    }

    killall(options) {
      return embeddedCall(this.#native, 'killall', options, this.#now, this);
    }

    sweep(options) {
      return embeddedCall(this.#native, 'sweep', options, this.#now, this);
    }

    /** "PONG": the memory store is always there. */
    ping() {
      return 'PONG';
    }

    /** Nothing to close (the memory store lives as long as this object). */
    quit() {
      return undefined;
    }
  }

  return SessionsSync;
}
