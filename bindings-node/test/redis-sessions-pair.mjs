// Side by side: redis-sessions 4.0.0 itself (the reference) and session-core/redis-sessions (the
// drop-in), each on a redis-server of its own, on one clock the test moves by hand, fed the
// same calls; their answers are compared (tokens aside: each side has its own). Helpers only
// (no tests here).
//
//   const pair = await Pair.open({ cachetime: 30 });
//   await pair.same('create', { app, id: 'u1', ip: '::1' }, 'a');   // both create; 'a' names the session
//   await pair.same('get', { app, token: '@a' });                    // '@a': that side's token of 'a'
//   await pair.advance(10);                                          // both clocks, in seconds
//   await pair.close();
//
// `same` asserts that both answer alike, results or errors (for an error: its class, name,
// message, own properties and the first line of its stack), key order included, and counts a
// check.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import RedisSessions from 'session-core/redis-sessions';
import { startRedis } from '../../tests/js/redis-server.mjs';

const require = createRequire(import.meta.url);
// redis-sessions 4 is compiled TypeScript: its class is `exports.default`.
export const RedisSessions4 = require('redis-sessions').default;

/** A whole second, so that redis-sessions' seconds and session-core's milliseconds agree. */
export const T0 = Date.parse('2030-01-01T00:00:00Z');

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Every check made, for the suite's summary. */
export const checks = { compared: 0 };

/** What an answer looks like, for comparing: errors by their shape, objects with key order. */
export function describeOutcome(outcome) {
  if (outcome.error !== undefined) {
    const e = outcome.error;
    return {
      error: {
        class: e?.constructor?.name,
        name: e?.name,
        message: e?.message,
        own: Object.getOwnPropertyNames(e).sort(),
        stack: typeof e?.stack === 'string' ? e.stack.split('\n')[0] : undefined,
      },
    };
  }
  return { result: outcome.result, json: JSON.stringify(outcome.result) };
}

async function settle(promise) {
  try {
    return { result: await promise };
  } catch (error) {
    return { error };
  }
}

/**
 * Runs `fn` with `setInterval` recorded: the timers started meanwhile (by a constructor) are
 * returned as `{ fn, ms }` (and are real, unref'd timers that never fire, so that `quit()`
 * clears them as usual), so that a test runs a timer's callback itself.
 */
export function recordIntervals(fn) {
  const real = globalThis.setInterval;
  const recorded = [];
  globalThis.setInterval = (callback, ms) => {
    recorded.push({ fn: callback, ms });
    const t = real(() => {}, 2 ** 31 - 1);
    t.unref();
    return t;
  };
  try {
    return { value: fn(), recorded };
  } finally {
    globalThis.setInterval = real;
  }
}

export class Pair {
  /** The reference's and the drop-in's redis-servers, shared by every pair of a test file. */
  static servers = null;

  static async servers_() {
    if (Pair.servers === null) Pair.servers = { ref: await startRedis(), dut: await startRedis() };
    return Pair.servers;
  }

  static async closeServers() {
    if (Pair.servers === null) return;
    await Pair.servers.ref.close();
    await Pair.servers.dut.close();
    Pair.servers = null;
  }

  /** Both sides with these redis-sessions options (host and port are the pair's). */
  static async open(options = {}) {
    const { ref, dut } = await Pair.servers_();
    await ref.command('FLUSHALL');
    await dut.command('FLUSHALL');
    return new Pair(options, ref.port, dut.port);
  }

  constructor(options, refPort, dutPort) {
    this.now = T0;
    this.tokens = { ref: {}, dut: {} };
    const ref = recordIntervals(() => new RedisSessions4({ ...options, host: '127.0.0.1', port: refPort }));
    const dut = recordIntervals(() => new RedisSessions({ ...options, port: dutPort, clock: () => this.now }));
    this.ref = ref.value;
    this.dut = dut.value;
    // The reference reads the time through `_now()` (whole seconds), its cache through
    // `performance.now()` (see `advance`).
    this.ref._now = () => Math.floor(this.now / 1000);
    /** The wipe timers each side started: `{ fn, ms }`. */
    this.wipers = { ref: ref.recorded, dut: dut.recorded };
  }

  /**
   * Moves both clocks by `seconds`. The reference's cache (lru-cache) reads
   * `performance.now()`, which the test replaces while the pair lives, and keeps a reading
   * for 1 ms of real time: the wait lets that reading lapse.
   */
  async advance(seconds) {
    this.now += seconds * 1000;
    await sleep(3);
  }

  /** The options for one side: '@x' values become that side's token of session 'x'. */
  input(side, options) {
    if (options === null || typeof options !== 'object') return options;
    const out = Array.isArray(options) ? [] : {};
    for (const [k, v] of Object.entries(options)) {
      out[k] = typeof v === 'string' && v.startsWith('@') ? this.tokens[side][v.slice(1)] : v;
    }
    return out;
  }

  /** Calls `method` on both sides; returns both outcomes (`{ result }` or `{ error }`). */
  async both(method, options, name) {
    const ref = await settle(this.ref[method](this.input('ref', options)));
    const dut = await settle(this.dut[method](this.input('dut', options)));
    if (name !== undefined) {
      this.tokens.ref[name] = ref.result?.token;
      this.tokens.dut[name] = dut.result?.token;
      if (ref.result?.token !== undefined) ref.result = { token: '<token>' };
      if (dut.result?.token !== undefined) dut.result = { token: '<token>' };
    }
    return { ref, dut };
  }

  /** Calls `method` on both sides and asserts the answers agree; returns the reference's. */
  async same(method, options, name) {
    const { ref, dut } = await this.both(method, options, name);
    const label = `${method}(${JSON.stringify(options)})`;
    assert.deepStrictEqual(describeOutcome(dut), describeOutcome(ref), label);
    checks.compared++;
    return ref.result;
  }

  /**
   * Waits until the reference's cache has evicted `key` (`app:token` of session `name`):
   * redis-sessions evicts through its own pub/sub subscription, so the eviction lands a moment
   * after the call that published it.
   */
  async refEvicted(app, name) {
    const key = `${app}:${this.tokens.ref[name]}`;
    for (let i = 0; i < 500 && this.ref.sessionCache.has(key); i++) await sleep(2);
    assert.equal(this.ref.sessionCache.has(key), false, `redis-sessions evicted ${key}`);
  }

  async close() {
    await this.ref.quit().catch(() => {});
    // redis-sessions' quit() leaves its cache subscriber connected.
    await this.ref.redissub?.quit().catch(() => {});
    await this.dut.quit().catch(() => {});
  }
}

/** Replaces `performance.now` with the pair's clock (lru-cache reads it); returns the undo. */
export function fakePerformanceNow(pair) {
  const had = Object.prototype.hasOwnProperty.call(performance, 'now');
  const real = performance.now;
  performance.now = () => pair.now;
  return () => {
    if (had) performance.now = real;
    else delete performance.now;
  };
}
