// session-core/redis-sessions: the drop-in for require('redis-sessions'). Until the Redis store
// lands, it constructs like redis-sessions and every call that needs Redis rejects with a
// storeError that says so.
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { createRequire } from 'node:module';
import { describe, test } from 'node:test';
import RedisSessions from 'session-core/redis-sessions';

const require = createRequire(import.meta.url);
const token = 'a'.repeat(64);
const notBuilt = { name: 'storeError', code: 'storeError', message: 'Store error: Redis store not built yet' };

function isNotBuilt(e) {
  assert.ok(e instanceof Error);
  for (const [k, v] of Object.entries(notBuilt)) assert.equal(e[k], v, k);
  return true;
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

  test('the constructor takes redis-sessions options and does not throw', () => {
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
    }
  });

  test('every call that needs Redis rejects with storeError "Redis store not built yet"', async () => {
    const rs = new RedisSessions();
    const app = 'myapp';
    await assert.rejects(rs.create({ app, id: 'user1', ip: '127.0.0.1', ttl: 3600 }), isNotBuilt);
    await assert.rejects(rs.get({ app, token }), isNotBuilt);
    await assert.rejects(rs.set({ app, token, d: { a: 1 } }), isNotBuilt);
    await assert.rejects(rs.kill({ app, token }), isNotBuilt);
    await assert.rejects(rs.activity({ app, dt: 600 }), isNotBuilt);
    await assert.rejects(rs.soapp({ app, dt: 600 }), isNotBuilt);
    await assert.rejects(rs.soid({ app, id: 'user1' }), isNotBuilt);
    await assert.rejects(rs.killsoid({ app, id: 'user1' }), isNotBuilt);
    await assert.rejects(rs.killall({ app }), isNotBuilt);
    await assert.rejects(rs.ping(), isNotBuilt);
    assert.equal(await rs.quit(), undefined);
  });

  test('bad input is still reported first, with redis-sessions error names', async () => {
    const rs = new RedisSessions();
    await assert.rejects(rs.get({ app: 'myapp' }), { name: 'missingParameter', message: 'No token supplied' });
  });
});
