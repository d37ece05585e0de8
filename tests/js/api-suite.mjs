// The API suite every JavaScript binding runs (node:test): redis-sessions behaviours end to end,
// through a package's public exports, on the embedded memory store and on the reference JS
// store (MapStore), synchronous and asynchronous.
//
//   import * as pkg from 'session-core';
//   import { apiSuite } from '../../tests/js/api-suite.mjs';
//   apiSuite(pkg, { label: 'session-core', cjs: require('session-core') });
//
// `pkg` needs `Sessions` and `MapStore` (and `SessionError`, when exported, is checked too).
// `cjs`, when given, is the same package loaded with require(): it must work the same.
//
// `backendSuite(pkg, label, make, { except })` runs the same behaviours on one more backend
// (e.g. Redis): `make(options)` returns a fresh, empty `Sessions`; `except` names the tests
// that do not apply to it.
import assert from 'node:assert/strict';
import { describe, test, test as nodeTest } from 'node:test';

const APP = 'shop';
const T0 = 1_700_000_000_000;
const TOKEN = /^[A-Za-z0-9]{64}$/;
const HANDLE = /^[A-Za-z0-9_-]{22}$/;

/** A clock the test moves by hand. */
function manualClock(start = T0) {
  const c = { now: start, read: () => c.now, advance: (ms) => (c.now += ms) };
  return c;
}

/** Lets queued promise callbacks and timers run (background sweeps on JS stores). */
const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

/** The backends every behaviour runs on. */
function backends(pkg) {
  const { Sessions, MapStore } = pkg;
  class AsyncMapStore extends MapStore {
    async apply(batch) {
      await Promise.resolve();
      return super.apply(batch);
    }
  }
  return [
    { label: 'memory store', make: (o = {}) => new Sessions(o) },
    { label: 'MapStore', make: (o = {}) => new Sessions({ ...o, store: new MapStore() }) },
    { label: 'async MapStore', make: (o = {}) => new Sessions({ ...o, store: new AsyncMapStore() }) },
  ];
}

async function rejects(promise, want) {
  await assert.rejects(promise, (e) => {
    assert.ok(e instanceof Error, 'errors are Error objects');
    for (const [k, v] of Object.entries(want)) assert.equal(e[k], v, `error.${k}`);
    return true;
  });
}

export function apiSuite(pkg, { label = 'package', cjs } = {}) {
  describe(`API suite: ${label}`, () => {
    test('exports Sessions and MapStore', () => {
      assert.equal(typeof pkg.Sessions, 'function');
      assert.equal(typeof pkg.MapStore, 'function');
    });

    for (const { label: store, make } of backends(pkg)) {
      describe(store, () => behaviours(pkg, make));
    }

    if (cjs !== undefined) {
      test('loads from CommonJS as well as ES modules', async () => {
        assert.equal(typeof cjs.Sessions, 'function');
        assert.equal(typeof cjs.MapStore, 'function');
        for (const store of [undefined, new cjs.MapStore()]) {
          const s = new cjs.Sessions({ store, wipe: 0 });
          const { token } = await s.create({ app: APP, id: 'u1', ip: '::1' });
          assert.equal((await s.get({ app: APP, token })).id, 'u1');
        }
        const methods = Object.getOwnPropertyNames(pkg.Sessions.prototype).sort();
        assert.deepEqual(Object.getOwnPropertyNames(cjs.Sessions.prototype).sort(), methods);
      });
    }
  });
}

/** The behaviours of `apiSuite` on one more backend; `except`: names of tests left out. */
export function backendSuite(pkg, label, make, { except = [] } = {}) {
  describe(`API suite: ${label}`, () => behaviours(pkg, make, new Set(except)));
}

function behaviours(pkg, make, except = new Set()) {
  const test = (name, fn) => {
    if (!except.has(name)) nodeTest(name, fn);
  };
  const fresh = () => {
    const clock = manualClock();
    const s = make({ clock: clock.read, wipe: 0 });
    return { s, clock };
  };

  test('create returns a 64-character token, a new one each time', async () => {
    const { s } = fresh();
    const tokens = new Set();
    for (let i = 0; i < 20; i++) {
      const r = await s.create({ app: APP, id: 'u1', ip: '127.0.0.1' });
      assert.deepEqual(Object.keys(r), ['token']);
      assert.match(r.token, TOKEN);
      tokens.add(r.token);
    }
    assert.equal(tokens.size, 20);
  });

  test('every method returns a Promise', async () => {
    const { s } = fresh();
    const p = s.get({ app: APP, token: 'x'.repeat(64) });
    assert.ok(p instanceof Promise);
    assert.equal(await p, null);
    const bad = s.get({});
    assert.ok(bad instanceof Promise, 'bad input rejects, it does not throw');
    await bad.catch(() => {});
  });

  test('get counts reads (r as it was before the read); set counts writes', async () => {
    const { s, clock } = fresh();
    const { token } = await s.create({ app: APP, id: 'user1', ip: '127.0.0.1', ttl: 3600 });
    clock.advance(2_500);
    assert.deepEqual(await s.get({ app: APP, token }), {
      id: 'user1', r: 1, w: 1, ttl: 3600, idle: 2, ip: '127.0.0.1',
    });
    const again = await s.get({ app: APP, token });
    assert.equal(again.r, 2);
    assert.equal(again.idle, 0);
    const set = await s.set({ app: APP, token, d: { a: 1 } });
    assert.equal(set.w, 2);
    assert.equal(set.r, 3);
    const last = await s.get({ app: APP, token });
    assert.equal(last.r, 3);
    assert.equal(last.w, 2);
  });

  test('set merges d: null deletes a key, other keys stay, no keys left means no d', async () => {
    const { s } = fresh();
    const { token } = await s.create({ app: APP, id: 'u', ip: '::1', d: { a: 1, b: 'x', gone: null } });
    assert.deepEqual((await s.get({ app: APP, token })).d, { a: 1, b: 'x' });
    let r = await s.set({ app: APP, token, d: { b: null, c: true, e: 2.5, n: 'text' } });
    assert.deepEqual(r.d, { a: 1, c: true, e: 2.5, n: 'text' });
    r = await s.set({ app: APP, token, d: { a: null, c: null, e: null, n: null } });
    assert.equal('d' in r, false);
    assert.equal('d' in (await s.get({ app: APP, token })), false);
  });

  test('no_resave: the expiry does not slide, ttl counts down', async () => {
    const { s, clock } = fresh();
    const { token } = await s.create({ app: APP, id: 'u', ip: '::1', ttl: 60, no_resave: true });
    clock.advance(20_000);
    const got = await s.get({ app: APP, token });
    assert.equal(got.no_resave, true);
    assert.equal(got.ttl, 40);
    clock.advance(39_000);
    assert.equal((await s.get({ app: APP, token })).ttl, 1);
    clock.advance(1_000);
    assert.equal(await s.get({ app: APP, token }), null);
  });

  test('activity counts unique users; killing the last session of a user removes them', async () => {
    const { s, clock } = fresh();
    const a1 = await s.create({ app: APP, id: 'alice', ip: '::1' });
    const a2 = await s.create({ app: APP, id: 'alice', ip: '::2' });
    const b = await s.create({ app: APP, id: 'bob', ip: '::3' });
    assert.deepEqual(await s.activity({ app: APP, dt: 60 }), { activity: 2 });
    assert.deepEqual(await s.activity({ app: APP, deltaTime: 60 }), { activity: 2 }, 'deltaTime alias');
    assert.deepEqual(await s.kill({ app: APP, token: b.token }), { kill: 1 });
    assert.deepEqual(await s.activity({ app: APP, dt: 60 }), { activity: 1 });
    await s.kill({ app: APP, token: a1.token });
    assert.deepEqual(await s.activity({ app: APP, dt: 60 }), { activity: 1 }, 'alice has another session');
    await s.kill({ app: APP, token: a2.token });
    assert.deepEqual(await s.activity({ app: APP, dt: 60 }), { activity: 0 });
    assert.deepEqual(await s.kill({ app: APP, token: a2.token }), { kill: 0 });
    clock.advance(1);
    assert.equal(await s.get({ app: APP, token: a2.token }), null);
  });

  test('soid lists a user\'s sessions oldest first with handles; kill by handle; killsoid', async () => {
    const { s, clock } = fresh();
    const tokens = [];
    for (let i = 0; i < 3; i++) {
      tokens.push((await s.create({ app: APP, id: 'carol', ip: `10.0.0.${i}` })).token);
      clock.advance(1_000);
    }
    await s.create({ app: APP, id: 'dave', ip: '::1' });
    const { sessions } = await s.soid({ app: APP, id: 'carol' });
    assert.deepEqual(sessions.map((x) => x.ip), ['10.0.0.0', '10.0.0.1', '10.0.0.2']);
    for (const x of sessions) {
      assert.match(x.handle, HANDLE);
      assert.equal(x.id, 'carol');
    }
    assert.deepEqual(await s.kill({ app: APP, handle: sessions[0].handle }), { kill: 1 });
    assert.equal(await s.get({ app: APP, token: tokens[0] }), null);
    assert.deepEqual(await s.killsoid({ app: APP, id: 'carol' }), { kill: 2 });
    assert.deepEqual(await s.soid({ app: APP, id: 'carol' }), { sessions: [] });
    assert.equal((await s.soid({ app: APP, id: 'dave' })).sessions.length, 1);
    assert.deepEqual(await s.killsoid({ app: APP, id: 'nobody' }), { kill: 0 });
  });

  test('soapp lists sessions active within dt, most recent first', async () => {
    const { s, clock } = fresh();
    const old = await s.create({ app: APP, id: 'old', ip: '::1' });
    clock.advance(120_000);
    await s.create({ app: APP, id: 'new', ip: '::2' });
    clock.advance(1_000);
    await s.get({ app: APP, token: old.token });
    assert.deepEqual((await s.soapp({ app: APP, dt: 60 })).sessions.map((x) => x.id), ['old', 'new']);
    clock.advance(100_000);
    assert.deepEqual(await s.soapp({ app: APP, dt: 60 }), { sessions: [] });
  });

  test('1,000 sessions for one app', async () => {
    const { s } = fresh();
    const tokens = [];
    for (let i = 0; i < 1000; i++) {
      tokens.push((await s.create({ app: APP, id: `user${i}`, ip: '10.1.1.1', d: { i } })).token);
    }
    assert.equal(new Set(tokens).size, 1000);
    assert.deepEqual(await s.activity({ app: APP, dt: 600 }), { activity: 1000 });
    assert.equal((await s.soapp({ app: APP, dt: 600 })).sessions.length, 1000);
    assert.deepEqual((await s.get({ app: APP, token: tokens[777] })).d, { i: 777 });
    assert.deepEqual(await s.killall({ app: APP }), { kill: 1000 });
    assert.deepEqual(await s.activity({ app: APP, dt: 600 }), { activity: 0 });
    assert.equal(await s.get({ app: APP, token: tokens[0] }), null);
  });

  test('bad input: Error objects with name, code, message and field', async () => {
    const { s } = fresh();
    const { token } = await s.create({ app: APP, id: 'u', ip: '::1' });
    const missing = (field) => ({ name: 'missingParameter', message: `No ${field} supplied`, field });
    const format = (field) => ({ name: 'invalidFormat', message: `Invalid ${field} format`, field });
    const value = (field, message) => ({ name: 'invalidValue', message, field });
    const forbidden = (k) => value('d', `d.${k} has a forbidden type. Only strings, numbers, boolean and null are allowed.`);
    const cases = [
      ['create', undefined, missing('app')],
      ['create', {}, missing('app')],
      ['create', { app: '' }, missing('app')],
      ['create', { app: 'ab' }, format('app')],
      ['create', { app: 'no spaces' }, format('app')],
      ['create', { app: 42 }, format('app')],
      ['create', { app: APP }, missing('id')],
      ['create', { app: APP, id: 'a\u0000b', ip: '::1' }, format('id')],
      ['create', { app: APP, id: 'u' }, missing('ip')],
      ['create', { app: APP, id: 'u', ip: 'x'.repeat(40) }, format('ip')],
      ['create', { app: APP, id: 'u', ip: '::1', ttl: 5 }, value('ttl', 'ttl must be a positive integer >= 10')],
      ['create', { app: APP, id: 'u', ip: '::1', ttl: 'soon' }, value('ttl', 'ttl must be a positive integer >= 10')],
      ['create', { app: APP, id: 'u', ip: '::1', ttl: NaN }, value('ttl', 'ttl must be a positive integer >= 10')],
      ['create', { app: APP, id: 'u', ip: '::1', ttl: 31536001 }, value('ttl', 'ttl must be at most 31536000')],
      ['create', { app: APP, id: 'u', ip: '::1', d: 'text' }, value('d', 'd must be an object')],
      ['create', { app: APP, id: 'u', ip: '::1', d: [1] }, value('d', 'd must be an object')],
      ['create', { app: APP, id: 'u', ip: '::1', d: {} }, value('d', 'd must contain at least one key')],
      ['create', { app: APP, id: 'u', ip: '::1', d: { o: {} } }, forbidden('o')],
      ['create', { app: APP, id: 'u', ip: '::1', d: { nan: NaN } }, forbidden('nan')],
      ['create', { app: APP, id: 'u', ip: '::1', d: { inf: -Infinity } }, forbidden('inf')],
      ['create', { app: APP, id: 'u', ip: '::1', d: { f: () => 1 } }, forbidden('f')],
      ['create', { app: APP, id: 'u', ip: '::1', no_resave: 'yes' }, value('no_resave', 'no_resave must be a boolean')],
      ['create', { app: APP, id: 'u', ip: '::1', lifetime: 1 }, value('lifetime', 'lifetime must be a positive integer >= 10')],
      ['get', { app: APP }, missing('token')],
      ['get', { app: APP, token: 'short' }, format('token')],
      ['get', { app: APP, token: `${'a'.repeat(63)}-` }, format('token')],
      ['set', { app: APP, token }, missing('d')],
      ['set', { app: APP, token, d: {} }, value('d', 'd must contain at least one key')],
      ['set', { app: APP, token, d: { a: [] } }, forbidden('a')],
      ['setTtl', { app: APP, token }, missing('ttl')],
      ['setTtl', { app: APP, token, ttl: 9 }, value('ttl', 'ttl must be a positive integer >= 10')],
      ['kill', { app: APP }, missing('token')],
      ['kill', { app: APP, handle: 'nope' }, format('handle')],
      ['activity', { app: APP }, missing('dt')],
      ['activity', { app: APP, dt: 9 }, value('dt', 'dt must be a positive integer >= 10')],
      ['soapp', { app: APP, dt: -10 }, value('dt', 'dt must be a positive integer >= 10')],
      ['soid', { app: APP }, missing('id')],
      ['killsoid', { app: APP, id: '' }, missing('id')],
      ['killall', {}, missing('app')],
      ['sweep', { limit: 10001 }, value('limit', 'limit must be an integer from 0 to 10000')],
      ['sweep', { app: 'x' }, format('app')],
    ];
    for (const [op, input, want] of cases) {
      await assert.rejects(s[op](input), (e) => {
        const at = `${op}(${JSON.stringify(input)})`;
        assert.ok(e instanceof Error, `${at}: an Error`);
        if (pkg.SessionError) assert.ok(e instanceof pkg.SessionError, `${at}: a SessionError`);
        assert.equal(e.name, want.name, `${at}: name`);
        assert.equal(e.code, want.name, `${at}: code`);
        assert.equal(e.message, want.message, `${at}: message`);
        assert.equal(e.field, want.field, `${at}: field`);
        return true;
      });
    }
    // Nothing was stored by the failed calls.
    assert.deepEqual(await s.activity({ app: APP, dt: 60 }), { activity: 1 });
    assert.equal((await s.get({ app: APP, token })).r, 1);
  });

  test('size limits: tooLarge names the size and the limit', async () => {
    const { s } = fresh();
    const { token } = await s.create({ app: APP, id: 'u', ip: '::1', d: { a: 'x'.repeat(40_000) } });
    await assert.rejects(s.set({ app: APP, token, d: { b: 'y'.repeat(40_000) } }), (e) => {
      assert.equal(e.name, 'tooLarge');
      assert.equal(e.code, 'tooLarge');
      assert.equal(e.field, 'd');
      assert.match(e.message, /^d is too large: \d+ bytes, the limit is 65536$/);
      return true;
    });
    await rejects(s.create({ app: APP, id: 'u', ip: '::1', d: { ['k'.repeat(257)]: 1 } }), {
      name: 'tooLarge', message: 'd key is too long: 257 bytes, the limit is 256', field: 'd',
    });
    assert.deepEqual(Object.keys((await s.get({ app: APP, token })).d), ['a'], 'the failed set changed nothing');
  });

  test('unknown tokens give null (or kill: 0), never an error', async () => {
    const { s } = fresh();
    const app = APP;
    const token = 'Z'.repeat(64);
    assert.equal(await s.get({ app, token }), null);
    assert.equal(await s.set({ app, token, d: { a: 1 } }), null);
    assert.equal(await s.touch({ app, token }), null);
    assert.equal(await s.setTtl({ app, token, ttl: 60 }), null);
    assert.equal(await s.regenerate({ app, token }), null);
    assert.deepEqual(await s.kill({ app, token }), { kill: 0 });
  });

  test('200 concurrent sets of distinct keys on one session: every key kept, w exact', async () => {
    const { s } = fresh();
    const { token } = await s.create({ app: APP, id: 'hot', ip: '::1' });
    const results = await Promise.all(
      Array.from({ length: 200 }, (_, i) => s.set({ app: APP, token, d: { [`k${i}`]: i } })),
    );
    assert.deepEqual(results.map((r) => r.w).sort((a, b) => a - b), Array.from({ length: 200 }, (_, i) => i + 2));
    const got = await s.get({ app: APP, token });
    assert.equal(got.w, 201);
    assert.equal(Object.keys(got.d).length, 200);
    for (let i = 0; i < 200; i++) assert.equal(got.d[`k${i}`], i);
  });

  test('concurrent calls on many sessions and bulk operations all settle', async () => {
    const { s } = fresh();
    const tokens = await Promise.all(
      Array.from({ length: 50 }, (_, i) => s.create({ app: APP, id: `u${i % 10}`, ip: '::1' })),
    );
    const ops = [];
    for (const { token } of tokens) {
      ops.push(s.get({ app: APP, token }), s.set({ app: APP, token, d: { x: 1 } }), s.touch({ app: APP, token }));
    }
    ops.push(s.activity({ app: APP, dt: 60 }), s.soapp({ app: APP, dt: 60 }), s.soid({ app: APP, id: 'u1' }));
    const results = await Promise.all(ops);
    assert.equal(results.filter((r) => r === null).length, 0);
    assert.deepEqual(await s.activity({ app: APP, dt: 60 }), { activity: 10 });
    const killed = await Promise.all([s.killsoid({ app: APP, id: 'u1' }), s.killall({ app: APP })]);
    assert.equal(killed[0].kill + killed[1].kill, 50);
  });

  test('events: created, destroyed with reason, and expired', async () => {
    const { s, clock } = fresh();
    const seen = [];
    for (const name of ['created', 'destroyed', 'expired']) s.on(name, (e) => seen.push([name, e]));
    const { token } = await s.create({ app: APP, id: 'eve', ip: '::1', ttl: 10 });
    assert.equal(seen.length, 1);
    const [[name, created]] = seen;
    assert.equal(name, 'created');
    assert.deepEqual(Object.keys(created).sort(), ['app', 'handle', 'id', 'type']);
    assert.equal(created.type, 'created');
    assert.equal(created.app, APP);
    assert.equal(created.id, 'eve');
    assert.match(created.handle, HANDLE);
    assert.equal(JSON.stringify(created).includes(token), false, 'events never carry the token');

    seen.length = 0;
    const { token: t2 } = await s.regenerate({ app: APP, token });
    assert.deepEqual(seen.map(([n, e]) => [n, e.type, e.reason]), [
      ['destroyed', 'destroyed', 'regenerate'],
      ['created', 'created', undefined],
    ]);
    assert.equal(seen[0][1].handle, created.handle);
    assert.notEqual(seen[1][1].handle, created.handle);

    seen.length = 0;
    await s.kill({ app: APP, token: t2 });
    assert.deepEqual(seen.map(([n, e]) => [n, e.reason]), [['destroyed', 'kill']]);

    seen.length = 0;
    const { token: t3 } = await s.create({ app: APP, id: 'eve', ip: '::1', ttl: 10 });
    seen.length = 0;
    clock.advance(10_000);
    assert.equal(await s.get({ app: APP, token: t3 }), null);
    assert.deepEqual(seen.map(([n, e]) => [n, e.type, e.reason, e.id]), [
      ['destroyed', 'destroyed', 'expired', 'eve'],
      ['expired', 'destroyed', 'expired', 'eve'],
    ]);

    seen.length = 0;
    await s.create({ app: APP, id: 'x', ip: '::1' });
    await s.create({ app: APP, id: 'y', ip: '::1' });
    seen.length = 0;
    await s.killall({ app: APP });
    assert.deepEqual(seen.map(([n, e]) => [n, e.reason]), [['destroyed', 'killall'], ['destroyed', 'killall']]);
  });

  test('a throwing listener does not turn a stored result into a rejection', async () => {
    const { s } = fresh();
    s.on('created', () => {
      throw new Error('listener bug');
    });
    const errors = [];
    s.on('error', (e) => errors.push(e.message));
    const { token } = await s.create({ app: APP, id: 'u', ip: '::1' });
    assert.match(token, TOKEN);
    assert.deepEqual(errors, ['listener bug'], "the listener's exception goes to 'error' listeners");
  });

  test('expiry without sleeping: the injected clock drives it', async () => {
    const { s, clock } = fresh();
    const { token } = await s.create({ app: APP, id: 'u', ip: '::1', ttl: 10 });
    clock.advance(9_999);
    assert.equal((await s.get({ app: APP, token })).idle, 9, 'alive just before the ttl');
    clock.advance(9_999);
    assert.ok(await s.get({ app: APP, token }), 'get slid the expiry');
    clock.advance(10_000);
    assert.equal(await s.get({ app: APP, token }), null, 'expired 10 s after the last access');
    assert.equal(await s.get({ app: APP, token }), null);
  });

  test('touch keeps a session alive without counting a read', async () => {
    const { s, clock } = fresh();
    const { token } = await s.create({ app: APP, id: 'u', ip: '::1', ttl: 10 });
    for (let i = 0; i < 5; i++) {
      clock.advance(8_000);
      const t = await s.touch({ app: APP, token });
      assert.equal(t.r, 1);
      assert.equal(t.idle, 8);
    }
    const got = await s.get({ app: APP, token });
    assert.equal(got.r, 1);
    assert.equal(got.w, 1);
  });

  test('setTtl changes the session\'s ttl', async () => {
    const { s, clock } = fresh();
    const { token } = await s.create({ app: APP, id: 'u', ip: '::1', ttl: 10 });
    const r = await s.setTtl({ app: APP, token, ttl: 3600 });
    assert.equal(r.ttl, 3600);
    clock.advance(600_000);
    assert.equal((await s.get({ app: APP, token })).ttl, 3600);
    assert.equal((await s.setTtl({ app: APP, token, ttl: '20' })).ttl, 20, 'a string of digits is accepted');
    clock.advance(20_000);
    assert.equal(await s.get({ app: APP, token }), null);
  });

  test('regenerate: a new token for the same session; the old one is dead at once', async () => {
    const { s } = fresh();
    const { token } = await s.create({ app: APP, id: 'u', ip: '::1', ttl: 600, d: { cart: 3 } });
    await s.get({ app: APP, token });
    const r = await s.regenerate({ app: APP, token });
    assert.match(r.token, TOKEN);
    assert.notEqual(r.token, token);
    assert.equal(await s.get({ app: APP, token }), null);
    const got = await s.get({ app: APP, token: r.token });
    assert.deepEqual({ ...got, idle: 0 }, { id: 'u', r: 2, w: 1, ttl: 600, idle: 0, ip: '::1', d: { cart: 3 } });
    assert.equal((await s.soid({ app: APP, id: 'u' })).sessions.length, 1);
  });

  test('sweep removes expired sessions from every index, in bounded steps', async () => {
    const { s, clock } = fresh();
    const expired = [];
    s.on('expired', (e) => expired.push(e));
    for (let i = 0; i < 5; i++) await s.create({ app: APP, id: `u${i}`, ip: '::1', ttl: 10 });
    await s.create({ app: 'other', id: 'o', ip: '::1', ttl: 10 });
    const keep = await s.create({ app: APP, id: 'keep', ip: '::1', ttl: 600 });
    clock.advance(60_000);
    assert.deepEqual(await s.sweep({ app: APP, limit: 3 }), { swept: 3, more: true });
    assert.deepEqual(await s.sweep({ app: APP }), { swept: 2, more: false });
    assert.deepEqual(await s.sweep({ app: APP }), { swept: 0, more: false });
    assert.deepEqual(await s.sweep(), { swept: 1, more: false }, 'no app: every app');
    assert.equal(expired.length, 6);
    assert.ok(expired.every((e) => e.reason === 'expired'));
    assert.deepEqual((await s.soapp({ app: APP, dt: 3600 })).sessions.map((x) => x.id), ['keep']);
    assert.ok(await s.get({ app: APP, token: keep.token }));
  });

  test('automatic sweeping reclaims sessions nobody reads again (no timer involved)', async () => {
    const clock = manualClock();
    const s = make({ clock: clock.read });
    const expired = [];
    s.on('expired', (e) => expired.push(e.id));
    for (let i = 0; i < 5; i++) await s.create({ app: APP, id: `idle${i}`, ip: '::1', ttl: 10 });
    clock.advance(3_600_000);
    await s.activity({ app: APP, dt: 60 }); // any call gives the sweeper its turn
    await settle();
    await s.activity({ app: APP, dt: 60 });
    await settle();
    assert.deepEqual(expired.sort(), ['idle0', 'idle1', 'idle2', 'idle3', 'idle4']);
    assert.deepEqual(await s.soid({ app: APP, id: 'idle0' }), { sessions: [] });
  });

  test('ids may be numbers, e-mail addresses or any unicode text', async () => {
    const { s } = fresh();
    for (const id of [12345, 'user@example.com', 'Zoë 🚀 ユーザー']) {
      const { token } = await s.create({ app: APP, id, ip: '::1' });
      assert.equal((await s.get({ app: APP, token })).id, String(id));
      assert.equal((await s.soid({ app: APP, id })).sessions.length, 1);
    }
  });

  test('ping and quit', async () => {
    const { s } = fresh();
    assert.equal(await s.ping(), 'PONG');
    assert.equal(await s.quit(), undefined);
  });
}

/** Store-interface checks for bindings that accept a store written in JavaScript. */
export function storeSuite(pkg, { label = 'package' } = {}) {
  const { Sessions, MapStore } = pkg;
  const input = { app: APP, id: 'u', ip: '::1' };

  describe(`JS store interface: ${label}`, () => {
    test('a store that throws gives storeError with its message', async () => {
      const s = new Sessions({ wipe: 0, store: { apply() { throw new Error('disk on fire'); } } });
      await rejects(s.create(input), { name: 'storeError', code: 'storeError', message: 'Store error: disk on fire' });
      const r = new Sessions({ wipe: 0, store: { apply: async () => Promise.reject(new Error('gone')) } });
      await rejects(r.create(input), { name: 'storeError', message: 'Store error: gone' });
    });

    test('a reply the core cannot read gives storeError', async () => {
      const s = new Sessions({ wipe: 0, store: { apply: () => 'nonsense' } });
      await rejects(s.create(input), { name: 'storeError' });
      const t = new Sessions({ wipe: 0, store: { apply: (batch) => batch.map(() => ({ value: 1n })) } });
      await rejects(t.create(input), { name: 'storeError' });
    });

    test('a store that always conflicts gives conflict after bounded retries', async () => {
      const inner = new MapStore();
      let batches = 0;
      const { token } = await new Sessions({ wipe: 0, store: inner }).create(input);
      const s = new Sessions({
        wipe: 0,
        store: {
          apply(batch) {
            batches++;
            return batch.some((c) => c.op === 'put') ? { conflict: true } : inner.apply(batch);
          },
        },
      });
      await rejects(s.set({ app: APP, token, d: { a: 1 } }), { name: 'conflict', code: 'conflict' });
      assert.ok(batches > 1 && batches < 1000, `bounded retries (${batches} batches)`);
    });

    test('batches follow the documented wire format', async () => {
      const ops = new Set();
      const inner = new MapStore();
      const s = new Sessions({
        wipe: 0,
        namespace: 'myns',
        store: {
          apply(batch) {
            for (const c of batch) {
              ops.add(c.op);
              assert.equal(typeof c.key, 'string');
              assert.ok(c.key.startsWith('myns:'), c.key);
              if (c.op === 'put') {
                assert.match(c.value, /^[A-Za-z0-9+/]*={0,2}$/, 'values are base64');
                assert.ok(c.expect === 'any' || c.expect === 'absent' || Number.isInteger(c.expect));
                assert.ok(Number.isInteger(c.ttlMs));
              }
            }
            return inner.apply(batch);
          },
        },
      });
      const { token } = await s.create(input);
      await s.get({ app: APP, token });
      await s.activity({ app: APP, dt: 60 });
      await s.soapp({ app: APP, dt: 60 });
      await s.kill({ app: APP, token });
      for (const op of ['get', 'put', 'delete', 'zadd', 'zrem', 'zrange', 'zcount']) assert.ok(ops.has(op), op);
      for (const key of inner.records.keys()) assert.ok(key.startsWith('myns:'));
    });

    test('MapStore drops empty sorted sets and deleted records', async () => {
      const store = new MapStore();
      const s = new Sessions({ wipe: 0, store });
      const a = await s.create(input);
      const b = await s.create({ ...input, id: 'v' });
      assert.ok(store.records.size === 2 && store.zsets.size > 0);
      await s.kill({ app: APP, token: a.token });
      await s.kill({ app: APP, token: b.token });
      assert.equal(store.records.size, 0);
      const left = [...store.zsets.keys()].filter((k) => !k.endsWith(':_apps'));
      assert.deepEqual(left, []);
    });

    test('options are checked', () => {
      assert.throws(() => new Sessions({ store: {} }), TypeError);
      assert.throws(() => new Sessions({ clock: 5 }), TypeError);
    });
  });
}
