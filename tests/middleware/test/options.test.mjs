// The middleware's options and the parts around the behaviour suite: the handle computed in
// JavaScript is the core's, bad options are errors that name the field, cookie attributes,
// the client's address, injectSession on a plain node:http server, the default and Redis
// Sessions, and the CommonJS entry points.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { after, before, describe, test } from 'node:test';
import express from 'express';
import Fastify from 'fastify';
import { Hono } from 'hono';
import { Sessions } from 'session-core';
import { Sessions as WasmSessions } from 'session-core-wasm';
import { handleOf } from '../../../driver/src/middleware/handle.mjs';
import * as forExpress from 'session-core/express';
import * as forFastify from 'session-core/fastify';
import * as forHono from 'session-core/hono';
import * as forWasmHono from 'session-core-wasm/hono';
import { startRedis } from '../../js/redis-server.mjs';
import { frameworks } from './apps.mjs';
import { view } from './routes.mjs';
import { call } from './suite.mjs';

const require = createRequire(import.meta.url);

let redis;
before(async () => {
  redis = await startRedis();
});
after(async () => {
  await redis?.close();
});

test("the handle computed in JavaScript is the one the core lists (napi and wasm)", async () => {
  for (const S of [Sessions, WasmSessions]) {
    const s = new S();
    const tokens = [];
    for (let i = 0; i < 50; i++) tokens.push((await s.create({ app: 'handles', id: 'u', ip: '::1' })).token);
    const listed = (await s.soid({ app: 'handles', id: 'u' })).sessions.map((x) => x.handle).sort();
    assert.deepEqual(tokens.map(handleOf).sort(), listed);
  }
});

describe('bad options are errors that name the field', () => {
  const cases = [
    [{ app: 'x' }, 'app'],
    [{ app: 'has space' }, 'app'],
    [{ ttl: 5 }, 'ttl'],
    [{ ttl: 1.5 }, 'ttl'],
    [{ ttl: 31536001 }, 'ttl'],
    [{ cookieName: 'a b' }, 'cookieName'],
    [{ cookieName: '' }, 'cookieName'],
    [{ cookie: { secure: 'yes' } }, 'cookie.secure'],
    [{ cookie: { sameSite: 'lax' } }, 'cookie.sameSite'],
    [{ cookie: { sameSite: 'None', secure: false } }, 'cookie.sameSite'],
    [{ cookie: { path: 'x' } }, 'cookie.path'],
    [{ cookie: { domain: 'a;b' } }, 'cookie.domain'],
    [{ cookie: { maxAge: 0 } }, 'cookie.maxAge'],
    [{ sessions: {} }, 'sessions'],
    [{ sessions: new Sessions(), redis: 'redis://127.0.0.1:1' }, 'redis'],
    [{ redis: '' }, 'redis'],
    [{ ip: 'x' }, 'ip'],
    [{ onError: 1 }, 'onError'],
  ];
  const isField = (field) => (e) => e.name === 'invalidValue' && e.code === 'invalidValue' && e.field === field && e.message.includes(field.split('.')[0]);

  test('Express and Hono: when the middleware is made', () => {
    for (const [options, field] of cases) {
      assert.throws(() => forExpress.session(options), isField(field), JSON.stringify(options));
      assert.throws(() => forHono.session(options), isField(field), JSON.stringify(options));
    }
  });

  test('Fastify: when the plugin is registered', async () => {
    for (const [options, field] of cases) {
      const app = Fastify();
      await assert.rejects(async () => {
        await app.register(forFastify.sessionPlugin, options);
        await app.ready();
      }, isField(field), JSON.stringify(options));
      await app.close();
    }
  });

  test('session-core-wasm/hono has no Redis: options.redis says so', () => {
    assert.throws(() => forWasmHono.session({ redis: redis.url }), (e) => e.field === 'redis' && /session-core/.test(e.message));
  });

  test('a `sessions` function that returns no Sessions fails the request, naming the option', async () => {
    const app = new Hono();
    const errors = [];
    app.use(forHono.session({ sessions: () => ({}) }));
    app.onError((e, c) => {
      errors.push(e);
      return c.text('no', 500);
    });
    app.get('/', (c) => c.text('ok'));
    assert.equal((await app.request('/')).status, 500);
    assert.equal(errors[0].field, 'sessions');
  });

  test('logIn: a bad user id, bad data or a reserved key is an error naming the field', async () => {
    const app = new Hono();
    app.use(forHono.session({ sessions: new Sessions() }));
    const seen = [];
    const attempts = [
      ['/a', [{}]],
      ['/b', ['u', 'x']],
      ['/c', ['u', { 'sc.at': 1 }]],
      ['/d', ['u', { nested: { a: 1 } }]],
    ];
    for (const [path, args] of attempts) {
      app.get(path, async (c) => {
        try {
          await c.get('session').logIn(...args);
          return c.text('logged in');
        } catch (e) {
          seen.push([e.name, e.field]);
          return c.text('refused', 400);
        }
      });
    }
    for (const [path] of attempts) assert.equal((await app.request(path)).status, 400, path);
    assert.deepEqual(seen, [['invalidValue', 'id'], ['invalidValue', 'd'], ['invalidValue', 'd'], ['invalidValue', 'd']]);
  });
});

test('cookie options: name, Secure off for plain-HTTP hosts, SameSite, Domain, Max-Age; ttl', async () => {
  const server = await frameworks.express({
    sessions: new Sessions(),
    cookieName: 'sid',
    ttl: 600,
    cookie: { secure: false, sameSite: 'Strict', domain: 'example.test', maxAge: 3600 },
  });
  try {
    const r = await call(server.url, 'POST', '/login?user=u1');
    const [cookie] = r.headers.getSetCookie();
    const parts = cookie.split(/;\s*/);
    assert.equal(parts[0], `sid=${r.body.token}`);
    for (const attr of ['Path=/', 'HttpOnly', 'SameSite=Strict', 'Domain=example.test', 'Max-Age=3600']) assert.ok(parts.includes(attr), cookie);
    assert.ok(!parts.includes('Secure'), cookie);
    const me = (await call(server.url, 'GET', '/me', { cookie: `sid=${r.body.token}` })).body;
    assert.equal(me.authenticated, true);
    assert.equal(me.ttl, 600);
    assert.equal((await call(server.url, 'GET', '/me', { cookie: `session=${r.body.token}` })).body.authenticated, false, 'only the configured name');
  } finally {
    await server.close();
  }
});

test("the client's address: lastIp follows it, and is written once when it changes", async () => {
  const inner = new Sessions();
  let sets = 0;
  const sessions = Object.create(inner);
  sessions.set = (o) => {
    sets++;
    return inner.set(o);
  };
  for (const m of ['create', 'get', 'kill', 'soid', 'killsoid']) sessions[m] = (o) => inner[m](o);
  const server = await frameworks.fastify({ sessions, app: 'ips', ip: (request) => request.headers['x-test-ip'] });
  try {
    const from = (ip) => ({ headers: { 'x-test-ip': ip } });
    const { token } = (await call(server.url, 'POST', '/login?user=u1', from('10.0.0.1'))).body;
    const at = (ip) => call(server.url, 'GET', '/me', { bearer: token, ...from(ip) });
    assert.equal((await at('10.0.0.1')).body.lastIp, '10.0.0.1');
    assert.equal(sets, 0);
    assert.equal((await at('10.0.0.2')).body.lastIp, '10.0.0.2');
    assert.equal(sets, 1, 'the new address is written');
    await at('10.0.0.2');
    assert.equal(sets, 1, 'and only once');
    const [listed] = (await call(server.url, 'GET', '/sessions', { bearer: token, ...from('10.0.0.2') })).body.sessions;
    assert.equal(listed.firstIp, '10.0.0.1');
    assert.equal(listed.lastIp, '10.0.0.2');
    const v = (await at('10.0.0.3')).body;
    assert.equal(v.firstIp, '10.0.0.1');
    // An address longer than the core takes is cut to 39 characters.
    assert.equal((await at('x'.repeat(60))).body.lastIp, 'x'.repeat(39));
  } finally {
    await server.close();
  }
});

test('injectSession on a plain node:http server, with the default embedded Sessions', async () => {
  const server = createServer(async (req, res) => {
    try {
      const s = await forExpress.injectSession(req, res);
      if (req.url === '/login') await s.logIn('plain');
      if (req.url === '/incr') s.d.n = (s.d.n ?? 0) + 1;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(view(s)));
    } catch (e) {
      res.statusCode = 500;
      res.end(String(e));
    }
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${server.address().port}`;
  try {
    const login = await call(url, 'GET', '/login');
    const cookie = login.headers.getSetCookie()[0].split(';')[0];
    assert.equal(login.headers.get('authorization'), `Bearer ${cookie.slice('session='.length)}`);
    for (let i = 1; i <= 3; i++) assert.equal((await call(url, 'GET', '/incr', { cookie })).body.d.n, i);
    const me = (await call(url, 'GET', '/', { cookie })).body;
    assert.equal(me.authenticatableID, 'plain');
    assert.equal(me.firstIp, '127.0.0.1');
    // The middleware without `sessions` shares the same default Sessions.
    const app = express();
    app.use(forExpress.session());
    app.get('/', (req, res) => res.json(view(req.session)));
    const s2 = await new Promise((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    try {
      const seen = (await call(`http://127.0.0.1:${s2.address().port}`, 'GET', '/', { cookie })).body;
      assert.equal(seen.authenticatableID, 'plain');
      assert.equal(seen.d.n, 3);
    } finally {
      s2.close();
      s2.closeAllConnections();
    }
  } finally {
    server.close();
    server.closeAllConnections();
  }
});

test('options.redis: one Sessions per URL, shared by middleware of every framework', async () => {
  const a = await frameworks.express({ redis: redis.url, app: 'viaurl' });
  const b = await frameworks.hono({ redis: redis.url, app: 'viaurl' });
  try {
    const { token } = (await call(a.url, 'POST', '/login?user=r1')).body;
    await call(a.url, 'POST', '/set?key=k&value=v', { bearer: token });
    const seen = (await call(b.url, 'GET', '/me', { bearer: token })).body;
    assert.equal(seen.authenticatableID, 'r1');
    assert.deepEqual(seen.d, { k: 'v' });
    assert.ok((await redis.calls('evalsha')) > 0, 'the sessions are in Redis');
  } finally {
    await a.close();
    await b.close();
  }
});

test('the CommonJS entry points export the same functions', () => {
  const e = require('session-core/express');
  assert.deepEqual(Object.keys(e).sort(), ['authenticateRequest', 'injectSession', 'session']);
  const f = require('session-core/fastify');
  assert.equal(f.default, f.sessionPlugin);
  assert.equal(f.sessionPlugin[Symbol.for('skip-override')], true);
  assert.deepEqual(Object.keys(require('session-core/hono')).sort(), ['authenticateRequest', 'session']);
  assert.deepEqual(Object.keys(require('session-core-wasm/hono')).sort(), ['authenticateRequest', 'session']);
  const store = require('session-core/express-session-store');
  assert.equal(store.default, store.SessionCoreStore);
  assert.equal(typeof require('express-session').Store.prototype.isPrototypeOf(new store.SessionCoreStore()), 'boolean');
  assert.ok(new store.SessionCoreStore() instanceof require('express-session').Store);
});
