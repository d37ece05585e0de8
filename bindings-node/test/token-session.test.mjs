// session-core/token-session: the drop-in for require('token-session') 1.0. Its README's
// examples as tests (every method, with callbacks and as Promises, every option and error
// case), on the embedded store and on a real redis-server; expiry by an injected clock.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { after, describe, test } from 'node:test';
import TokenSession from 'session-core/token-session';
import { MapStore, SessionError, Sessions } from 'session-core';
import { startRedis } from '../../tests/js/redis-server.mjs';

const require = createRequire(import.meta.url);
const redis = await startRedis();
const opened = [];
after(async () => {
  await Promise.all(opened.map((s) => s.quit()));
  await redis.close();
});

/** A TokenSession on the embedded store with a clock the test moves. */
function fresh(options = {}) {
  let now = 1_700_000_000_000;
  const clock = { read: () => now, advance: (s) => (now += s * 1000) };
  const store = new Sessions({ clock: clock.read, wipe: 0 });
  return { ts: new TokenSession({ store, ...options }), clock, store };
}

/** A callback-style call as a Promise of `[err, result]`. */
const viaCallback = (fn) => new Promise((resolve) => fn((err, result) => resolve([err, result])));

describe('session-core/token-session', () => {
  test('loads as the default export from ES modules and CommonJS, like token-session', () => {
    const cjs = require('session-core/token-session');
    assert.equal(typeof cjs, 'function');
    assert.equal(cjs.default, cjs);
    assert.ok(new cjs() instanceof cjs);
    assert.ok(new TokenSession().sessions instanceof Sessions, 'the embedded store by default');
  });

  test('new(data, callback): result = { sessionId, data }', async () => {
    const { ts } = fresh();
    const sessionData = { name: 'jhon', count: 0 };
    const [err, result] = await viaCallback((cb) => ts.new(sessionData, cb));
    assert.equal(err, null);
    assert.match(result.sessionId, /^[A-Za-z0-9]{64}$/);
    assert.deepEqual(result.data, sessionData);
    assert.deepEqual(await ts.new({ a: 1 }).then((r) => r.data), { a: 1 }, 'a Promise without a callback');
    assert.deepEqual((await ts.new()).data, {}, 'no data');
  });

  test('get and getNtouch: the data (any JSON value per key), null when there is no session', async () => {
    const { ts } = fresh();
    const { sessionId } = await ts.new({ name: 'jhon', count: 0, prefs: { theme: 'dark', tags: ['a'] } });
    const [err, data] = await viaCallback((cb) => ts.get(sessionId, cb));
    assert.equal(err, null);
    assert.equal(data.name, 'jhon');
    assert.equal(data.count, 0);
    assert.deepEqual(data.prefs, { theme: 'dark', tags: ['a'] });
    assert.deepEqual(await ts.getNtouch(sessionId), data);
    assert.deepEqual(await viaCallback((cb) => ts.getNtouch(sessionId, cb)), [null, data]);
    assert.equal(await ts.get('x'.repeat(64)), null);
  });

  test('set(sid, data[, callback]) merges the data; null deletes a key; unknown sessions answer false', async () => {
    const { ts } = fresh();
    const { sessionId } = await ts.new({ name: 'jhon', count: 0 });
    const [err] = await viaCallback((cb) => ts.set(sessionId, { count: 1 }, cb));
    assert.equal(err, null);
    assert.equal(await ts.set(sessionId, { name: null, city: 'Oslo' }), true);
    assert.deepEqual(await ts.get(sessionId), { count: 1, city: 'Oslo' });
    assert.equal(await ts.set('x'.repeat(64), { a: 1 }), false, 'no session is created under a token the core did not issue');
    assert.equal(await ts.set(sessionId, {}), true, 'an empty update touches');
  });

  test('destroy(sid, callback): the session is gone', async () => {
    const { ts } = fresh();
    const { sessionId } = await ts.new({ a: 1 });
    assert.deepEqual(await viaCallback((cb) => ts.destroy(sessionId, cb)), [null, true]);
    assert.equal(await ts.get(sessionId), null);
    assert.equal(await ts.destroy(sessionId), false);
    const [missing] = await viaCallback((cb) => ts.destroy(cb));
    assert.deepEqual([missing.name, missing.field], ['missingParameter', 'token'], 'destroy(callback): no sid is the error');
  });

  test('regenerate(sid[, session], callback): a new sid with the same data; the old one is dead', async () => {
    const { ts } = fresh();
    const { sessionId } = await ts.new({ a: 1 });
    const [err, newSid] = await viaCallback((cb) => ts.regenerate(sessionId, cb));
    assert.equal(err, null);
    assert.notEqual(newSid, sessionId);
    assert.equal(await ts.get(sessionId), null);
    assert.deepEqual(await ts.get(newSid), { a: 1 });
    const again = await ts.regenerate(newSid, { ignored: true });
    assert.deepEqual(await ts.get(again), { a: 1 });
    assert.equal(await ts.regenerate(newSid), null);
    const [missing] = await viaCallback((cb) => ts.regenerate(cb));
    assert.equal(missing.field, 'token', 'regenerate(callback): no sid is the error');
  });

  test('touch and the TTL: expiry slides with use and follows the injected clock', async () => {
    const { ts, clock } = fresh({ ttl: 60 });
    const { sessionId } = await ts.new({ a: 1 });
    clock.advance(50);
    assert.deepEqual(await viaCallback((cb) => ts.touch(sessionId, {}, cb)), [null, true]);
    clock.advance(50);
    assert.deepEqual(await ts.get(sessionId), { a: 1 }, 'touched 50 s ago: alive');
    clock.advance(50);
    assert.equal(await ts.set(sessionId, { b: 2 }), true, 'read 50 s ago (a read slides the expiry): alive');
    clock.advance(61);
    assert.equal(await ts.get(sessionId), null);
    assert.equal(await ts.touch(sessionId), false);
  });

  test('newWttl and setWttl: a TTL per session, no hack needed', async () => {
    const { ts, clock, store } = fresh({ ttl: 3600 });
    const [err, result] = await viaCallback((cb) => ts.newWttl({ name: 'jhon' }, 600, cb));
    assert.equal(err, null);
    assert.deepEqual(result.data, { name: 'jhon' });
    const short = result.sessionId;
    const long = (await ts.new({ name: 'ann' })).sessionId;
    assert.equal((await store.get({ app: 'token-session', token: short })).ttl, 600);
    clock.advance(601);
    assert.equal(await ts.get(short), null, 'the 10-minute session expired');
    assert.deepEqual(await ts.get(long), { name: 'ann' }, 'the 1-hour one did not');
    assert.deepEqual(await viaCallback((cb) => ts.setWttl(long, { count: 1 }, 30, cb)), [null, true]);
    clock.advance(31);
    assert.equal(await ts.get(long), null);
    const third = (await ts.new({})).sessionId;
    assert.equal(await ts.setWttl(third, { a: 1 }), true, 'without a ttl, as set');
    assert.deepEqual(await viaCallback((cb) => ts.setWttl(third, { b: 1 }, cb)), [null, true]);
    assert.equal(await ts.setWttl('x'.repeat(64), { a: 1 }, 60), false);
  });

  test('genid names the session owner; session IDs stay the core tokens', async () => {
    let n = 0;
    const { ts, store } = fresh({ genid: () => `user-${++n}` });
    const { sessionId } = await ts.new({ a: 1 });
    assert.match(sessionId, /^[A-Za-z0-9]{64}$/);
    const listed = await store.soid({ app: 'token-session', id: 'user-1' });
    assert.equal(listed.sessions.length, 1);
  });

  test('store: a Sessions on any store, or a JS store', async () => {
    const onMap = new TokenSession({ store: new MapStore(), autoTouch: false });
    const { sessionId } = await onMap.new({ a: 1 });
    assert.deepEqual(await onMap.get(sessionId), { a: 1 });
    const ts = new TokenSession({ store: new Sessions({ redis: redis.url, namespace: 'tokensess' }) });
    opened.push(ts.sessions);
    const r = await ts.newWttl({ name: 'jhon', count: 0 }, 600);
    assert.deepEqual(await ts.get(r.sessionId), { name: 'jhon', count: 0 });
    assert.ok((await redis.command('KEYS', 'tokensess*')).length > 0, 'the sessions are in Redis, under the namespace');
  });

  for (const where of ['embedded', 'Redis']) {
    test(`200 concurrent sets of distinct keys keep every key (${where})`, async () => {
      const store = where === 'Redis' ? new Sessions({ redis: redis.url }) : new Sessions();
      if (where === 'Redis') opened.push(store);
      const ts = new TokenSession({ store });
      const { sessionId } = await ts.new({});
      const results = await Promise.all(Array.from({ length: 200 }, (_, i) => ts.set(sessionId, { [`k${i}`]: i })));
      assert.ok(results.every((r) => r === true));
      const data = await ts.get(sessionId);
      assert.equal(Object.keys(data).length, 200);
      for (let i = 0; i < 200; i++) assert.equal(data[`k${i}`], i);
    });
  }

  test('bad input: typed errors naming the field, to the callback or as a rejection; nothing changes', async () => {
    const { ts } = fresh();
    const { sessionId } = await ts.new({ a: 1 });
    const [err] = await viaCallback((cb) => ts.set(sessionId, 'nope', cb));
    assert.ok(err instanceof SessionError);
    assert.equal(err.field, 'data');
    await assert.rejects(ts.get('short'), { name: 'invalidFormat', field: 'token' });
    await assert.rejects(ts.newWttl({ a: 1 }, 5), { field: 'ttl' });
    await assert.rejects(ts.new([1, 2]), { field: 'data' });
    assert.deepEqual(await ts.get(sessionId), { a: 1 });
    assert.throws(() => new TokenSession({ genid: 'x' }), { field: 'genid' });
    assert.throws(() => new TokenSession({ autoTouch: 'yes' }), { field: 'autoTouch' });
    assert.throws(() => new TokenSession({ store: 42 }), { field: 'store' });
    await assert.rejects(new TokenSession({ app: 'a b' }).new({}), { name: 'invalidFormat', field: 'app' });
  });
});
