// express-session with session-core's store, in a real Express app on a loopback port, driven
// by fetch: the app is an ordinary express-session app whose only session-core line is its
// `store:`. The same scenario also runs on express-session's own MemoryStore, to show that it
// tests express-session's contract and nothing of ours.
import assert from 'node:assert/strict';
import { after, before, describe, mock, test } from 'node:test';
import express from 'express';
import session from 'express-session';
import { Sessions } from 'session-core';
import { SessionCoreStore } from 'session-core/express-session-store';
import { startRedis } from '../../js/redis-server.mjs';

let redis;
before(async () => {
  redis = await startRedis();
});
after(async () => {
  await redis?.close();
});

/**
 * An express-session app over `store`; `cookie` are its cookie options. The errors that
 * express-session hands to `next` (also after the response went out) are kept in `errors`.
 */
async function start(store, cookie = { maxAge: 60_000 }) {
  const app = express();
  const errors = [];
  app.use(session({ secret: 'test secret', resave: false, saveUninitialized: false, store, cookie }));
  app.post('/login', (req, res) => {
    req.session.user = req.query.user;
    if (req.query.remember) req.session.cookie.maxAge = 3_600_000;
    res.json({ ok: true });
  });
  app.post('/incr', (req, res) => {
    req.session.n = (req.session.n ?? 0) + 1;
    res.json({ n: req.session.n });
  });
  app.get('/me', (req, res) => res.json({ user: req.session.user ?? null, n: req.session.n ?? null }));
  app.post('/destroy', (req, res, next) => req.session.destroy((err) => (err ? next(err) : res.json({ ok: true }))));
  app.use((err, req, res, _next) => {
    errors.push(err.message);
    if (!res.headersSent) res.status(500).json({ error: err.message });
  });
  const server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const url = `http://127.0.0.1:${server.address().port}`;
  return {
    url,
    errors,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** A client with a cookie jar of one cookie (connect.sid). */
function client(url) {
  let cookie;
  return {
    get cookie() {
      return cookie;
    },
    /** express-session's sid, from the signed cookie `s:<sid>.<signature>`. */
    get sid() {
      return /^s:([^.]+)\./.exec(decodeURIComponent(cookie.split('=')[1]))[1];
    },
    async call(method, path) {
      const res = await fetch(url + path, { method, headers: cookie ? { cookie } : {} });
      const set = res.headers.getSetCookie().find((c) => c.startsWith('connect.sid='));
      if (set !== undefined) cookie = set.split(';')[0];
      assert.equal(res.status, 200, `${method} ${path}: ${res.status}`);
      return res.json();
    },
  };
}

/** The scenario every store must pass: login, a counter across requests, destroy. */
async function loginCounterDestroy(store) {
  const app = await start(store);
  try {
    const c = client(app.url);
    await c.call('POST', '/login?user=ann');
    for (let i = 1; i <= 3; i++) assert.deepEqual(await c.call('POST', '/incr'), { n: i });
    assert.deepEqual(await c.call('GET', '/me'), { user: 'ann', n: 3 });
    assert.deepEqual(await c.call('POST', '/destroy'), { ok: true });
    assert.deepEqual(await c.call('GET', '/me'), { user: null, n: null });
  } finally {
    await app.close();
  }
}

const call = (store, method, ...args) => new Promise((resolve, reject) => store[method](...args, (err, v) => (err ? reject(err) : resolve(v))));

describe('express-session with SessionCoreStore', () => {
  test("the scenario passes on express-session's own MemoryStore (it tests express-session's contract)", async () => {
    await loginCounterDestroy(new session.MemoryStore());
  });

  test('login, a counter across requests, destroy: on the embedded store', async () => {
    const sessions = new Sessions();
    const store = new SessionCoreStore({ sessions });
    await loginCounterDestroy(store);
    assert.equal(await call(store, 'length'), 0, 'destroy removed it');
  });

  test('the same on Redis (`{ redis: url }`)', async () => {
    const store = new SessionCoreStore({ redis: redis.url, app: 'es-redis' });
    await loginCounterDestroy(store);
    assert.equal(await store.length(), 0);
    await store.sessions.quit();
  });

  test("cookie.maxAge is the session's TTL; it follows changes to maxAge", async () => {
    const sessions = new Sessions();
    const store = new SessionCoreStore({ sessions, app: 'ttl' });
    const app = await start(store);
    try {
      const a = client(app.url);
      await a.call('POST', '/login?user=a');
      const b = client(app.url);
      await b.call('POST', '/login?user=b&remember=1');
      const ttls = (await sessions.soapp({ app: 'ttl', dt: 3600 })).sessions.map((s) => s.ttl).sort((x, y) => x - y);
      assert.deepEqual(ttls, [60, 3600]);
    } finally {
      await app.close();
    }
    // A cookie without maxAge: the store's `ttl`.
    const store2 = new SessionCoreStore({ sessions, app: 'ttl2', ttl: 900 });
    const app2 = await start(store2, {});
    try {
      await client(app2.url).call('POST', '/login?user=c');
      assert.deepEqual((await sessions.soapp({ app: 'ttl2', dt: 3600 })).sessions.map((s) => s.ttl), [900]);
    } finally {
      await app2.close();
    }
  });

  test('a session expires after maxAge without use (an injected clock), and each use slides it', async () => {
    let now = Date.now();
    const sessions = new Sessions({ clock: () => now });
    const store = new SessionCoreStore({ sessions, app: 'expiry' });
    const app = await start(store);
    try {
      const c = client(app.url);
      await c.call('POST', '/login?user=ann');
      now += 50_000;
      assert.deepEqual(await c.call('GET', '/me'), { user: 'ann', n: null }, 'alive at 50 s');
      now += 50_000;
      assert.deepEqual(await c.call('GET', '/me'), { user: 'ann', n: null }, 'alive 50 s after the last use');
      assert.equal(await store.length(), 1);
      now += 61_000;
      assert.deepEqual(await c.call('GET', '/me'), { user: null, n: null }, 'expired 61 s after the last use');
      assert.equal(await store.length(), 0);
      assert.equal(await store.get(c.sid), null);
    } finally {
      await app.close();
    }
  });

  test('all, length and clear', async () => {
    const sessions = new Sessions();
    const store = new SessionCoreStore({ sessions, app: 'listing' });
    const app = await start(store);
    try {
      const clients = [];
      for (const user of ['ann', 'bob', 'cid']) {
        const c = client(app.url);
        await c.call('POST', `/login?user=${user}`);
        clients.push(c);
      }
      await clients[1].call('POST', '/incr');
      assert.equal(await call(store, 'length'), 3);
      const all = await call(store, 'all');
      assert.deepEqual(all.map((s) => s.user).sort(), ['ann', 'bob', 'cid']);
      assert.equal(all.find((s) => s.user === 'bob').n, 1);
      assert.equal(typeof all[0].cookie.originalMaxAge, 'number');
      assert.deepEqual(await store.all(), all, 'the same as a promise');
      await call(store, 'clear');
      assert.equal(await store.length(), 0);
      for (const c of clients) assert.deepEqual(await c.call('GET', '/me'), { user: null, n: null });
    } finally {
      await app.close();
    }
  });

  test('neither sids nor tokens are stored in the clear; a second store instance finds the session by its sid', async () => {
    const sessions = new Sessions();
    const store = new SessionCoreStore({ sessions, app: 'secret' });
    const app = await start(store);
    let sid;
    try {
      const c = client(app.url);
      await c.call('POST', '/login?user=ann');
      await c.call('POST', '/incr');
      sid = c.sid;
    } finally {
      await app.close();
    }
    const dump = JSON.stringify(await sessions.soapp({ app: 'secret', dt: 3600 }));
    assert.ok(!dump.includes(sid), 'the sid is not in the store');
    assert.ok(!/[A-Za-z0-9]{64}/.test(dump.replace(/"k":"[0-9a-f]{128}"/, '')), 'no token in the store');
    // A new store (another process, as far as it knows) has no sid -> token memory.
    const fresh = new SessionCoreStore({ sessions, app: 'secret' });
    assert.equal((await fresh.get(sid)).user, 'ann');
    assert.equal(await fresh.get(`${sid}x`), null);
    await fresh.destroy(sid);
    assert.equal(await store.get(sid), null);
  });

  test('bad options are errors that name the field', () => {
    for (const [options, field] of [
      [{ app: 'x' }, 'app'],
      [{ ttl: 5 }, 'ttl'],
      [{ ttl: 1.5 }, 'ttl'],
      [{ ip: '' }, 'ip'],
      [{ sessions: {} }, 'sessions'],
      [{ redis: 42 }, 'redis'],
    ]) {
      assert.throws(() => new SessionCoreStore(options), (e) => e.name === 'invalidValue' && e.field === field, JSON.stringify(options));
    }
  });
});

/** The stores the cases below run on: express-session's MemoryStore (the reference), ours embedded and on Redis. */
const STORES = [
  ['MemoryStore', () => ({ store: new session.MemoryStore(), listed: null })],
  [
    'SessionCoreStore (embedded)',
    () => {
      const sessions = new Sessions();
      return { store: new SessionCoreStore({ sessions, app: 'cases' }), listed: listedBy(sessions, 'cases') };
    },
  ],
  [
    'SessionCoreStore (Redis)',
    () => {
      const sessions = new Sessions({ redis: redis.url });
      const app = `cases${++redisApps}`;
      return { store: new SessionCoreStore({ sessions, app }), listed: listedBy(sessions, app), quit: () => sessions.quit() };
    },
  ],
];
let redisApps = 0;

/** The TTLs of the sessions the core holds for `app`, whatever the store answers. */
function listedBy(sessions, app) {
  return async () => (await sessions.soapp({ app, dt: 31536000 })).sessions.map((s) => s.ttl);
}

/** A session as express-session's JSON has it (and as migrations and imports pass it): expires as text. */
function plain(expiresAt, data = {}) {
  return { cookie: { originalMaxAge: 3_600_000, expires: new Date(expiresAt).toISOString(), httpOnly: true, path: '/' }, ...data };
}

/** Lets express-session's deferred `next(err)` calls run. */
const settled = () => new Promise((resolve) => setImmediate(() => setImmediate(resolve)));

describe("the cookie's expiry decides, as in MemoryStore", () => {
  for (const [name, make] of STORES) {
    describe(name, () => {
      test("an expiry that is not a date: express-session's own error ('option expires is invalid'), and the session is kept", async () => {
        const { store, listed, quit } = make();
        const app = await start(store, { expires: new Date(Number.NaN) });
        try {
          const res = await fetch(`${app.url}/login?user=ann`, { method: 'POST' });
          assert.deepEqual(await res.json(), { ok: true });
          await settled();
          assert.deepEqual(app.errors, ['option expires is invalid']);
          assert.equal(await call(store, 'length'), 1, 'saved, as MemoryStore saves it (its JSON has expires: null)');
          if (listed) assert.deepEqual(await listed(), [86400], "the store's ttl: an expiry that is no date is none");
        } finally {
          await app.close();
          await quit?.();
        }
      });

      describe('on a clock the test moves (Date)', () => {
        let now;
        before(() => {
          now = Date.parse('2030-01-01T00:00:00Z');
          mock.timers.enable({ apis: ['Date'], now });
        });
        after(() => mock.timers.reset());

        test("set() with a plain object: the TTL is the time its cookie.expires leaves; an expiry passed destroys it", async () => {
          const { store, listed, quit } = make();
          try {
            await call(store, 'set', 'sid-a', plain(Date.now() + 120_000, { user: 'ann' }));
            const { cookie, ...rest } = await call(store, 'get', 'sid-a');
            void cookie;
            assert.deepEqual(rest, { user: 'ann' });
            // Without originalMaxAge, or with a maxAge that says otherwise: expires still decides.
            const bare = plain(Date.now() + 600_000, { user: 'bob' });
            delete bare.cookie.originalMaxAge;
            await call(store, 'set', 'sid-b', bare);
            if (listed) assert.deepEqual((await listed()).sort((x, y) => x - y), [120, 600]);
            await call(store, 'set', 'sid-a', plain(Date.now() - 1, { user: 'ann' }));
            assert.equal((await call(store, 'get', 'sid-a')) ?? null, null, 'an expiry already passed: destroyed');
            assert.equal(await call(store, 'length'), 1);
            if (listed) assert.deepEqual(await listed(), [600]);
          } finally {
            await quit?.();
          }
        });

        test('get(), all() and length() answer nothing for a cookie that has expired while its TTL runs, and destroy it', async () => {
          const { store, listed, quit } = make();
          try {
            // 5 s left: the core's TTL is 10 s at least, so it outlives the cookie.
            await call(store, 'set', 'sid-short', plain(Date.now() + 5_000, { user: 'ann' }));
            await call(store, 'set', 'sid-long', plain(Date.now() + 60_000, { user: 'bob' }));
            if (listed) assert.deepEqual((await listed()).sort((x, y) => x - y), [10, 60]);
            mock.timers.tick(6_000);
            // MemoryStore answers an object by sid, ours an array (sids are not kept).
            assert.deepEqual(Object.values(await call(store, 'all')).map((s) => s.user), ['bob']);
            assert.equal(await call(store, 'length'), 1);
            if (listed) assert.deepEqual(await listed(), [60], 'all() destroyed it');
            await call(store, 'set', 'sid-short', plain(Date.now() + 5_000, { user: 'ann' }));
            mock.timers.tick(5_000);
            assert.equal((await call(store, 'get', 'sid-short')) ?? null, null, 'expires == now: expired, as MemoryStore has it');
            if (listed) assert.deepEqual(await listed(), [60], 'get() destroyed it');
            assert.equal((await call(store, 'get', 'sid-long')).user, 'bob');
          } finally {
            await quit?.();
          }
        });

        test("touch() replaces the cookie and keeps the data (MemoryStore's touch); the new expiry decides", async () => {
          const { store, listed, quit } = make();
          try {
            await call(store, 'set', 'sid', plain(Date.now() + 60_000, { n: 1 }));
            mock.timers.tick(50_000);
            const later = plain(Date.now() + 60_000, { n: 'not saved by touch' });
            await call(store, 'touch', 'sid', later);
            if (listed) assert.deepEqual(await listed(), [60]);
            mock.timers.tick(20_000); // past the first expiry, within the second
            const got = await call(store, 'get', 'sid');
            assert.deepEqual(got, { ...later, n: 1 });
          } finally {
            await quit?.();
          }
        });
      });
    });
  }
});
