// Redis over TLS and with credentials, `new Sessions({ redis: { url, username, password, tls } })`,
// against real redis-servers with a throwaway CA (made by openssl) and ACL users: sessions
// work over `rediss://`, and every refusal is a storeError that says what happened without
// showing the password.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, test } from 'node:test';
import { Sessions } from 'session-core';
import RedisSessions from 'session-core/redis-sessions';
import { startRedisTls } from '../../tests/js/redis-server.mjs';

const redis = await startRedisTls();
const strict = await startRedisTls({ authClients: true });
await redis.command('ACL', 'SETUSER', 'app', 'on', '>app-pass-1', '~*', '&*', '+@all');
const opened = [];
after(async () => {
  await Promise.all(opened.map((s) => s.quit()));
  await redis.close();
  await strict.close();
});

const ca = readFileSync(redis.tls.ca);
function make(options) {
  const s = new Sessions(options);
  opened.push(s);
  return s;
}

/** A few operations: create, set, get, kill. */
async function exercise(sessions) {
  const { token } = await sessions.create({ app: 'shop', id: 'ann', ip: '::1', d: { cart: 1 } });
  assert.equal((await sessions.set({ app: 'shop', token, d: { cart: 2 } })).w, 2);
  assert.deepEqual((await sessions.get({ app: 'shop', token })).d, { cart: 2 });
  assert.deepEqual(await sessions.kill({ app: 'shop', token }), { kill: 1 });
}

/** The storeError of the first call. */
async function refusal(options) {
  const sessions = make(options);
  const e = await sessions.get({ app: 'shop', token: 'a'.repeat(64) }).then(
    () => assert.fail('the call succeeded'),
    (e) => e,
  );
  assert.equal(e.name, 'storeError', e.message);
  return e.message;
}

test('sessions over TLS, trusting a private CA (PEM as a Buffer or text)', async () => {
  const before = await redis.calls('evalsha');
  await exercise(make({ redis: { url: redis.tlsUrl, tls: { ca } } }));
  await exercise(make({ redis: { url: redis.tlsUrl, tls: { ca: [ca.toString()] } } }));
  // `tls` turns a redis:// URL into rediss://.
  await exercise(make({ redis: { url: `redis://127.0.0.1:${redis.tlsPort}`, tls: { ca } } }));
  assert.ok((await redis.calls('evalsha')) >= before + 9);
});

test('credentials in the URL or as options; wrong ones are a clear storeError', async () => {
  const tls = { ca };
  const port = redis.tlsPort;
  await exercise(make({ redis: { url: `rediss://app:app-pass-1@127.0.0.1:${port}`, tls } }));
  await exercise(make({ redis: { url: redis.tlsUrl, username: 'app', password: 'app-pass-1', tls } }));
  for (const [options, user] of [
    [{ url: redis.tlsUrl, username: 'app', password: 'wrong-pass-1', tls }, 'app'],
    [{ url: `rediss://nobody:wrong-pass-1@127.0.0.1:${port}`, tls }, 'nobody'],
  ]) {
    const message = await refusal({ redis: options });
    assert.match(message, new RegExp(`^Store error: cannot connect to Redis at 127\\.0\\.0\\.1:${port}: it refused the credentials of user "${user}"`));
    assert.match(message, /WRONGPASS/);
    assert.doesNotMatch(message, /wrong-pass-1/);
  }
});

test('an untrusted certificate, TLS to a plain port, a missing client certificate: clear storeErrors', async () => {
  // The system's roots, then another CA: neither signed the server's certificate.
  for (const options of [redis.tlsUrl, { url: redis.tlsUrl, tls: { ca: readFileSync(redis.tls.otherCa) } }]) {
    assert.match(await refusal({ redis: options }), /certificate is not trusted \(unknown issuer\)/);
  }
  assert.match(
    await refusal({ redis: { url: `rediss://127.0.0.1:${redis.port}`, tls: { ca } } }),
    /did not complete the TLS handshake .*is this port a TLS port/,
  );
  const strictCa = readFileSync(strict.tls.ca);
  assert.match(await refusal({ redis: { url: strict.tlsUrl, tls: { ca: strictCa } } }), /client certificate/);
  assert.match(
    await refusal({ redis: { url: strict.tlsUrl, tls: { ca: strictCa, cert: 'nonsense', key: 'nonsense' } } }),
    /invalid Redis store configuration: the TLS client certificate holds no certificate/,
  );
  await exercise(
    make({
      redis: {
        url: strict.tlsUrl,
        tls: { ca: strictCa, cert: readFileSync(strict.tls.clientCert), key: readFileSync(strict.tls.clientKey) },
      },
    }),
  );
});

test('bad redis options are TypeErrors at once', () => {
  for (const redisOption of [
    5,
    [],
    { url: '' },
    { url: redis.tlsUrl, password: 7 },
    { url: redis.tlsUrl, tls: 'yes' },
    { url: redis.tlsUrl, tls: { cert: 'x' } },
    { url: redis.tlsUrl, tls: { ca: 5 } },
  ]) {
    assert.throws(() => new Sessions({ redis: redisOption }), TypeError, JSON.stringify(redisOption));
  }
});

test('the redis-sessions drop-in passes node-redis socket TLS options', async () => {
  const rs = new RedisSessions({ host: '127.0.0.1', port: redis.tlsPort, options: { socket: { tls: true, ca } } });
  const { token } = await rs.create({ app: 'shop', id: 'ann', ip: '::1', ttl: 600 });
  assert.equal((await rs.get({ app: 'shop', token })).id, 'ann');
  await rs.quit();
});

test("the drop-in's cache channel goes over the same TLS, with the same credentials", async () => {
  const options = {
    host: '127.0.0.1',
    port: redis.tlsPort,
    cachetime: 300,
    wipe: 0,
    options: { username: 'app', password: 'app-pass-1', socket: { tls: true, ca } },
  };
  const reader = new RedisSessions(options);
  const writer = new RedisSessions(options);
  try {
    const { token } = await writer.create({ app: 'shop', id: 'ann', ip: '::1', ttl: 600 });
    assert.equal((await reader.get({ app: 'shop', token })).r, 1);
    assert.equal((await reader.get({ app: 'shop', token })).r, 1, 'answered from the cache');
    // The kill in the other instance reaches the reader's subscription (TLS, user "app").
    assert.deepEqual(await writer.kill({ app: 'shop', token }), { kill: 1 });
    let s;
    for (let i = 0; i < 400 && (s = await reader.get({ app: 'shop', token })) !== null; i++) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    assert.equal(s, null, 'evicted through the channel');
    const clients = await redis.command('CLIENT', 'LIST');
    // The reader's subscriber and the writer's publisher, both logged in as "app".
    const lines = String(clients).split('\n');
    assert.ok(lines.some((l) => /\bflags=P\b.*\buser=app\b/.test(l)), String(clients));
    assert.ok(lines.some((l) => /\bcmd=publish user=app\b/.test(l)), String(clients));
  } finally {
    await reader.quit();
    await writer.quit();
  }
});
