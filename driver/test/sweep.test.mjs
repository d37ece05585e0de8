// Sweeping as the core's policy says, on both backends (the napi addon and the wasm module):
// the embedded memory store and a JS store only this process uses sweep inside calls, a JS
// store with `shared: true` on a timer every `wipe` seconds (at least 10), and `wipe: 0` or
// `autoSweep: false` not at all. A tick that ends with a backlog runs the next one soon; ticks
// never overlap; quit() stops the timer. Timers are node:test's mock timers (the clock is the
// Sessions' own): nothing here waits for real time to pass.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { describe, mock, test } from 'node:test';
import * as napi from 'session-core';
import * as wasm from 'session-core-wasm';

const require = createRequire(import.meta.url);
const T0 = 1_700_000_000_000;
const HOUR = 3_600_000;

/** Lets callbacks of settled promises and due (real) timers run. */
const turn = () => new Promise((resolve) => setImmediate(resolve));

/** Waits (a bounded number of event-loop turns) until `check()` holds. */
async function until(check, what) {
  for (let i = 0; i < 100_000; i++) {
    if (check()) return;
    await turn();
  }
  assert.fail(`never happened: ${what}`);
}

/** A MapStore that says it is shared by other processes. */
function sharedStore(MapStore) {
  const store = new MapStore();
  return Object.assign(store, { shared: true });
}

/** Creates `n` sessions with ttl 10 on `s`, then moves the clock an hour on: all expired. */
async function expiredSessions(s, clock, n = 3) {
  for (let i = 0; i < n; i++) await s.create({ app: 'shop', id: `idle${i}`, ip: '::1', ttl: 10 });
  clock.now += HOUR;
}

function harness(Sessions, options = {}) {
  const clock = { now: T0 };
  const s = new Sessions({ clock: () => clock.now, ...options });
  const expired = [];
  s.on('expired', (e) => expired.push(e.id));
  return { s, clock, expired };
}

// The core's tick, from the napi addon (the wasm module runs the same policy).
const { NativeSweepTick } = require('../../bindings-node/backend.cjs');

for (const [label, pkg] of [
  ['napi', napi],
  ['wasm', wasm],
]) {
  const { Sessions, MapStore } = pkg;

  describe(`sweeping (${label})`, () => {
    test('the embedded memory store sweeps inside calls, whatever wipe says', async () => {
      for (const wipe of [undefined, 60]) {
        const { s, clock, expired } = harness(Sessions, { wipe });
        await expiredSessions(s, clock);
        await s.activity({ app: 'shop', dt: 60 });
        await s.activity({ app: 'shop', dt: 60 });
        assert.deepEqual(expired.sort(), ['idle0', 'idle1', 'idle2'], `wipe ${wipe}`);
      }
    });

    test('wipe: 0 and autoSweep: false turn sweeping off, on every store', async () => {
      mock.timers.enable({ apis: ['setInterval'] });
      try {
        for (const options of [{ wipe: 0 }, { autoSweep: false }, { wipe: 30, autoSweep: false }]) {
          for (const store of [undefined, new MapStore(), sharedStore(MapStore)]) {
            const { s, clock, expired } = harness(Sessions, { ...options, store });
            await expiredSessions(s, clock);
            for (let i = 0; i < 3; i++) await s.activity({ app: 'shop', dt: 60 });
            mock.timers.tick(HOUR);
            await turn();
            assert.deepEqual(expired, [], JSON.stringify(options));
            assert.deepEqual(await s.sweep({ limit: 0 }), { swept: 0, more: true }, 'the backlog is still there');
            await s.quit();
          }
        }
      } finally {
        mock.timers.reset();
      }
    });

    test('a JS store only this process uses is swept inside calls, with no timer, whatever wipe says', async () => {
      mock.timers.enable({ apis: ['setInterval', 'setTimeout'] });
      try {
        for (const wipe of [undefined, 10]) {
          const { s, clock, expired } = harness(Sessions, { wipe, store: new MapStore() });
          await expiredSessions(s, clock);
          mock.timers.tick(24 * HOUR);
          await turn();
          assert.deepEqual(expired, [], 'no timer swept it');
          await s.activity({ app: 'shop', dt: 60 }); // the call runs a sweep step in the background
          await until(() => expired.length === 3, 'the in-call step');
          assert.deepEqual(expired.sort(), ['idle0', 'idle1', 'idle2']);
          await s.quit();
        }
      } finally {
        mock.timers.reset();
      }
    });

    test('a JS store with shared: true is swept on a timer every wipe seconds (at least 10), never inside calls', async () => {
      mock.timers.enable({ apis: ['setInterval'] });
      try {
        for (const [wipe, period] of [[3, 10_000], [30, 30_000], [undefined, 600_000]]) {
          const { s, clock, expired } = harness(Sessions, { wipe, store: sharedStore(MapStore) });
          await expiredSessions(s, clock);
          for (let i = 0; i < 3; i++) await s.activity({ app: 'shop', dt: 60 });
          await turn();
          assert.deepEqual(expired, [], 'calls do not sweep a shared store');
          mock.timers.tick(period - 1);
          await turn();
          assert.deepEqual(expired, [], `no sweep before ${period} ms`);
          mock.timers.tick(1);
          await until(() => expired.length === 3, `the timed sweep at ${period} ms`);
          // quit() stops the timer: later expiries stay until somebody sweeps.
          await s.quit();
          await expiredSessions(s, clock, 2);
          mock.timers.tick(10 * period);
          await turn();
          assert.equal(expired.length, 3, 'no sweep after quit()');
        }
      } finally {
        mock.timers.reset();
      }
    });

    test('a tick that ends with a backlog runs the next one soon; quit() stops them', async () => {
      // A store whose sweeps always find a full page of expired entries (handles with no
      // record): every step reports more, so every tick ends with a backlog.
      let steps = 0;
      let inFlight = 0;
      const inner = new MapStore();
      const store = {
        shared: true,
        async apply(batch) {
          inFlight++;
          await turn();
          inFlight--;
          const replies = inner.apply(batch);
          return batch.map((c, i) => {
            if (c.op === 'zrange' && c.key.endsWith(':_expiry') && c.limit !== null) {
              steps++;
              return Array.from({ length: c.limit }, (_, j) => [`${j.toString(36).padStart(21, 'A')}A`, 1]);
            }
            if (c.op === 'zcount' && c.key.endsWith(':_expiry')) return 1;
            return replies[i];
          });
        },
      };
      // The steps of one tick, as the core counts them (one policy for both backends).
      const tick = new NativeSweepTick();
      let perTick = 0;
      while (tick.step() >= 0) {
        perTick++;
        tick.record(1);
      }
      mock.timers.enable({ apis: ['setInterval'] });
      try {
        const s = new Sessions({ store, wipe: 10 });
        await s.create({ app: 'shop', id: 'u', ip: '::1' }); // registers the app
        mock.timers.tick(10_000);
        await until(() => steps > 0, 'the first tick');
        await until(() => steps > perTick, 'a second tick without waiting a period');
        await s.quit();
        await until(() => inFlight === 0, 'the step in flight');
        const stopped = steps;
        for (let i = 0; i < 50; i++) await turn();
        assert.equal(steps, stopped, 'no step after quit()');
      } finally {
        mock.timers.reset();
      }
    });

    test('ticks never overlap: a period that comes while a tick runs is skipped', async () => {
      let release;
      const gate = new Promise((resolve) => (release = resolve));
      let sweeping = 0;
      let most = 0;
      const inner = new MapStore();
      const store = {
        shared: true,
        async apply(batch) {
          const sweep = batch.some((c) => c.op === 'zrange' && c.key.endsWith(':_apps'));
          if (sweep) {
            most = Math.max(most, ++sweeping);
            await gate;
            sweeping--;
          }
          return inner.apply(batch);
        },
      };
      mock.timers.enable({ apis: ['setInterval'] });
      try {
        const s = new Sessions({ store, wipe: 10 });
        for (let i = 0; i < 5; i++) mock.timers.tick(10_000);
        await turn();
        assert.equal(most, 1, 'one tick at a time');
        release();
        await until(() => sweeping === 0, 'the tick to end');
        await s.quit();
      } finally {
        mock.timers.reset();
      }
    });
  });
}
