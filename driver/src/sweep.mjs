// Sweeping, as the core's one policy says (core/src/sweep.rs, through the backend's
// NativeSweepPlan and NativeSweepTick): the driver asks, and never decides how often or how
// much. `sweep::schedule` picks one of three schedules for a Sessions:
//
// - off: `wipe: 0` or `autoSweep: false` (the app calls `sweep` itself);
// - inside calls, for a store only this process uses (the embedded memory store, whose engine
//   sweeps by itself, and a JS store without `shared: true`): a bounded step, claimed from the
//   plan at the start of a call and reported back, with no timer to keep a process alive;
// - on a timer, for a store shared by many processes (Redis; a JS store with `shared: true`):
//   every `timerMs()`, a tick of bounded steps (NativeSweepTick), the next tick at once when
//   one ends with a backlog. Timers are unref'd and hold their Sessions weakly; ticks never
//   overlap.

/** The plan's `wipe` argument from the options: 0 off, -1 not given, else seconds. */
export function wipeSetting(options) {
  if (options.autoSweep === false) return 0;
  const wipe = options.wipe;
  if (wipe === undefined || wipe === null) return -1;
  const seconds = Number(wipe);
  if (seconds === 0) return 0;
  return Number.isFinite(seconds) && seconds > 0 ? seconds : -1;
}

/**
 * Whether the plan for (`shared`, `wipe`) sweeps inside calls, for an engine that runs the
 * in-call policy itself (the embedded memory store): a fresh plan claims a step at time 0
 * exactly when its schedule is in calls.
 */
export function sweepsInCalls(Plan, shared, wipe) {
  return new Plan(shared, wipe).claim(0) > 0;
}

/**
 * In-call sweeping for a driver loop (a JS store): `maybe(now)` at the start of each call runs
 * the step the plan says is due, in the background, through `step(limit, now)` (a Promise of
 * the sweep's result), and reports its outcome back to the plan.
 */
export class InCallSweeper {
  #plan;
  #step;

  constructor(plan, step) {
    this.#plan = plan;
    this.#step = step;
  }

  maybe(now) {
    const limit = this.#plan.claim(now);
    if (limit === 0) return;
    const plan = this.#plan;
    this.#step(limit, now).then(
      (r) => plan.finished(now, r.more ? 1 : 0),
      () => plan.finished(now, -1),
    );
  }
}

function unref(timer) {
  if (typeof timer === 'object' && timer !== null && typeof timer.unref === 'function') timer.unref();
  return timer;
}

/**
 * Timed sweeping: every `periodMs`, one tick of steps through `step(owner, limit)` (a Promise
 * of the sweep's result), as long as `owner` (the Sessions, held weakly) lives and `stop()`
 * was not called.
 */
export class SweepTimer {
  #Tick;
  #interval = null;
  #soon = null;
  #running = false;
  #stopped = false;
  #fire;

  constructor(Tick, periodMs, owner, step) {
    this.#Tick = Tick;
    const ref = new WeakRef(owner);
    this.#fire = () => {
      this.#soon = null;
      const o = ref.deref();
      if (o === undefined) this.stop();
      else this.#tick(o, step);
    };
    this.#interval = unref(setInterval(this.#fire, periodMs));
  }

  /** One tick: the core's Tick says each step's limit and when to stop. */
  async #tick(owner, step) {
    if (this.#running || this.#stopped) return;
    this.#running = true;
    let backlog = false;
    try {
      const tick = new this.#Tick();
      for (let limit = tick.step(); limit >= 0 && !this.#stopped; limit = tick.step()) {
        let more;
        try {
          more = (await step(owner, limit)).more ? 1 : 0;
        } catch {
          // The store is unreachable: the tick ends, the next one tries again, and the app's
          // own calls report the failure.
          more = -1;
        }
        tick.record(more);
      }
      backlog = tick.backlog();
    } finally {
      this.#running = false;
    }
    // Work left: the next tick runs soon (on a later turn of the event loop), not a period later.
    if (backlog && !this.#stopped && this.#soon === null) this.#soon = unref(setTimeout(this.#fire, 0));
  }

  stop() {
    this.#stopped = true;
    clearInterval(this.#interval);
    if (this.#soon !== null) clearTimeout(this.#soon);
    this.#soon = null;
  }
}
