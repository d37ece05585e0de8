// Expiry runs inside calls, with no timer: a program that uses sessions exits when its work
// is done, with the default options (automatic sweeping on) and with a JS store.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';

test('a program using session-core exits by itself', () => {
  const script = `
    import { Sessions, MapStore } from 'session-core';
    import RedisSessions from 'session-core/redis-sessions';
    for (const s of [new Sessions(), new Sessions({ store: new MapStore() }), new RedisSessions()]) {
      s.on('expired', () => {});
      const r = await s.create({ app: 'exit', id: 'u', ip: '::1', ttl: 10 }).catch((e) => e);
      if (r.token) await s.get({ app: 'exit', token: r.token });
    }
    console.log('done');
  `;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    cwd: new URL('..', import.meta.url),
    encoding: 'utf8',
    timeout: 30_000,
  });
  assert.equal(r.error, undefined, 'finished before the timeout');
  assert.equal(r.stderr, '');
  assert.equal(r.status, 0);
  assert.equal(r.stdout.trim(), 'done');
});
