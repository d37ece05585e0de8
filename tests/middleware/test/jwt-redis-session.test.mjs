// session-core/jwt-redis-session: the drop-in for jwt-redis-session's middleware. Its README's
// Express routes (create, read, reload, update, destroy) on a real server driven by fetch, on
// the embedded store and on a real redis-server; tokens that must not verify (another secret,
// alg none, another algorithm, expired, truncated) are "no session", never a 500. Expiry by
// an injected clock.
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { createRequire } from 'node:module';
import { after, describe, test } from 'node:test';
import express from 'express';
import { SignJWT } from 'jose';
import JWTRedisSession from 'session-core/jwt-redis-session';
import { SessionError, Sessions } from 'session-core';
import { startRedis } from '../../js/redis-server.mjs';
import { closeServer } from './apps.mjs';

const require = createRequire(import.meta.url);
const redis = await startRedis();
const closing = [];
after(async () => {
  for (const close of closing) await close();
  await redis.close();
});

const SECRET = 'a secret of the app, long enough for HS512 too.....................';

/** The README's app: its CRUD routes, with `JWTRedisSession(options)` in front. */
async function readmeApp(options) {
  const app = express();
  app.use(express.json());
  app.use(JWTRedisSession(options));
  const key = options.requestKey ?? 'session';
  const fail = (res, error) => res.status(500).json({ error: error.message || error });
  app.post('/session/create', (req, res) => {
    req[key].user = req.body.user;
    req[key].create((err, token) => (err ? fail(res, err) : res.status(200).json({ token })));
  });
  app.all('/session/read', (req, res) => res.json({ id: req[key].id ?? null, session: req[key], claims: req[key].claims ?? null }));
  app.get('/session/reload', (req, res) => {
    req[key].reload((error) => (error ? fail(res, error) : res.json({ session: req[key] })));
  });
  app.post('/session/update', (req, res) => {
    Object.assign(req[key], req.body.set ?? {});
    for (const name of req.body.unset ?? []) delete req[key][name];
    req[key].update((error) => (error ? fail(res, error) : res.json({ session: req[key] })));
  });
  app.post('/session/destroy', (req, res) => {
    req[key].destroy((error) => (error ? fail(res, error) : res.end()));
  });
  const server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  closing.push(() => closeServer(server));
  const url = `http://127.0.0.1:${server.address().port}`;
  const call = async (method, path, { token, via = 'header', body } = {}) => {
    const headers = { 'content-type': 'application/json' };
    let target = `${url}${path}`;
    const payload = { ...(body ?? {}) };
    if (token !== undefined) {
      if (via === 'header') headers[options.header ?? 'x-access-token'] = token;
      else if (via === 'query') target += `?${options.requestArg ?? 'accessToken'}=${encodeURIComponent(token)}`;
      else payload[options.requestArg ?? 'accessToken'] = token;
    }
    const r = await fetch(target, { method, headers, body: method === 'GET' ? undefined : JSON.stringify(payload) });
    const text = await r.text();
    return { status: r.status, headers: r.headers, body: text === '' ? null : JSON.parse(text) };
  };
  return call;
}

function manualClock() {
  let now = 1_700_000_000_000;
  return { read: () => now, advance: (s) => (now += s * 1000) };
}

const decode = (part) => JSON.parse(Buffer.from(part, 'base64url').toString());

for (const where of ['embedded', 'Redis']) {
  describe(`session-core/jwt-redis-session (${where})`, () => {
    const setup = async (options = {}) => {
      const clock = manualClock();
      const client = new Sessions(where === 'Redis' ? { redis: redis.url, clock: clock.read } : { clock: clock.read });
      if (where === 'Redis') closing.push(() => client.quit());
      const call = await readmeApp({ client, secret: SECRET, clock: clock.read, ...options });
      return { call, clock, client };
    };

    test('create: a JWT (HS256) whose jti names the session; read finds it by header, body or query', async () => {
      const { call } = await setup();
      const created = await call('POST', '/session/create', { body: { user: { name: 'ann', roles: ['admin'] } } });
      assert.equal(created.status, 200);
      // The response carries the JWT: no cache may keep it (OWASP's session guidance).
      assert.equal(created.headers.get('cache-control'), 'no-store');
      const [header, payload, signature] = created.body.token.split('.');
      assert.equal(decode(header).alg, 'HS256');
      assert.match(decode(payload).jti, /^[A-Za-z0-9]{64}$/);
      assert.equal(typeof decode(payload).iat, 'number');
      assert.ok(signature.length > 0);
      for (const via of ['header', 'body', 'query']) {
        const read = await call('POST', '/session/read', { token: created.body.token, via });
        assert.equal(read.body.id, decode(payload).jti, `found by ${via}`);
        assert.deepEqual(read.body.session, { user: { name: 'ann', roles: ['admin'] } }, 'toJSON: the data, without id, claims and jwt');
        assert.equal(read.body.claims.jti, decode(payload).jti);
        assert.equal(read.headers.get('cache-control'), null, 'a response that sends no token is left as the app makes it');
      }
      const none = await call('GET', '/session/read');
      assert.deepEqual(none.body, { id: null, session: {}, claims: null });
    });

    test('update commits the changes; concurrent updates of different fields keep both; fields deleted are removed', async () => {
      const { call } = await setup();
      const { token } = (await call('POST', '/session/create', { body: { user: 'ann' } })).body;
      const updated = await call('POST', '/session/update', { token, body: { set: { foo: 'bar' } } });
      assert.deepEqual(updated.body.session, { user: 'ann', foo: 'bar' });
      await Promise.all([
        call('POST', '/session/update', { token, body: { set: { a: 1 } } }),
        call('POST', '/session/update', { token, body: { set: { b: 2 } } }),
      ]);
      assert.deepEqual((await call('GET', '/session/read', { token })).body.session, { user: 'ann', foo: 'bar', a: 1, b: 2 });
      await call('POST', '/session/update', { token, body: { unset: ['foo'] } });
      assert.deepEqual((await call('GET', '/session/read', { token })).body.session, { user: 'ann', a: 1, b: 2 });
      const without = await call('POST', '/session/update', { body: { set: { x: 1 } } });
      assert.deepEqual([without.status, without.body], [500, { error: 'Invalid session ID' }], 'update without a session: the seed error');
    });

    test('reload reads what another request changed', async () => {
      const { call, client } = await setup();
      const { token } = (await call('POST', '/session/create', { body: { user: 'ann' } })).body;
      await client.set({ app: 'sess', token: decode(token.split('.')[1]).jti, d: { other: '"server"' } });
      assert.deepEqual((await call('GET', '/session/reload', { token })).body.session, { user: 'ann', other: 'server' });
      assert.deepEqual((await call('GET', '/session/reload')).body.session, {}, 'no session: nothing to reload');
    });

    test('destroy: the JWT no longer names a session', async () => {
      const { call } = await setup();
      const { token } = (await call('POST', '/session/create', { body: { user: 'ann' } })).body;
      assert.equal((await call('POST', '/session/destroy', { token })).status, 200);
      assert.equal((await call('GET', '/session/read', { token })).body.id, null);
      assert.equal((await call('POST', '/session/destroy')).status, 200, 'no session: nothing to do');
    });

    test('maxAge: the session expires after maxAge idle seconds (injected clock); use slides it', async () => {
      const { call, clock } = await setup({ maxAge: 60 });
      const { token } = (await call('POST', '/session/create', { body: { user: 'ann' } })).body;
      clock.advance(50);
      assert.notEqual((await call('GET', '/session/read', { token })).body.id, null);
      clock.advance(50);
      assert.notEqual((await call('GET', '/session/read', { token })).body.id, null, 'the read 50 s ago slid the expiry');
      clock.advance(61);
      assert.equal((await call('GET', '/session/read', { token })).body.id, null);
    });

    test('tokens that do not verify are no session, never a 500', async () => {
      const { call, clock } = await setup();
      const { token } = (await call('POST', '/session/create', { body: { user: 'ann' } })).body;
      const [h, p, sig] = token.split('.');
      const jti = decode(p).jti;
      const b64 = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
      const otherSecret = await new SignJWT({ jti }).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode('another secret'));
      const hs384 = await new SignJWT({ jti }).setProtectedHeader({ alg: 'HS384' }).sign(new TextEncoder().encode(SECRET));
      const expiring = (await call('POST', '/session/create', { body: { user: 'bob' } })).body.token;
      const expired = await new SignJWT({ jti: decode(expiring.split('.')[1]).jti, exp: Math.floor(clock.read() / 1000) - 1 })
        .setProtectedHeader({ alg: 'HS256' })
        .sign(new TextEncoder().encode(SECRET));
      const bad = {
        'another secret': otherSecret,
        'alg none': `${b64({ alg: 'none', typ: 'JWT' })}.${p}.`,
        'alg none, signature kept': `${b64({ alg: 'none' })}.${p}.${sig}`,
        'another algorithm (HS384)': hs384,
        expired,
        truncated: token.slice(0, -5),
        'payload only': `${h}.${p}`,
        'a changed payload': `${h}.${b64({ ...decode(p), jti: 'x'.repeat(64) })}.${sig}`,
        'not a JWT': 'hello',
        'a jti that is not a token': await new SignJWT({ jti: 'short' }).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(SECRET)),
      };
      for (const [what, t] of Object.entries(bad)) {
        const r = await call('GET', '/session/read', { token: t });
        assert.deepEqual([r.status, r.body.id], [200, null], what);
      }
      assert.equal((await call('GET', '/session/read', { token })).body.id, jti, 'the good token still works');
    });

    test('HS384, HS512 and RS256 sign and verify; requestKey and requestArg', async () => {
      const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
      const pem = privateKey.export({ type: 'pkcs8', format: 'pem' });
      for (const [algorithm, secret] of [['HS384', SECRET], ['HS512', new TextEncoder().encode(SECRET)], ['RS256', pem]]) {
        const { call } = await setup({ algorithm, secret, requestKey: 'sess', requestArg: 'myToken', header: 'x-my-token' });
        const { token } = (await call('POST', '/session/create', { body: { user: 'ann' } })).body;
        assert.equal(decode(token.split('.')[0]).alg, algorithm);
        const read = await call('GET', '/session/read', { token });
        assert.deepEqual(read.body.session, { user: 'ann' }, `${algorithm}: found by the x-my-token header`);
        assert.equal((await call('GET', '/session/read', { token, via: 'query' })).body.session.user, 'ann');
      }
    });
  });
}

describe('session-core/jwt-redis-session options', () => {
  test('client as a Redis URL; keyspace names the app', async () => {
    const call = await readmeApp({ client: redis.url, secret: SECRET, keyspace: 'api-sessions:' });
    const { token } = (await call('POST', '/session/create', { body: { user: 'ann' } })).body;
    assert.equal((await call('GET', '/session/read', { token })).body.session.user, 'ann');
    const probe = new Sessions({ redis: redis.url });
    closing.push(() => probe.quit());
    assert.equal((await probe.get({ app: 'api-sessions', token: decode(token.split('.')[1]).jti })).id, 'anonymous');
  });

  test('bad options: a SessionError naming the field, when the middleware is made', () => {
    const client = new Sessions();
    const cases = [
      [{ secret: SECRET }, 'client'],
      [{ client: 42, secret: SECRET }, 'client'],
      [{ client }, 'secret'],
      [{ client, secret: SECRET, algorithm: 'none' }, 'algorithm'],
      [{ client, secret: SECRET, algorithm: 'RS256' }, null],
      [{ client, secret: SECRET, keyspace: ':' }, 'keyspace'],
      [{ client, secret: SECRET, maxAge: 5 }, 'maxAge'],
      [{ client, secret: SECRET, requestKey: '' }, 'requestKey'],
      [{ client, secret: SECRET, requestArg: 'a-b' }, 'requestArg'],
    ];
    for (const [options, field] of cases) {
      if (field === null) {
        assert.doesNotThrow(() => JWTRedisSession(options), 'an RS256 key is checked at first use');
        continue;
      }
      assert.throws(() => JWTRedisSession(options), (e) => e instanceof SessionError && e.field === field, field);
    }
  });

  test('an RS256 secret that is not a PEM key: create fails naming secret; reads are no session', async () => {
    const call = await readmeApp({ client: new Sessions(), secret: 'not a key', algorithm: 'RS256' });
    const r = await call('POST', '/session/create', { body: { user: 'ann' } });
    assert.equal(r.status, 500);
    assert.match(r.body.error, /PKCS#8/);
  });

  test('create, update, reload and destroy return Promises without a callback; CommonJS has the same factory', async () => {
    const mw = JWTRedisSession({ client: new Sessions(), secret: SECRET });
    const odd = { headers: {}, url: 'http://[', socket: {} };
    await new Promise((resolve) => mw(odd, {}, resolve));
    assert.equal(odd.session.id, undefined, 'a bare request with an unparsable URL: no session, no throw');
    const req = { headers: {}, url: '/', socket: { remoteAddress: '10.0.0.1' } };
    await new Promise((resolve) => mw(req, {}, resolve));
    req.session.count = 1;
    const token = await req.session.create({ sub: 'ann' });
    assert.equal(typeof token, 'string');
    req.session.count = 2;
    await req.session.update();
    await req.session.reload();
    assert.deepEqual(req.session.toJSON(), { count: 2 });
    await req.session.touch();
    await req.session.destroy();
    await assert.rejects(req.session.update(), { message: 'Invalid session ID', field: 'id' });
    const cjs = require('session-core/jwt-redis-session');
    assert.equal(typeof cjs, 'function');
    assert.equal(cjs.default, cjs);
  });
});
