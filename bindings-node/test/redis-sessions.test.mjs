// session-core/redis-sessions: the drop-in for require('redis-sessions'), end to end against a
// real redis-server, with redis-sessions' constructor options and API.
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { createRequire } from 'node:module';
import { after, describe, test } from 'node:test';
import RedisSessions from 'session-core/redis-sessions';
import { Sessions } from 'session-core';
import { makeRedisSessionsClass } from 'session-core/driver';
import { sparePort, startRedis } from '../../tests/js/redis-server.mjs';

const require = createRequire(import.meta.url);
const { redisUrl } = require('../backend.cjs');
const redis = await startRedis();
const opened = [];
after(async () => {
  await Promise.all(opened.map((rs) => rs.quit().catch(() => {})));
  await redis.close();
});

function open(options) {
  const rs = new RedisSessions(options);
  opened.push(rs);
  return rs;
}

describe('session-core/redis-sessions', () => {
  test('loads from ES modules and CommonJS as the default export, like redis-sessions', () => {
    const cjs = require('session-core/redis-sessions');
    assert.equal(typeof RedisSessions, 'function');
    assert.equal(typeof cjs, 'function');
    assert.equal(cjs.default, cjs);
    assert.deepEqual(
      Object.getOwnPropertyNames(Object.getPrototypeOf(cjs.prototype)).sort(),
      Object.getOwnPropertyNames(Object.getPrototypeOf(RedisSessions.prototype)).sort(),
    );
  });

  test('the constructor takes redis-sessions options, connects nowhere and does not throw', () => {
    for (const o of [
      undefined,
      {},
      { host: '127.0.0.1', port: 6379 },
      { options: { url: 'redis://localhost:6379' } },
      { namespace: 'myapp', wipe: 600 },
      { wipe: 0 },
    ]) {
      const rs = new RedisSessions(o);
      assert.ok(rs instanceof EventEmitter);
      rs.quit();
    }
  });

  test('connection options become a Redis URL as node-redis reads them', () => {
    const c = (host, port, options = {}) => redisUrl({ host, port, options });
    assert.equal(c('127.0.0.1', 6379), 'redis://127.0.0.1:6379');
    assert.equal(c('redis.internal', 6380, { password: 'p@ss/word', database: 2 }), 'redis://:p%40ss%2Fword@redis.internal:6380/2');
    assert.equal(c('h', 1, { username: 'app', password: 'pw' }), 'redis://app:pw@h:1');
    assert.equal(c('::1', 6379), 'redis://[::1]:6379');
    assert.equal(c('h', 1, { socket: { tls: true } }), 'rediss://h:1');
    assert.equal(redisUrl({ url: 'redis://u:p@h:2/3', options: {} }), 'redis://u:p@h:2/3');
  });

  test('end to end with redis-sessions\' API: create, get, set, soid, activity, soapp, kill, killsoid, killall, ping, quit', async () => {
    const rs = open({ port: redis.port, namespace: 'compat' });
    const app = 'myapp';
    assert.equal(await rs.ping(), 'PONG');
    const { token } = await rs.create({ app, id: 'user1', ip: '127.0.0.1', ttl: 3600 });
    assert.match(token, /^[A-Za-z0-9]{64}$/);
    const got = await rs.get({ app, token });
    assert.deepEqual({ ...got, idle: 0 }, { id: 'user1', r: 1, w: 1, ttl: 3600, idle: 0, ip: '127.0.0.1' });
    const set = await rs.set({ app, token, d: { unread_msgs: 12, last_action: '/read/news', birthday: null } });
    assert.deepEqual(set.d, { unread_msgs: 12, last_action: '/read/news' });
    assert.equal(set.w, 2);
    assert.deepEqual((await rs.set({ app, token, d: { unread_msgs: null } })).d, { last_action: '/read/news' });
    const t2 = (await rs.create({ app, id: 'user1', ip: '127.0.0.2' })).token;
    await rs.create({ app, id: 'user2', ip: '127.0.0.3' });
    assert.deepEqual(await rs.activity({ app, deltaTime: 600 }), { activity: 2 });
    // redis-sessions 4 reads `deltaTime` only (session-core's `dt` is refused, as it refuses it).
    await assert.rejects(rs.activity({ app, dt: 600 }), {
      name: 'invalidValue',
      message: 'deltaTime must be a positive integer >= 10',
    });
    assert.equal((await rs.soapp({ app, deltaTime: 600 })).sessions.length, 3);
    const { sessions } = await rs.soid({ app, id: 'user1' });
    assert.deepEqual(sessions.map((x) => x.ip), ['127.0.0.1', '127.0.0.2']);
    assert.deepEqual(await rs.kill({ app, token }), { kill: 1 });
    assert.equal(await rs.get({ app, token }), null);
    assert.deepEqual(await rs.killsoid({ app, id: 'user1' }), { kill: 1 });
    assert.equal(await rs.get({ app, token: t2 }), null);
    assert.deepEqual(await rs.killall({ app }), { kill: 1 });
    assert.deepEqual(await rs.activity({ app, deltaTime: 600 }), { activity: 0 });
    assert.equal(await rs.quit(), undefined);
    await assert.rejects(rs.get({ app, token }), { name: 'Error', message: 'The client is closed' });
  });

  test('options.url and namespace: keys land under the namespace, sessions are shared', async () => {
    const a = open({ options: { url: redis.url }, namespace: 'shared', wipe: 0 });
    const b = open({ host: '127.0.0.1', port: redis.port, namespace: 'shared', wipe: 0 });
    const { token } = await a.create({ app: 'myapp', id: 'u', ip: '::1' });
    assert.equal((await b.get({ app: 'myapp', token })).id, 'u', 'two instances share one Redis');
    const keys = await redis.command('KEYS', 'shared:*');
    assert.ok(keys.length > 0 && keys.every((k) => k.startsWith('shared:')));
  });

  test('Redis unreachable: storeError naming the server, never a throw or a crash', async () => {
    const port = await sparePort();
    const rs = open({ port });
    await assert.rejects(rs.create({ app: 'myapp', id: 'u', ip: '::1' }), (e) => {
      assert.equal(e.name, 'storeError');
      assert.match(e.message, new RegExp(`^Store error: cannot connect to Redis at 127\\.0\\.0\\.1:${port}: `));
      return true;
    });
    await assert.rejects(rs.ping(), { name: 'storeError' });
  });

  test('the shell over a backend without Redis: every call fails with storeError, saying so', async () => {
    const Shell = makeRedisSessionsClass(Sessions);
    const rs = new Shell({ port: redis.port });
    const none = { name: 'storeError', message: 'Store error: this backend of session-core has no Redis store' };
    await assert.rejects(rs.create({ app: 'myapp', id: 'u', ip: '::1' }), none);
    await assert.rejects(rs.ping(), none);
    await assert.rejects(rs.get({ app: 'myapp' }), { name: 'missingParameter' });
    assert.equal(await rs.quit(), undefined);
  });

  test('bad input is reported first, with redis-sessions error names', async () => {
    const rs = open({ port: 1 });
    await assert.rejects(rs.get({ app: 'myapp' }), { name: 'missingParameter', message: 'No token supplied' });
    await assert.rejects(rs.create({ app: 'myapp', id: 'u', ip: '::1', ttl: 5 }), {
      name: 'invalidValue',
      message: 'ttl must be a positive integer >= 10',
    });
  });
});
