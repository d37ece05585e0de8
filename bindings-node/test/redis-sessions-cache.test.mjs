// The drop-in's session cache (cachetime, cachemax) on a real redis-server: the LRU against the
// lru-cache redis-sessions itself loads; hits, misses, expiry and cachemax on an injected clock;
// eviction by set and kill, and from another process (a child) through the channel
// `{namespace}:cache`, whose name and messages are redis-sessions' own (checked against
// redis-sessions 4.0.0 publishing on its own redis-server).
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { after, describe, test } from 'node:test';
import { MapStore, Sessions } from 'session-core';
import { makeRedisSessionsClass } from 'session-core/driver';
import RedisSessions from 'session-core/redis-sessions';
import { sessionCache } from '../../driver/src/redis-sessions-cache.mjs';
import { startRedis } from '../../tests/js/redis-server.mjs';
import { RedisSessions4, recordIntervals, T0 } from './redis-sessions-pair.mjs';

const require = createRequire(import.meta.url);
const fromRs = createRequire(require.resolve('redis-sessions'));
// The lru-cache and node-redis that redis-sessions 4.0.0 runs on.
const { LRUCache } = fromRs('lru-cache');
const { createClient } = fromRs('redis');
const { handleOf } = require('../redis-channel.cjs');

const APP = 'myapp';
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const redis = await startRedis();
const opened = [];
after(async () => {
  for (const rs of opened) await rs.quit().catch(() => {});
  await redis.close();
});

/** A drop-in on the test's redis-server, on a clock the test moves (`clock.now`). */
function open(options = {}) {
  const clock = { now: T0 };
  const rs = new RedisSessions({ port: redis.port, wipe: 0, clock: () => clock.now, ...options });
  opened.push(rs);
  return { rs, clock };
}

/** Calls `probe` until `done(result)`, at most ~2 s: for what arrives through pub/sub. */
async function eventually(probe, done) {
  let last;
  for (let i = 0; i < 400; i++) {
    last = await probe();
    if (done(last)) return last;
    await sleep(5);
  }
  return last;
}

/** Messages on `channel` of the Redis at `port`, as node-redis receives them. */
async function listen(port, channel) {
  const client = createClient({ socket: { port, host: '127.0.0.1' } });
  const messages = [];
  await client.connect();
  await client.subscribe(channel, (m) => messages.push(m));
  return { messages, close: () => client.quit() };
}

describe('the LRU is lru-cache as redis-sessions configures it', () => {
  test('the same answers for the same operations on the same clock', async () => {
    let now = 1_000;
    const realNow = performance.now;
    performance.now = () => now;
    try {
      for (const [max, ttlSeconds, seed] of [
        [3, 5, 1],
        [5, 2, 2],
        [1, 10, 3],
      ]) {
        const ours = sessionCache(ttlSeconds, max, () => now);
        const theirs = new LRUCache({ max, ttl: ttlSeconds * 1000, updateAgeOnGet: false, ttlAutopurge: false });
        let x = seed;
        const rand = (n) => {
          x = (x * 1103515245 + 12345) % 2 ** 31;
          return x % n;
        };
        for (let step = 0; step < 400; step++) {
          const key = `k${rand(8)}`;
          const op = rand(10);
          if (op < 4) {
            assert.equal(ours.get(key)?.v, theirs.get(key)?.v, `step ${step}: get ${key}`);
          } else if (op < 8) {
            const value = { v: step };
            ours.set(key, value);
            theirs.set(key, value);
          } else if (op < 9) {
            assert.equal(ours.delete(key), theirs.delete(key), `step ${step}: delete ${key}`);
          } else {
            now += rand(3) * 1000 + rand(2);
            // lru-cache keeps a clock reading for 1 ms of real time.
            await sleep(2);
          }
          assert.equal(ours.size, theirs.size, `step ${step}: size`);
        }
      }
    } finally {
      performance.now = realNow;
    }
  });

  test('reads enter in the order they were sent; an eviction voids the reads of it in flight', () => {
    const cache = sessionCache(300, 2, () => 0);
    const [a, b, c] = ['app:a', 'app:b', 'app:c'].map((key) => cache.reserve(key, `${key}-handle`));
    // Answered C, B, A: they enter A, B, C, so that A is the one cachemax 2 evicts.
    cache.fill(c, { id: 'c' });
    cache.fill(b, { id: 'b' });
    assert.equal(cache.size, 0, 'B and C wait for A');
    cache.fill(a, { id: 'a' });
    assert.deepStrictEqual([cache.get('app:a'), cache.get('app:b')?.id, cache.get('app:c')?.id], [undefined, 'b', 'c']);
    // Evictions of reads in flight, answered or not: by key, by handle, by user, all.
    const evicted = (evict) => {
      const fresh = sessionCache(300, 5, () => 0);
      const first = fresh.reserve('app:x', 'app:hx');
      const held = fresh.reserve('app:y', 'app:hy');
      fresh.fill(held, { id: 'u' });
      evict(fresh);
      fresh.fill(first, { id: 'w' });
      return [fresh.get('app:x')?.id ?? null, fresh.get('app:y')?.id ?? null];
    };
    assert.deepStrictEqual(evicted((f) => f.delete('app:y')), ['w', null]);
    assert.deepStrictEqual(evicted((f) => f.deleteHandle('app:hy')), ['w', null]);
    assert.deepStrictEqual(evicted((f) => f.deleteWhere('app', 'u')), [null, null], 'x is not answered yet: its user is not known');
    assert.deepStrictEqual(evicted((f) => f.deleteWhere('other')), ['w', 'u']);
    assert.deepStrictEqual(evicted((f) => f.clear()), [null, null]);
    // An abandoned read lets the ones after it in.
    const d = cache.reserve('app:d');
    const e = cache.reserve('app:e');
    cache.fill(e, { id: 'e' });
    cache.abandon(d);
    assert.deepStrictEqual([cache.get('app:d'), cache.get('app:e')?.id], [undefined, 'e']);
  });

  test('cachetime and cachemax: the same defaults and the same refusals as redis-sessions', () => {
    const cases = [
      [0, undefined],
      [-1, 3],
      [30, undefined],
      [30, 0],
      [30, -5],
      [30, 2.5],
      [30, '5'],
      [0.0001, 10],
      ['30', 10],
    ];
    // redis-sessions connects in its constructor: its side runs in a child that exits.
    const script = `
      const RS = require(${JSON.stringify(require.resolve('redis-sessions'))}).default;
      const out = [];
      for (const [cachetime, cachemax] of ${JSON.stringify(cases)}) {
        try {
          const rs = new RS({ port: 1, wipe: 0, cachetime, cachemax });
          out.push(rs.sessionCache === null ? 'none' : rs.sessionCache.max);
        } catch (e) { out.push(e.constructor.name + ': ' + e.message); }
      }
      console.log(JSON.stringify(out));
      process.exit(0);
    `;
    const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(r.status, 0, r.stderr);
    const theirs = JSON.parse(r.stdout);
    const ours = cases.map(([cachetime, cachemax]) => {
      try {
        const c = sessionCache(cachetime, cachemax, () => 0);
        return c === null ? 'none' : c.max;
      } catch (e) {
        return `${e.constructor.name}: ${e.message}`;
      }
    });
    assert.deepStrictEqual(ours, theirs);
    // The drop-in's constructor refuses them the same way.
    assert.throws(() => new RedisSessions({ cachetime: 30, cachemax: 2.5 }), {
      name: 'TypeError',
      message: 'max option must be a nonnegative integer',
    });
  });
});

describe('the cache of session-core/redis-sessions', () => {
  test('hit, miss, expiry on the clock, cachemax', async () => {
    const { rs, clock } = open({ cachetime: 30, cachemax: 2 });
    const tokens = [];
    for (const id of ['a', 'b', 'c']) tokens.push((await rs.create({ app: APP, id, ip: '::1' })).token);
    const [a, b, c] = tokens;
    const first = await rs.get({ app: APP, token: a });
    clock.now += 10_000;
    const hit = await rs.get({ app: APP, token: a });
    assert.equal(hit, first, 'a hit answers the cached session itself');
    assert.deepStrictEqual(hit, { id: 'a', r: 1, w: 1, ttl: 7200, idle: 0, ip: '::1' });
    clock.now += 20_001; // 30.001 s after it was cached: aged out
    const miss = await rs.get({ app: APP, token: a });
    assert.deepStrictEqual({ r: miss.r, idle: miss.idle }, { r: 2, idle: 30 }, 'read from Redis: the first read counted');
    // cachemax 2: a is cached; b and c come in, a goes.
    await rs.get({ app: APP, token: b });
    await rs.get({ app: APP, token: c });
    assert.equal((await rs.get({ app: APP, token: a })).r, 3);
    assert.equal((await rs.get({ app: APP, token: c })).r, 1, 'c is still cached');
    assert.equal((await rs.get({ app: APP, token: b })).r, 2, 'b went for a');
  });

  test('concurrent gets fill the cache in the order they were sent, as redis-sessions 4.0.0 fills its own', async () => {
    // Three gets of A, B and C at once, with cachemax 2: redis-sessions caches each session
    // when its HMGET's reply arrives, and the replies come in the order of the commands, so
    // A is the one evicted. Then A (a miss: r counts the first read; it evicts B), C (a hit)
    // and B (a miss) are read one by one; `r` says which reads went to Redis.
    const reads = async (rs) => {
      const tokens = [];
      for (const id of ['A', 'B', 'C']) tokens.push((await rs.create({ app: APP, id, ip: '::1' })).token);
      const [a, b, c] = tokens;
      const first = await Promise.all(tokens.map((token) => rs.get({ app: APP, token })));
      assert.deepStrictEqual(first.map((s) => s.id), ['A', 'B', 'C']);
      const after = [];
      for (const token of [a, c, b]) after.push((await rs.get({ app: APP, token })).r);
      return after;
    };
    const other = await startRedis();
    const theirs = recordIntervals(() => new RedisSessions4({ port: other.port, wipe: 0, cachetime: 300, cachemax: 2 })).value;
    try {
      assert.deepStrictEqual(await reads(theirs), [2, 1, 2], 'redis-sessions: A evicted, then B');
    } finally {
      await theirs.quit();
      await theirs.redissub.quit();
      await other.close();
    }
    // The drop-in, on this test's redis-server, many times over: whatever order the answers
    // come back in.
    for (let round = 0; round < 20; round++) {
      const { rs } = open({ cachetime: 300, cachemax: 2, namespace: `order${round}` });
      assert.deepStrictEqual(await reads(rs), [2, 1, 2], `round ${round}`);
    }
  });

  test('an eviction while a get is in flight keeps its answer out of the cache', async () => {
    for (let round = 0; round < 10; round++) {
      const { rs } = open({ cachetime: 300, cachemax: 5, namespace: `flight${round}` });
      const { token } = await rs.create({ app: APP, id: 'u', ip: '::1' });
      const other = (await rs.create({ app: APP, id: 'v', ip: '::1' })).token;
      // The get of `other` is sent first, the get of `token` second; the set of `token` is
      // sent while both are in flight: `token`'s copy read before the set must not be cached.
      const gets = [rs.get({ app: APP, token: other }), rs.get({ app: APP, token })];
      const set = rs.set({ app: APP, token, d: { x: 1 } });
      await Promise.all([...gets, set]);
      const read = await rs.get({ app: APP, token });
      assert.deepStrictEqual(read.d, { x: 1 }, `round ${round}: the session as set, from Redis`);
    }
  });

  test('a hit touches no Redis', async () => {
    const { rs } = open({ cachetime: 30 });
    const { token } = await rs.create({ app: APP, id: 'u', ip: '::1' });
    await rs.get({ app: APP, token });
    const before = (await redis.calls('evalsha')) + (await redis.calls('eval'));
    for (let i = 0; i < 5; i++) await rs.get({ app: APP, token });
    const afterwards = (await redis.calls('evalsha')) + (await redis.calls('eval'));
    assert.equal(afterwards, before);
  });

  test('set and kill evict; the channel carries redis-sessions\' messages', async () => {
    const { rs } = open({ cachetime: 300, namespace: 'chan' });
    const heard = await listen(redis.port, 'chan:cache');
    try {
      const { token } = await rs.create({ app: APP, id: 'u', ip: '::1' });
      await rs.get({ app: APP, token });
      const set = await rs.set({ app: APP, token, d: { x: 1 } });
      assert.equal(set.w, 2);
      const read = await rs.get({ app: APP, token });
      assert.deepStrictEqual({ r: read.r, d: read.d }, { r: 2, d: { x: 1 } }, 'read from Redis after the set');
      assert.deepStrictEqual(await rs.kill({ app: APP, token }), { kill: 1 });
      assert.equal(await rs.get({ app: APP, token }), null);
      await eventually(() => heard.messages.length, (n) => n >= 2);
      assert.deepStrictEqual(heard.messages, [`${APP}:${token}`, `${APP}:${token}`]);
      // The sessions that killsoid ends are named by their handles (their tokens are not
      // known to the drop-in); redis-sessions' subscribers ignore those.
      const t2 = (await rs.create({ app: APP, id: 'v', ip: '::1' })).token;
      await rs.get({ app: APP, token: t2 });
      assert.deepStrictEqual(await rs.killsoid({ app: APP, id: 'v' }), { kill: 1 });
      assert.equal(await rs.get({ app: APP, token: t2 }), null);
      await eventually(() => heard.messages.length, (n) => n >= 3);
      assert.deepStrictEqual(heard.messages.slice(2), [`${APP}:${handleOf(t2)}`]);
    } finally {
      await heard.close();
    }
  });

  test('redis-sessions 4.0.0 publishes on the same channel, the same messages for set and kill', async () => {
    const other = await startRedis();
    const heard = await listen(other.port, 'chan:cache');
    const ref = recordIntervals(() => new RedisSessions4({ port: other.port, namespace: 'chan', cachetime: 300, wipe: 0 })).value;
    try {
      const { token } = await ref.create({ app: APP, id: 'u', ip: '::1' });
      await ref.get({ app: APP, token });
      await ref.set({ app: APP, token, d: { x: 1 } });
      await ref.kill({ app: APP, token });
      await eventually(() => heard.messages.length, (n) => n >= 2);
      assert.deepStrictEqual(heard.messages, [`${APP}:${token}`, `${APP}:${token}`]);
    } finally {
      await heard.close();
      await ref.quit();
      await ref.redissub.quit();
      await other.close();
    }
  });

  for (const impl of ['drop-in', 'redis-sessions']) {
    test(`${impl}: a kill, a set and a killsoid in another process evict this process' copies`, async () => {
      const make = (options) =>
        impl === 'drop-in'
          ? open(options).rs
          : recordIntervals(() => new RedisSessions4({ port: redis.port, wipe: 0, ...options })).value;
      const rs = make({ cachetime: 300, namespace: `x${impl.length}` });
      const ns = `x${impl.length}`;
      const child = spawn(process.execPath, ['--input-type=module', '-e', CHILD, impl, String(redis.port), ns, String(T0)], {
        cwd: new URL('..', import.meta.url),
        stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
      });
      const ask = (m) =>
        new Promise((resolve) => {
          child.once('message', resolve);
          child.send(m);
        });
      try {
        await new Promise((resolve) => child.once('message', resolve)); // ready
        const a = (await rs.create({ app: APP, id: 'u', ip: '::1' })).token;
        const b = (await rs.create({ app: APP, id: 'v', ip: '::1' })).token;
        const c = (await rs.create({ app: APP, id: 'w', ip: '::1' })).token;
        for (const token of [a, b, c]) await rs.get({ app: APP, token });
        assert.equal((await rs.get({ app: APP, token: a })).r, 1, 'cached');
        assert.deepStrictEqual(await ask({ kill: a }), { kill: 1 });
        assert.equal(await eventually(() => rs.get({ app: APP, token: a }), (s) => s === null), null);
        assert.equal((await ask({ set: b })).w, 2);
        const fresh = await eventually(() => rs.get({ app: APP, token: b }), (s) => s?.d !== undefined);
        assert.deepStrictEqual(fresh.d, { from: 'child' });
        if (impl === 'drop-in') {
          // redis-sessions' killsoid publishes tokens its subscribers evict; the drop-in's,
          // handles: either way the copy here goes.
          assert.deepStrictEqual(await ask({ killsoid: 'w' }), { kill: 1 });
          assert.equal(await eventually(() => rs.get({ app: APP, token: c }), (s) => s === null), null);
        }
      } finally {
        child.send({ quit: true });
        await new Promise((resolve) => child.once('exit', resolve));
        if (impl !== 'drop-in') {
          await rs.quit();
          await rs.redissub.quit();
        }
      }
    });
  }

  test('without its subscription the cache keeps what it has, and drops it all once subscribed again', async () => {
    const own = await startRedis();
    const rs = new RedisSessions({ port: own.port, wipe: 0, cachetime: 300, clock: () => T0 });
    try {
      const { token } = await rs.create({ app: APP, id: 'u', ip: '::1' });
      await rs.get({ app: APP, token });
      await own.stop();
      // Redis is down: the cached copy still answers, as redis-sessions' does.
      assert.equal((await rs.get({ app: APP, token })).id, 'u');
      await own.start(); // empty: it keeps nothing on disk
      // Once subscribed again, nothing cached before is trusted (evictions may have been
      // missed): the session is read from Redis, which has lost it.
      assert.equal(await eventually(() => rs.get({ app: APP, token }).catch(() => 'down'), (s) => s === null), null);
    } finally {
      await rs.quit();
      await own.close();
    }
  });

  test('over a store of its own (no channel, no handles): evictions in this process, by user', async () => {
    const store = new MapStore();
    const Shell = makeRedisSessionsClass(Sessions, () => ({ store }));
    const rs = new Shell({ cachetime: 300, wipe: 0 });
    const make = async (id) => (await rs.create({ app: APP, id, ip: '::1' })).token;
    const [a, b, c] = [await make('u'), await make('u'), await make('v')];
    for (const token of [a, b, c]) await rs.get({ app: APP, token });
    assert.equal((await rs.get({ app: APP, token: a })).r, 1, 'cached');
    assert.deepStrictEqual(await rs.killsoid({ app: APP, id: 'u' }), { kill: 2 });
    assert.equal(await rs.get({ app: APP, token: a }), null);
    assert.equal(await rs.get({ app: APP, token: b }), null);
    assert.equal((await rs.get({ app: APP, token: c })).r, 1, "another user's copy stays");
    assert.deepStrictEqual(await rs.killall({ app: APP }), { kill: 1 });
    assert.equal(await rs.get({ app: APP, token: c }), null);
    await rs.quit();
  });
});

/** The second process: an instance on the same Redis and namespace, which acts when told. */
const CHILD = `
  import { createRequire } from 'node:module';
  import RedisSessions from 'session-core/redis-sessions';
  const [impl, port, namespace, now] = process.argv.slice(1);
  const require = createRequire(process.cwd() + '/package.json');
  const options = { port: Number(port), namespace, wipe: 0, cachetime: 300 };
  // The drop-in on the parent's clock; redis-sessions on the real one, as its parent.
  const rs =
    impl === 'drop-in'
      ? new RedisSessions({ ...options, clock: () => Number(now) })
      : new (require('redis-sessions').default)(options);
  const app = 'myapp';
  process.on('message', async (m) => {
    if (m.kill) process.send(await rs.kill({ app, token: m.kill }));
    else if (m.set) process.send(await rs.set({ app, token: m.set, d: { from: 'child' } }));
    else if (m.killsoid) process.send(await rs.killsoid({ app, id: m.killsoid }));
    else if (m.quit) {
      await rs.quit();
      process.exit(0);
    }
  });
  process.send('ready');
`;
