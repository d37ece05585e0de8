// session-core/redis-sessions against redis-sessions 4.0.0 itself: the same calls on both, each
// on a real redis-server of its own, on one clock the test moves; every answer compared
// (results, key order and errors). See redis-sessions-pair.mjs.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { checks, fakePerformanceNow, Pair } from './redis-sessions-pair.mjs';

const APP = 'myapp';
const open = [];
after(async () => {
  for (const p of open) await p.close();
  await Pair.closeServers();
  console.log(`# redis-sessions 4.0.0 vs the drop-in: ${checks.compared} answers compared, all alike`);
});

async function pair(options = {}) {
  const p = await Pair.open(options);
  open.push(p);
  return p;
}

/** The next `n` events `name` of `emitter`. */
function events(emitter, name, n) {
  return new Promise((resolve) => {
    const seen = [];
    const on = (e) => {
      seen.push(e);
      if (seen.length === n) {
        emitter.off(name, on);
        resolve(seen);
      }
    };
    emitter.on(name, on);
  });
}

/** The users whose sessions `soid` or `soapp` listed, in a fixed order (Redis sets have none). */
const byIp = (r) => ({ sessions: [...r.sessions].sort((a, b) => (a.ip < b.ip ? -1 : 1)) });

describe('redis-sessions 4.0.0 and the drop-in answer alike', () => {
  test('a session through its life: create, get, set, idle, counters, data merge, kill', async () => {
    const p = await pair({ wipe: 0 });
    await p.same('create', { app: APP, id: 'user1', ip: '127.0.0.1', ttl: 3600, d: { a: 1, b: 'x', n: null } }, 'a');
    await p.same('get', { app: APP, token: '@a' });
    await p.advance(5);
    await p.same('get', { app: APP, token: '@a' });
    await p.advance(3);
    await p.same('set', { app: APP, token: '@a', d: { b: null, c: true, e: 2.5 } });
    await p.same('get', { app: APP, token: '@a' });
    await p.same('set', { app: APP, token: '@a', d: { a: null, c: null, e: null } });
    await p.same('get', { app: APP, token: '@a' });
    await p.same('create', { app: APP, id: 'user1', ip: '127.0.0.2' }, 'b');
    await p.advance(2);
    await p.same('kill', { app: APP, token: '@a' });
    await p.same('get', { app: APP, token: '@a' });
    await p.same('set', { app: APP, token: '@a', d: { a: 1 } });
    await p.same('kill', { app: APP, token: '@a' });
    await p.same('get', { app: APP, token: '@b' });
    await p.same('ping');
  });

  test('unknown sessions, users and apps; data given as nulls only', async () => {
    const p = await pair({ wipe: 0 });
    const nobody = { app: APP, token: 'Q'.repeat(64) };
    await p.same('get', nobody);
    await p.same('set', { ...nobody, d: { a: 1 } });
    await p.same('kill', nobody);
    await p.same('killsoid', { app: APP, id: 'nobody' });
    await p.same('killall', { app: 'emptyapp' });
    await p.same('activity', { app: 'emptyapp', deltaTime: 60 });
    await p.same('soapp', { app: 'emptyapp', deltaTime: 60 });
    await p.same('create', { app: APP, id: 'u', ip: '::1', d: { a: null } }, 'a');
    await p.same('get', { app: APP, token: '@a' });
    await p.same('set', { app: APP, token: '@a', d: { a: null } });
    await p.same('set', { app: APP, token: '@a', d: { 'a b': 'x', f: false, n: -0.5, t: true, 'é': 1 } });
    await p.same('get', { app: APP, token: '@a' });
  });

  test('no_resave: the ttl counts down from creation, and the session ends then', async () => {
    const p = await pair({ wipe: 0 });
    await p.same('create', { app: APP, id: 'u', ip: '::1', ttl: 60, no_resave: true, d: { k: 'v' } }, 'a');
    await p.advance(10);
    await p.same('get', { app: APP, token: '@a' });
    await p.advance(20);
    await p.same('set', { app: APP, token: '@a', d: { k: 'w' } });
    await p.advance(5);
    await p.same('get', { app: APP, token: '@a' });
    await p.advance(30);
    await p.same('get', { app: APP, token: '@a' });
  });

  test('activity, soapp and soid, and the kills of many', async () => {
    const p = await pair({ wipe: 0 });
    await p.same('create', { app: APP, id: 'user1', ip: '10.0.0.1' }, 'a');
    await p.advance(2);
    await p.same('create', { app: APP, id: 'user1', ip: '10.0.0.2' }, 'b');
    await p.advance(2);
    await p.same('create', { app: APP, id: 'user2', ip: '10.0.0.3', d: { role: 'admin' } }, 'c');
    await p.advance(100);
    await p.same('get', { app: APP, token: '@a' });
    await p.advance(2);
    await p.same('create', { app: 'other', id: 'user1', ip: '10.0.0.4' }, 'd');
    await p.advance(2);
    for (const deltaTime of [10, 60, 600, '600']) {
      await p.same('activity', { app: APP, deltaTime });
      await p.same('soapp', { app: APP, deltaTime });
    }
    const { ref, dut } = await p.both('soid', { app: APP, id: 'user1' });
    assert.deepStrictEqual(byIp(dut.result), byIp(ref.result), 'soid user1');
    checks.compared++;
    await p.same('soid', { app: APP, id: 'nobody' });
    await p.same('killsoid', { app: APP, id: 'user1' });
    await p.same('activity', { app: APP, deltaTime: 600 });
    await p.same('killsoid', { app: APP, id: 'user1' });
    await p.same('killall', { app: APP });
    await p.same('killall', { app: APP });
    await p.same('activity', { app: APP, deltaTime: 600 });
    await p.same('get', { app: 'other', token: '@d' });
  });

  test('kill counts as an access of the user, as redis-sessions\' kill reads the session first', async () => {
    const p = await pair({ wipe: 0 });
    await p.same('create', { app: APP, id: 'user1', ip: '10.0.0.1' }, 'a');
    await p.same('create', { app: APP, id: 'user1', ip: '10.0.0.2' }, 'b');
    await p.advance(100);
    await p.same('activity', { app: APP, deltaTime: 60 });
    await p.same('kill', { app: APP, token: '@a' });
    await p.same('activity', { app: APP, deltaTime: 60 });
  });

  test('the wipe schedule: until the wipe, an expired user still counts in activity; then not', async () => {
    const p = await pair();
    // redis-sessions' default: a wipe every 600 s, on a timer each side starts.
    assert.deepStrictEqual(p.wipers.ref.map((w) => w.ms), [600_000]);
    assert.deepStrictEqual(p.wipers.dut.map((w) => w.ms), [600_000]);
    // Five users active in the last 60 s, two of whose 10-second sessions have expired.
    for (const [i, ttl] of [3600, 3600, 3600, 10, 10].entries()) {
      await p.same('create', { app: APP, id: `user${i}`, ip: '10.0.0.1', ttl }, `s${i}`);
    }
    await p.advance(20);
    for (let i = 0; i < 5; i++) await p.same('get', { app: APP, token: `@s${i}` });
    await p.same('set', { app: APP, token: '@s3', d: { a: 1 } });
    await p.same('kill', { app: APP, token: '@s4' });
    await p.same('activity', { app: APP, deltaTime: 60 });
    // Sessions read in the same second: redis-sessions orders them by token, the drop-in by
    // handle (both random), so the listing is compared as a set.
    const listed = await p.both('soapp', { app: APP, deltaTime: 60 });
    const ids = (r) => r.result.sessions.map((x) => JSON.stringify(x)).sort();
    assert.deepStrictEqual(ids(listed.dut), ids(listed.ref));
    checks.compared++;
    await p.same('soid', { app: APP, id: 'user3' });
    // The wipe runs: redis-sessions' timer callback, and the drop-in's (which sweeps and
    // reports each session it removes as 'expired').
    await p.wipers.ref[0].fn();
    const swept = events(p.dut, 'expired', 2);
    p.wipers.dut[0].fn();
    assert.deepStrictEqual((await swept).map((e) => e.id).sort(), ['user3', 'user4']);
    await p.same('activity', { app: APP, deltaTime: 60 });
    await p.same('get', { app: APP, token: '@s3' });
    await p.same('killsoid', { app: APP, id: 'user3' });
  });

  test('wipe option: its period in seconds, at least 10; 0 turns it off', async () => {
    for (const [wipe, ms] of [
      [30, [30_000]],
      [3, [10_000]],
      [0, []],
      [undefined, [600_000]],
    ]) {
      const p = await pair(wipe === undefined ? {} : { wipe });
      assert.deepStrictEqual(p.wipers.ref.map((w) => w.ms), ms, `redis-sessions, wipe ${wipe}`);
      assert.deepStrictEqual(p.wipers.dut.map((w) => w.ms), ms, `drop-in, wipe ${wipe}`);
    }
  });

  test('expired sessions before the wipe: kills count them, as redis-sessions counts them', async () => {
    const p = await pair({ wipe: 0 });
    await p.same('create', { app: APP, id: 'user1', ip: '10.0.0.1', ttl: 10 }, 'a');
    await p.same('create', { app: APP, id: 'user1', ip: '10.0.0.2', ttl: 3600 }, 'b');
    await p.same('create', { app: APP, id: 'user2', ip: '10.0.0.3', ttl: 10 }, 'c');
    await p.same('create', { app: APP, id: 'user3', ip: '10.0.0.4', ttl: 3600 }, 'd');
    await p.advance(30);
    await p.same('kill', { app: APP, token: '@c' });
    await p.same('activity', { app: APP, deltaTime: 600 });
    await p.same('killsoid', { app: APP, id: 'user1' });
    await p.same('activity', { app: APP, deltaTime: 600 });
    await p.same('killall', { app: APP });
    await p.same('activity', { app: APP, deltaTime: 600 });
  });

  test('inputs as redis-sessions reads them: numbers, strings of digits, truthy flags', async () => {
    const p = await pair({ wipe: 0 });
    // A number as id: node-redis refuses it (redis-sessions may have written part of the
    // session by then, which its listings show; the drop-in writes nothing): in an app apart.
    await p.same('create', { app: 'numbers', id: 42, ip: '::1' });
    await p.same('create', { app: APP, id: '43', ip: 1234, ttl: '3600' }, 'a');
    await p.same('get', { app: APP, token: '@a' });
    await p.same('soid', { app: APP, id: 43 });
    await p.same('activity', { app: APP, deltaTime: '600' });
    await p.same('soapp', { app: APP, deltaTime: 600.5 });
    await p.same('killsoid', { app: APP, id: '43' });
    await p.same('create', { app: APP, id: 'u@example.com', ip: '2001:db8::1', d: { x: 'y' } }, 'b');
    await p.same('get', { app: APP, token: '@b' });
    await p.same('create', { app: APP, id: 'u', ip: '::1', no_resave: 1 }, 'c');
    await p.same('get', { app: APP, token: '@c' });
    await p.same('set', { app: APP, token: '@c', d: { b: new Boolean(false), n: new Number(3), s: new String('t') } });
    await p.same('get', { app: APP, token: '@c' });
  });

  test('create treats its options object as redis-sessions does (it sets d on it)', async () => {
    const p = await pair({ wipe: 0 });
    const given = () => [{ app: APP, id: 'u', ip: '::1' }, { app: APP, id: 'u', ip: '::1', d: { a: null, b: 1 } }];
    const [refPlain, refData] = given();
    const [dutPlain, dutData] = given();
    await p.ref.create(refPlain);
    await p.ref.create(refData);
    await p.dut.create(dutPlain);
    await p.dut.create(dutData);
    assert.deepStrictEqual([dutPlain, dutData], [refPlain, refData]);
    checks.compared++;
  });

  test('after quit(): the same errors', async () => {
    const p = await pair({ wipe: 0 });
    await p.same('create', { app: APP, id: 'u', ip: '::1' }, 'a');
    await p.same('quit');
    await p.same('get', { app: APP, token: '@a' });
    await p.same('get', { app: APP });
    await p.same('create', { app: APP, id: 'u', ip: '::1' });
    await p.same('ping');
    await p.same('quit');
  });
});

describe('the cache (cachetime, cachemax), side by side', () => {
  test('hit, miss, expiry: a cached get answers as cached and touches no Redis', async (t) => {
    const p = await pair({ wipe: 0, cachetime: 30 });
    t.after(fakePerformanceNow(p));
    await p.same('create', { app: APP, id: 'u', ip: '::1', ttl: 3600 }, 'a');
    await p.same('get', { app: APP, token: '@a' });
    await p.advance(10);
    await p.same('get', { app: APP, token: '@a' });
    await p.same('get', { app: APP, token: '@a', _nocache: true });
    await p.advance(20);
    await p.same('get', { app: APP, token: '@a' });
    await p.advance(1);
    await p.same('get', { app: APP, token: '@a' });
    await p.same('get', { app: APP, token: '@a' });
    await p.same('activity', { app: APP, deltaTime: 10 });
  });

  test('a cached session is answered even once it has expired, until the cache or the wipe drops it', async (t) => {
    const p = await pair({ cachetime: 60 });
    t.after(fakePerformanceNow(p));
    await p.same('create', { app: APP, id: 'u', ip: '::1', ttl: 10 }, 'a');
    await p.same('create', { app: APP, id: 'v', ip: '::1', ttl: 10 }, 'b');
    await p.same('get', { app: APP, token: '@a' });
    await p.same('get', { app: APP, token: '@b' });
    await p.advance(20);
    await p.same('get', { app: APP, token: '@a' });
    await p.same('kill', { app: APP, token: '@a' });
    await p.refEvicted(APP, 'a');
    await p.same('get', { app: APP, token: '@a' });
    await p.same('get', { app: APP, token: '@b' });
    await p.wipers.ref[0].fn();
    await p.refEvicted(APP, 'b');
    const swept = events(p.dut, 'expired', 1);
    p.wipers.dut[0].fn();
    await swept;
    await p.same('get', { app: APP, token: '@b' });
  });

  test('cachemax: the least recently used session goes first', async (t) => {
    const p = await pair({ wipe: 0, cachetime: 300, cachemax: 2 });
    t.after(fakePerformanceNow(p));
    for (const name of ['a', 'b', 'c']) await p.same('create', { app: APP, id: name, ip: '::1' }, name);
    await p.same('get', { app: APP, token: '@a' });
    await p.same('get', { app: APP, token: '@b' });
    await p.advance(2);
    await p.same('get', { app: APP, token: '@a' }); // a hit: a is now the most recent
    await p.same('get', { app: APP, token: '@c' }); // c comes in, b goes
    await p.advance(2);
    await p.same('get', { app: APP, token: '@a' }); // still cached
    await p.same('get', { app: APP, token: '@b' }); // read again: r counts
    await p.same('get', { app: APP, token: '@c' }); // c went for b
  });

  test('killsoid and killall evict the sessions they end', async (t) => {
    const p = await pair({ wipe: 0, cachetime: 300 });
    t.after(fakePerformanceNow(p));
    await p.same('create', { app: APP, id: 'u', ip: '::1' }, 'a');
    await p.same('create', { app: APP, id: 'u', ip: '::2' }, 'b');
    await p.same('create', { app: APP, id: 'v', ip: '::3' }, 'c');
    for (const s of ['a', 'b', 'c']) await p.same('get', { app: APP, token: `@${s}` });
    await p.same('killsoid', { app: APP, id: 'u' });
    await p.refEvicted(APP, 'a');
    await p.refEvicted(APP, 'b');
    await p.same('get', { app: APP, token: '@a' });
    await p.same('get', { app: APP, token: '@b' });
    await p.same('get', { app: APP, token: '@c' });
    await p.same('killall', { app: APP });
    await p.refEvicted(APP, 'c');
    await p.same('get', { app: APP, token: '@c' });
  });

  test('set and kill evict the session', async (t) => {
    const p = await pair({ wipe: 0, cachetime: 300 });
    t.after(fakePerformanceNow(p));
    await p.same('create', { app: APP, id: 'u', ip: '::1' }, 'a');
    await p.same('get', { app: APP, token: '@a' });
    await p.advance(2);
    await p.same('set', { app: APP, token: '@a', d: { x: 1 } });
    await p.refEvicted(APP, 'a');
    await p.same('get', { app: APP, token: '@a' });
    await p.same('get', { app: APP, token: '@a' });
    await p.same('kill', { app: APP, token: '@a' });
    await p.refEvicted(APP, 'a');
    await p.same('get', { app: APP, token: '@a' });
  });
});
