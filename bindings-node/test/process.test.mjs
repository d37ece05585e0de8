// Nothing session-core starts keeps a process alive: a program that uses sessions exits when
// its work is done, without calling quit(), with the default options (automatic sweeping on:
// inside calls for in-process stores, an unref'd timer for Redis) and with a JS store.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, test } from 'node:test';
import { startRedis } from '../../tests/js/redis-server.mjs';

const redis = await startRedis();
after(() => redis.close());

test('a program using session-core exits by itself', () => {
  const script = `
    import { Sessions, MapStore } from 'session-core';
    import RedisSessions from 'session-core/redis-sessions';
    const [url, port] = process.argv.slice(1);
    const all = [
      new Sessions(),
      new Sessions({ store: new MapStore() }),
      new Sessions({ redis: url }),
      new RedisSessions({ port: Number(port) }),
      new RedisSessions({ port: Number(port), cachetime: 60 }), // subscribed to its cache channel
      new RedisSessions({ port: 1 }), // unreachable: its calls fail
    ];
    let ok = 0;
    for (const s of all) {
      s.on('expired', () => {});
      const r = await s.create({ app: 'exit', id: 'u', ip: '::1', ttl: 10 }).catch((e) => e);
      if (r.token && (await s.get({ app: 'exit', token: r.token }))) ok++;
    }
    console.log('done', ok);
  `;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script, redis.url, String(redis.port)], {
    cwd: new URL('..', import.meta.url),
    encoding: 'utf8',
    timeout: 30_000,
  });
  assert.equal(r.error, undefined, 'finished before the timeout');
  assert.equal(r.stderr, '');
  assert.equal(r.status, 0);
  assert.equal(r.stdout.trim(), 'done 5');
});
