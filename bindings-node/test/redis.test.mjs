// The Redis backend, `new Sessions({ redis })`, over a real redis-server: the shared API suite,
// then what only Redis has: namespaces, timed sweeping, bad input that never reaches Redis,
// no lost updates across processes, and one format shared with the Rust API.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, describe, mock, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import * as pkg from 'session-core';
import { backendSuite } from '../../tests/js/api-suite.mjs';
import { probeLostUpdates } from '../../tests/js/lost-updates.mjs';
import { startRedis } from '../../tests/js/redis-server.mjs';
import { loadVectors } from '../../tests/js/vectors.mjs';

const { Sessions, SessionError } = pkg;
const APP = 'shop';
const T0 = 1_700_000_000_000;
const packageDir = fileURLToPath(new URL('..', import.meta.url));
const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

const redis = await startRedis();
const opened = [];
after(async () => {
  await Promise.all(opened.map((s) => s.quit()));
  await redis.close();
});

let namespaces = 0;
/** A fresh Sessions on the test server, in a namespace of its own (an empty store). */
function make(options = {}) {
  const s = new Sessions({ redis: redis.url, namespace: `t${++namespaces}`, ...options });
  opened.push(s);
  return s;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function eventually(check, what, ms = 5_000) {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

backendSuite(pkg, 'session-core (napi, Redis store)', make, {
  // Redis is swept by a timer, not inside calls: tested below.
  except: ['automatic sweeping reclaims sessions nobody reads again (no timer involved)'],
});

describe('Redis backend', () => {
  test('options: redis is a URL; redis and store exclude each other', () => {
    assert.throws(() => new Sessions({ redis: 6379 }), TypeError);
    assert.throws(() => new Sessions({ redis: '' }), TypeError);
    assert.throws(() => new Sessions({ redis: redis.url, store: new pkg.MapStore() }), TypeError);
    assert.throws(() => new Sessions({ redis: redis.url, namespace: 5 }), TypeError);
  });

  test('an invalid namespace is a storeError that says why', async () => {
    const s = make({ namespace: 'a{b' });
    await assert.rejects(s.ping(), (e) => {
      assert.ok(e instanceof SessionError);
      assert.equal(e.name, 'storeError');
      assert.match(e.message, /namespace "a\{b" contains '\{'/);
      return true;
    });
  });

  test('namespaces keep sessions apart; keys carry the namespace and the app hash tag', async () => {
    const a = make({ namespace: 'nsA', wipe: 0 });
    const b = make({ namespace: 'nsB', wipe: 0 });
    const { token } = await a.create({ app: APP, id: 'u', ip: '::1' });
    assert.equal(await b.get({ app: APP, token }), null);
    assert.equal((await a.get({ app: APP, token })).id, 'u');
    const keys = (await redis.command('KEYS', 'nsA:*')).sort();
    assert.ok(keys.length > 0 && keys.every((k) => k === 'nsA:_apps' || k.startsWith('nsA:{shop}:')), keys.join());
    assert.ok(keys.some((k) => k.startsWith('nsA:{shop}:s:')));
    assert.equal(keys.some((k) => k.includes(token)), false, 'the token itself is never stored');
  });

  test('ping connects and answers PONG; quit closes, and calls then reject with storeError', async () => {
    const s = make();
    assert.equal(await s.ping(), 'PONG');
    const { token } = await s.create({ app: APP, id: 'u', ip: '::1' });
    const clients = async () => (await redis.command('CLIENT', 'LIST')).trim().split('\n').length;
    const connected = await clients();
    assert.equal(await s.quit(), undefined);
    await eventually(async () => (await clients()) === connected - 1, 'the connection to close');
    for (const p of [s.get({ app: APP, token }), s.ping()]) {
      await assert.rejects(p, {
        name: 'storeError',
        message: 'Store error: the Redis connection was closed by quit()',
      });
    }
  });

  test('a Sessions dropped without quit() is garbage-collected, and its connection closes', async () => {
    v8.setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc');
    const clients = async () => (await redis.command('CLIENT', 'LIST')).trim().split('\n').length;
    const before = await clients();
    await (async () => {
      for (let i = 0; i < 20; i++) {
        // The default options: timed sweeping on.
        const s = new Sessions({ redis: redis.url, namespace: 'dropped' });
        assert.equal(await s.ping(), 'PONG');
      }
    })();
    assert.ok((await clients()) >= before + 20, 'each has its own connection');
    await eventually(async () => {
      gc();
      return (await clients()) <= before;
    }, 'the dropped connections to close', 10_000);
  });

  test('concurrent calls on one object: each call gets its own result, events and clock', async () => {
    let now = T0;
    const s = make({ clock: () => now, wipe: 0 });
    const created = [];
    s.on('created', (e) => created.push(e));
    const tokens = await Promise.all(Array.from({ length: 100 }, (_, i) => s.create({ app: APP, id: `u${i}`, ip: '::1' })));
    assert.equal(new Set(tokens.map((t) => t.token)).size, 100);
    assert.deepEqual(created.map((e) => e.id).sort(), Array.from({ length: 100 }, (_, i) => `u${i}`).sort());
    now += 5_000;
    const got = await Promise.all(tokens.map(({ token }) => s.get({ app: APP, token })));
    assert.deepEqual(got.map((x) => x.idle), new Array(100).fill(5));
    assert.deepEqual(got.map((x) => x.id), Array.from({ length: 100 }, (_, i) => `u${i}`));
  });

  test('timed sweeping: every wipe seconds (at least 10) through Redis; quit stops it', async () => {
    mock.timers.enable({ apis: ['setInterval'] });
    try {
      let now = T0;
      const s = make({ clock: () => now, wipe: 3 }); // below the minimum: 10 s
      const expired = [];
      s.on('expired', (e) => expired.push(e.id));
      for (let i = 0; i < 3; i++) await s.create({ app: APP, id: `idle${i}`, ip: '::1', ttl: 10 });
      await s.create({ app: 'other', id: 'idle3', ip: '::1', ttl: 10 });
      now += 3_600_000;
      const before = await redis.calls('evalsha');
      mock.timers.tick(9_999);
      await sleep(50);
      assert.equal(await redis.calls('evalsha'), before, 'no sweep before 10 s');
      mock.timers.tick(1);
      await eventually(() => expired.length === 4, 'the timed sweep');
      assert.deepEqual(expired.sort(), ['idle0', 'idle1', 'idle2', 'idle3'], 'every app is swept');
      assert.deepEqual(await s.soid({ app: APP, id: 'idle0' }), { sessions: [] });
      await s.quit();
      const quiet = await redis.calls('evalsha');
      mock.timers.tick(60_000);
      await sleep(50);
      assert.equal(await redis.calls('evalsha'), quiet, 'no sweep after quit');
    } finally {
      mock.timers.reset();
    }
  });

  test('wipe: 0 and autoSweep: false start no timer', async () => {
    mock.timers.enable({ apis: ['setInterval'] });
    try {
      const a = make({ wipe: 0 });
      const b = make({ autoSweep: false });
      await a.ping();
      await b.ping();
      const before = await redis.calls('evalsha');
      mock.timers.tick(3_600_000);
      await sleep(50);
      assert.equal(await redis.calls('evalsha'), before);
    } finally {
      mock.timers.reset();
    }
  });

  test('bad input is rejected before any Redis command is sent', async () => {
    const s = make({ wipe: 0 });
    const { token } = await s.create({ app: APP, id: 'u', ip: '::1', d: { a: 1 } });
    const steps = [];
    for (const { cases } of loadVectors()) {
      for (const c of cases) {
        for (const step of c.steps) {
          if (['missingParameter', 'invalidFormat', 'invalidValue'].includes(step.err?.name)) steps.push(step);
        }
      }
    }
    assert.ok(steps.length > 100, `${steps.length} validation steps`);
    const scripts = await redis.calls('evalsha');
    // Saved tokens ("$t1") become the live session's token: the input is bad for another reason.
    const live = (v) =>
      typeof v === 'string' && /^\$\w+$/.test(v)
        ? token
        : v !== null && typeof v === 'object' && !Array.isArray(v)
          ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, live(x)]))
          : v;
    for (const step of steps) {
      await assert.rejects(s[step.op](live(step.in)), { name: step.err.name, message: step.err.message });
    }
    await assert.rejects(s.set({ app: APP, token, d: { f: () => 1 } }), { name: 'invalidValue' });
    await assert.rejects(s.get('not an object'), { name: 'missingParameter' });
    assert.equal(await redis.calls('evalsha'), scripts, 'Redis ran no script');
    const got = await s.get({ app: APP, token });
    assert.deepEqual([got.r, got.w, got.d], [1, 1, { a: 1 }], 'nothing changed');
  });

  test('bad input is reported even when Redis is unreachable (no connection is tried)', async () => {
    const s = new Sessions({ redis: 'redis://127.0.0.1:1', wipe: 0 });
    await assert.rejects(s.get({ app: APP }), { name: 'missingParameter', message: 'No token supplied' });
    await assert.rejects(s.create({ app: 'x' }), { name: 'invalidFormat', message: 'Invalid app format' });
    await s.quit();
  });

  test('no lost updates: 2 processes × 300 concurrent sets of distinct keys on one session', async () => {
    const namespace = `race${++namespaces}`;
    await probeLostUpdates({
      sessions: make({ namespace, wipe: 0 }),
      cwd: packageDir,
      open: `import { Sessions } from 'session-core';
             const s = new Sessions({ redis: ARGS[0], namespace: ARGS[1], wipe: 0 });`,
      args: [redis.url, namespace],
    });
  });

  test('one format: the Rust API reads sessions created by Node, and the other way round', { timeout: 600_000 }, async () => {
    const namespace = `fmt${++namespaces}`;
    const cli = async (...args) => {
      const { stdout } = await promisify(execFile)(
        'cargo',
        ['run', '-q', '-p', 'session-core-redis', '--example', 'session_cli', '--', redis.url, ...args, namespace],
        { cwd: repoRoot, maxBuffer: 1 << 20 },
      );
      return JSON.parse(stdout);
    };
    const s = make({ namespace, wipe: 0 });
    // Node → Rust
    const { token } = await s.create({ app: APP, id: 'from-node', ip: '10.0.0.1', d: { cart: 2 } });
    const seen = await cli('get', APP, token);
    assert.deepEqual({ ...seen, idle: 0 }, { id: 'from-node', r: 1, w: 1, ttl: 7200, idle: 0, ip: '10.0.0.1', d: { cart: 2 } });
    assert.equal((await s.get({ app: APP, token })).r, 2, 'the read from Rust counted');
    // Rust → Node
    const made = await cli('create', APP, 'from-rust');
    assert.match(made.token, /^[A-Za-z0-9]{64}$/);
    const got = await s.get({ app: APP, token: made.token });
    assert.deepEqual({ ...got, idle: 0 }, { id: 'from-rust', r: 1, w: 1, ttl: 7200, idle: 0, ip: '127.0.0.1' });
    assert.equal((await s.set({ app: APP, token: made.token, d: { x: 'y' } })).w, 2);
    const back = await cli('get', APP, made.token);
    assert.deepEqual([back.r, back.w, back.d], [2, 2, { x: 'y' }], 'Rust sees what Node wrote');
    assert.deepEqual((await s.soid({ app: APP, id: 'from-rust' })).sessions.length, 1);
  });
});
