// SessionsSync: the methods of Sessions returning values, on the embedded memory store. The
// conformance vectors run through it as they run through Sessions, so both give the same
// answers, errors and events; the tests below check what is particular to it.
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import { SessionError, Sessions, SessionsSync } from 'session-core';
import { Emitter, makeSessionsSyncClass } from 'session-core-driver';
import { runVectors } from '../../tests/js/vectors.mjs';

runVectors('SessionsSync', (clock) => new SessionsSync({ clock, wipe: 0 }));

const APP = 'shop';

function fresh(options = {}) {
  let now = 1_700_000_000_000;
  const clock = { read: () => now, advance: (ms) => (now += ms) };
  return { s: new SessionsSync({ clock: clock.read, ...options }), clock };
}

test('every method returns its value, not a Promise', () => {
  const { s } = fresh();
  const { token } = s.create({ app: APP, id: 'ann', ip: '::1', ttl: 60, d: { cart: 1 } });
  assert.match(token, /^[A-Za-z0-9]{64}$/);
  assert.deepEqual(s.get({ app: APP, token }), { id: 'ann', r: 1, w: 1, ttl: 60, idle: 0, ip: '::1', d: { cart: 1 } });
  assert.deepEqual(s.set({ app: APP, token, d: { cart: null, theme: 'dark' } }).d, { theme: 'dark' });
  assert.equal(s.touch({ app: APP, token }).w, 2);
  assert.equal(s.setTtl({ app: APP, token, ttl: 120 }).ttl, 120);
  assert.deepEqual(s.activity({ app: APP, dt: 60 }), { activity: 1 });
  assert.equal(s.soapp({ app: APP, dt: 60 }).sessions.length, 1);
  assert.equal(s.soid({ app: APP, id: 'ann' }).sessions[0].d.theme, 'dark');
  const next = s.regenerate({ app: APP, token });
  assert.equal(s.get({ app: APP, token }), null, 'the old token is dead at once');
  assert.deepEqual(s.kill({ app: APP, token: next.token }), { kill: 1 });
  s.create({ app: APP, id: 'bob', ip: '::1' });
  assert.deepEqual(s.killsoid({ app: APP, id: 'bob' }), { kill: 1 });
  s.create({ app: APP, id: 'cy', ip: '::1' });
  assert.deepEqual(s.killall({ app: APP }), { kill: 1 });
  assert.deepEqual(s.sweep({}), { swept: 0, more: false });
  assert.equal(s.ping(), 'PONG');
  assert.equal(s.quit(), undefined);
});

test('bad input throws a SessionError naming the field, and changes nothing', () => {
  const { s } = fresh();
  const { token } = s.create({ app: APP, id: 'ann', ip: '::1', d: { a: 1 } });
  assert.throws(() => s.set({ app: APP, token, d: { a: 2, b: [1] } }), (e) => e instanceof SessionError && e.name === 'invalidValue' && /d/.test(e.field));
  assert.throws(() => s.get({ app: 'no', token }), { name: 'invalidFormat', field: 'app' });
  assert.throws(() => s.create({ app: APP, id: 'ann', ip: '::1', ttl: 5 }), { field: 'ttl' });
  assert.throws(() => s.create(null), { name: 'missingParameter' });
  assert.deepEqual(s.get({ app: APP, token }).d, { a: 1 });
  assert.deepEqual(s.activity({ app: APP, dt: 600 }), { activity: 1 });
});

test('expiry follows the injected clock; events are emitted during the call', () => {
  // wipe 0: no sweeping inside calls, so that the explicit sweep finds the expired session.
  const { s, clock } = fresh({ wipe: 0 });
  const seen = [];
  s.on('created', (e) => seen.push(['created', e.id]));
  s.on('expired', (e) => seen.push(['expired', e.id]));
  const { token } = s.create({ app: APP, id: 'ann', ip: '::1', ttl: 60 });
  assert.deepEqual(seen, [['created', 'ann']]);
  clock.advance(59_000);
  assert.equal(s.get({ app: APP, token }).idle, 59);
  clock.advance(60_000);
  assert.equal(s.get({ app: APP, token }), null);
  assert.deepEqual(seen, [['created', 'ann'], ['expired', 'ann']], 'the read that found it expired removed it');
  const other = s.create({ app: APP, id: 'bob', ip: '::1', ttl: 60 });
  clock.advance(61_000);
  assert.deepEqual(s.sweep({}), { swept: 1, more: false });
  assert.deepEqual(seen.at(-1), ['expired', 'bob']);
  assert.equal(s.get({ app: APP, token: other.token }), null);
});

test('only the embedded store: store and redis are refused with a TypeError', () => {
  assert.throws(() => new SessionsSync({ redis: 'redis://127.0.0.1:6379' }), { name: 'TypeError', message: /options\.redis/ });
  assert.throws(() => new SessionsSync({ store: {} }), { name: 'TypeError', message: /options\.store/ });
  assert.throws(() => new SessionsSync({ clock: 5 }), { name: 'TypeError', message: /options\.clock/ });
});

test('answers as Sessions does, and CommonJS has it too', async () => {
  let now = 1_700_000_000_000;
  const clock = () => now;
  const sync = new SessionsSync({ clock });
  const async = new Sessions({ clock });
  const a = sync.create({ app: APP, id: 'ann', ip: '::1', d: { n: 1 } });
  const b = await async.create({ app: APP, id: 'ann', ip: '::1', d: { n: 1 } });
  now += 5_000;
  const got = sync.get({ app: APP, token: a.token });
  assert.deepEqual(got, await async.get({ app: APP, token: b.token }));
  const cjs = new (createRequire(import.meta.url)('session-core').SessionsSync)({ clock });
  assert.equal(cjs.get({ app: APP, token: cjs.create({ app: APP, id: 'ann', ip: '::1' }).token }).r, 1);
});

test("an EventEmitter of node:events, as Sessions is; the driver's class over the driver's own Emitter by default", () => {
  assert.ok(new SessionsSync() instanceof EventEmitter);
  const Plain = makeSessionsSyncClass(createRequire(import.meta.url)('../backend.cjs'));
  const plain = new Plain();
  assert.ok(plain instanceof Emitter);
  assert.ok(!(plain instanceof EventEmitter));
  const seen = [];
  plain.on('created', (e) => seen.push(e.id));
  plain.create({ app: 'shop', id: 'ann', ip: '10.0.0.1' });
  assert.deepEqual(seen, ['ann']);
});
