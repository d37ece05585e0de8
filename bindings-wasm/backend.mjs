// The native backend interface (see driver.mjs) over the wasm module's classes. Two things are
// added to wasm-bindgen's classes:
//
// - A NativeOp frees its wasm memory as soon as it has given its final answer, instead of
//   waiting for a FinalizationRegistry that may run late (or, in some runtimes, never).
//   NativeSessions lives as long as its Sessions object: the glue's FinalizationRegistry frees
//   it with it.
//
// - A panic guard, the twin of the napi addon's (bindings-node/src/guard.rs): no panic reaches
//   the caller as anything but a `storeError` answer, and none leaves the module unusable. The
//   .wasm is built with panic = "abort" (wasm32-unknown-unknown has no unwinding on stable
//   Rust), so `catch_unwind` cannot help: a panic traps (`WebAssembly.RuntimeError:
//   unreachable`) in the middle of a call, and the instance is left with a borrow flag or a
//   lock held and its stack pointer not restored; every later call would fail. So the trap is
//   caught here, and the module's instance is replaced with a fresh one
//   (`__wbg_reset_state()`, from wasm-bindgen's --experimental-reset-state-function). What
//   lived in the old instance is gone: the sessions of every in-module memory store (as a
//   crashed server's memory store loses them) and the operations in progress (they answer
//   `storeError`). Sessions kept by a store written in JavaScript (MapStore, a Durable
//   Object's storage) are not in the instance and stay.

/** What is shared per glue: how many times its instance was replaced. */
const states = new WeakMap();

/** The answer that stands for a trap (as the core's `answer` shapes a `storeError`). */
function internalError(why) {
  const message = `Store error: internal error in session-core-wasm (a bug): ${why}`;
  return JSON.stringify({ error: { name: 'storeError', message }, events: [] });
}

/** Whether `e` is a trap of the wasm instance (a panic, an abort, running out of memory). */
const isTrap = (e) => e instanceof WebAssembly.RuntimeError;

/**
 * The backend over `glue`. `ready()` says whether the glue's module is initialised (an ES
 * entry initialised by `init()`); without it, every constructor throws `notReady()`'s error
 * (by default the glue is taken as ready: the CommonJS glue loads itself when required).
 */
export function wasmBackend(glue, ready = () => true, notReady = () => new Error('session-core-wasm: the module is not initialised')) {
  let state = states.get(glue);
  if (state === undefined) {
    state = { generation: 0 };
    states.set(glue, state);
  }

  /** Replaces the poisoned instance with a fresh one; objects of the old one are stale. */
  function restart() {
    glue.__wbg_reset_state();
    state.generation++;
  }

  const RawSessions = glue.NativeSessions;
  const RawOp = glue.NativeOp;

  /** The in-module memory store. After a restart of the module it starts again, empty. */
  class NativeSessions {
    #args;
    #raw;
    #generation;

    constructor(namespace, autoSweep) {
      if (!ready()) throw notReady();
      this.#args = [namespace, autoSweep];
      this.#open();
    }

    #open() {
      this.#generation = state.generation;
      try {
        this.#raw = new RawSessions(...this.#args);
      } catch (e) {
        if (!isTrap(e)) throw e;
        restart();
        this.#generation = state.generation;
        this.#raw = new RawSessions(...this.#args);
      }
    }

    /** Runs `f` on the raw object, guarded; `out` (typed calls) learns of a trap's answer. */
    #guarded(f, out) {
      if (this.#generation !== state.generation) this.#open();
      try {
        return f(this.#raw);
      } catch (e) {
        if (!isTrap(e)) throw e;
        restart();
        // A typed call's answer is then a whole answer (see driver.mjs, #typed).
        if (out !== undefined) out[0] = 3;
        return internalError(`${e}; the module was restarted, and the sessions of its memory stores are lost`);
      }
    }

    call(op, inputJson, now) {
      return this.#guarded((raw) => raw.call(op, inputJson, now));
    }

    get(app, token, now, events, out) {
      return this.#guarded((raw) => raw.get(app, token, now, events, out), out);
    }

    touch(app, token, now, events, out) {
      return this.#guarded((raw) => raw.touch(app, token, now, events, out), out);
    }

    regenerate(app, token, now, events, out) {
      return this.#guarded((raw) => raw.regenerate(app, token, now, events, out), out);
    }

    set(app, token, d, now, events, out) {
      return this.#guarded((raw) => raw.set(app, token, d, now, events, out), out);
    }

    create(app, id, ip, ttl, d, noResave, lifetime, now, events, out) {
      return this.#guarded((raw) => raw.create(app, id, ip, ttl, d, noResave, lifetime, now, events, out), out);
    }
  }

  class NativeOp {
    #op = null;
    #generation;
    /** The answer to give at once: the constructor trapped. */
    #failed = null;

    constructor(op, inputJson, now, namespace) {
      if (!ready()) throw notReady();
      this.#generation = state.generation;
      try {
        this.#op = new RawOp(op, inputJson, now, namespace);
      } catch (e) {
        if (!isTrap(e)) throw e;
        restart();
        this.#failed = internalError(`${e}; the module was restarted`);
      }
    }

    /** Runs one step of the raw machine, guarded; frees it after its final answer. */
    #run(step) {
      if (this.#failed !== null) return this.#failed;
      if (this.#generation !== state.generation) {
        // Another call trapped and the module was restarted while this operation waited for
        // its store: its machine is gone.
        this.#op = null;
        this.#failed = internalError('the module was restarted during this operation; it did not complete');
        return this.#failed;
      }
      let answer;
      try {
        answer = step(this.#op);
      } catch (e) {
        if (!isTrap(e)) throw e;
        this.#op = null;
        restart();
        this.#failed = internalError(`${e}; the module was restarted`);
        return this.#failed;
      }
      // Every answer but `{"batch": …}` is final.
      if (!answer.startsWith('{"batch"')) this.free();
      return answer;
    }

    start() {
      return this.#run((op) => op.start());
    }

    resume(repliesJson) {
      return this.#run((op) => op.resume(repliesJson));
    }

    fail(message) {
      return this.#run((op) => op.fail(message));
    }

    /** The handle's text of the one session this operation updates, or undefined. */
    lockKey() {
      if (this.#op === null || this.#generation !== state.generation) return undefined;
      try {
        return this.#op.lockKey();
      } catch (e) {
        if (!isTrap(e)) throw e;
        this.#op = null;
        restart();
        this.#failed = internalError(`${e}; the module was restarted`);
        return undefined;
      }
    }

    /** Frees the machine now (it is freed by itself after its final answer). */
    free() {
      const op = this.#op;
      this.#op = null;
      if (op !== null && this.#generation === state.generation) op.free();
    }
  }

  /**
   * The core's REST rules (see src/rest.rs), for the Worker: each function guarded, answering
   * a 500 reply (or, for `metrics`, no text) when the module traps.
   */
  const trapped = (e) => {
    restart();
    const message = `internal error in session-core-wasm (a bug): ${e}; the module was restarted`;
    return { status: 500, type: 'application/json', body: JSON.stringify({ error: 'internalError', message }), headers: {} };
  };
  const guardFn = (f, onTrap) => (...args) => {
    if (!ready()) throw notReady();
    try {
      return f(...args);
    } catch (e) {
      if (!isTrap(e)) throw e;
      return onTrap(trapped(e));
    }
  };
  const asReply = (reply) => JSON.stringify({ reply });
  const rest = {
    route: guardFn(glue.restRoute, asReply),
    input: guardFn(glue.restInput, asReply),
    answer: guardFn(glue.restAnswer, JSON.stringify),
    bodyError: guardFn(glue.restBodyError, JSON.stringify),
    auth: guardFn(glue.restAuth, JSON.stringify),
    metrics: guardFn(glue.restMetrics, () => ''),
  };

  /**
   * A sweep policy object of the module (its state is only a schedule): after a restart of
   * the module it starts again, and a trap in one of its methods restarts the module and
   * runs the method once more on a fresh object.
   */
  function policy(Raw, methods) {
    class Policy {
      #args;
      #raw = null;
      #generation = -1;

      constructor(...args) {
        if (!ready()) throw notReady();
        this.#args = args;
      }

      /** Runs method `name` of the raw object (a fresh one after a restart). */
      run(name, args) {
        for (let attempt = 0; ; attempt++) {
          if (this.#generation !== state.generation) {
            this.#raw = new Raw(...this.#args);
            this.#generation = state.generation;
          }
          try {
            return this.#raw[name](...args);
          } catch (e) {
            if (!isTrap(e) || attempt > 0) throw e;
            restart();
          }
        }
      }
    }
    for (const name of methods) {
      Object.defineProperty(Policy.prototype, name, {
        value(...args) {
          return this.run(name, args);
        },
      });
    }
    return Policy;
  }

  const NativeSweepPlan = policy(glue.NativeSweepPlan, ['timerMs', 'claim', 'finished']);
  const NativeSweepTick = policy(glue.NativeSweepTick, ['step', 'record', 'backlog']);
  const NativeSweepSpread = policy(glue.NativeSweepSpread, ['limit', 'record', 'result']);

  return { NativeSessions, NativeOp, NativeSweepPlan, NativeSweepTick, NativeSweepSpread, rest };
}
