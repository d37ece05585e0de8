// Sweeping for the driver's own loops (stores written in JavaScript, and remote stores):
// the cadence and the step sizes they use.

// The same cadence as the core's default auto-sweep (AutoSweep::default), for stores written
// in JavaScript, where the core's driver loop is this file: one bounded sweep step per second
// at most, piggybacked on calls (no timer, so nothing keeps the process alive), and another
// step at once while a step reports more work.
export const SWEEP_INTERVAL_MS = 1000;
export const SWEEP_LIMIT = 100;

// Remote stores (shared by many processes) are swept as redis-sessions wipes: on a timer,
// every `wipe` seconds (default 600, at least 10), in steps of REMOTE_SWEEP_LIMIT sessions
// while a step reports more work (at most REMOTE_SWEEP_STEPS steps per tick). The timer is
// unref'd: it never keeps a process alive.
const WIPE_DEFAULT_S = 600;
const WIPE_MIN_S = 10;
export const REMOTE_SWEEP_LIMIT = 1000;
export const REMOTE_SWEEP_STEPS = 100;

/** Seconds between timed sweeps, as redis-sessions reads its `wipe` option. */
export function wipeSeconds(wipe) {
  const s = Number(wipe) || WIPE_DEFAULT_S;
  return Math.max(s, WIPE_MIN_S);
}
