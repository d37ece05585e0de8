// The Redis backend when Redis fails: calls reject with storeError (a clear message that names
// the server), nothing crashes, no rejection goes unhandled, and the same `Sessions` object
// works again as soon as Redis is back (the first call after the restart included).
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { Sessions, SessionError } from 'session-core';
import { RedisServer, sparePort, startRedis } from '../../tests/js/redis-server.mjs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const APP = 'shop';
const unhandled = [];
const uncaught = [];
process.on('unhandledRejection', (e) => unhandled.push(e));
process.on('uncaughtExceptionMonitor', (e) => uncaught.push(e));

const servers = [];
const opened = [];
after(async () => {
  await Promise.all(opened.map((s) => s.quit()));
  await Promise.all(servers.map((r) => r.close()));
  // Let late settlements surface before the final check.
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.deepEqual(unhandled, [], 'no unhandled rejection');
  assert.deepEqual(uncaught, [], 'no uncaught exception');
});

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function isStoreError(e, port) {
  assert.ok(e instanceof SessionError, `a SessionError, not ${e}`);
  assert.equal(e.name, 'storeError');
  assert.equal(e.code, 'storeError');
  assert.match(e.message, new RegExp(`^Store error: .*Redis at 127\\.0\\.0\\.1:${port}`), e.message);
  return true;
}

test('Redis down at the start: storeError naming the server; the same Sessions works once it is up', async () => {
  const port = await sparePort();
  const s = new Sessions({ redis: `redis://127.0.0.1:${port}`, namespace: 'late' });
  opened.push(s);
  const burst = await Promise.allSettled(Array.from({ length: 20 }, () => s.create({ app: APP, id: 'u', ip: '::1' })));
  for (const r of burst) {
    assert.equal(r.status, 'rejected');
    isStoreError(r.reason, port);
    assert.match(r.reason.message, /cannot connect to Redis at 127\.0\.0\.1:\d+: /);
  }
  await assert.rejects(s.ping(), (e) => isStoreError(e, port));
  const server = new RedisServer(port, mkdtempSync(join(tmpdir(), `session-core-redis-${port}-`)));
  servers.push(server);
  await server.start();
  assert.equal(await s.ping(), 'PONG');
  const { token } = await s.create({ app: APP, id: 'u', ip: '::1' });
  assert.equal((await s.get({ app: APP, token })).id, 'u');
});

test('Redis stopped under load: calls reject with storeError; restarted on the same port, the same Sessions works again', async () => {
  const redis = await startRedis();
  servers.push(redis);
  const s = new Sessions({ redis: redis.url, namespace: 'faults' });
  opened.push(s);
  const { token } = await s.create({ app: APP, id: 'u', ip: '::1' });

  // 16 workers, each a loop of awaited calls, counting outcomes by phase.
  let phase = 'up';
  let running = true;
  const outcomes = { up: { ok: 0, failed: [] }, down: { ok: 0, failed: [] }, back: { ok: 0, failed: [] } };
  const worker = async (w) => {
    for (let i = 0; running; i++) {
      try {
        await (i % 2 === 0
          ? s.set({ app: APP, token, d: { [`w${w}`]: i } })
          : s.create({ app: APP, id: `w${w}`, ip: '::1', ttl: 60 }));
        outcomes[phase].ok++;
      } catch (e) {
        outcomes[phase].failed.push(e);
        await sleep(5);
      }
    }
  };
  const workers = Array.from({ length: 16 }, (_, w) => worker(w));
  await sleep(200);

  phase = 'down';
  await redis.stop();
  const deadline = Date.now() + 10_000;
  while (outcomes.down.failed.length < 32 && Date.now() < deadline) await sleep(10);
  assert.ok(outcomes.down.failed.length >= 32, `calls fail while Redis is down (${outcomes.down.failed.length})`);

  phase = 'back';
  await redis.start();
  const since = Date.now();
  while (outcomes.back.ok < 200 && Date.now() - since < 10_000) await sleep(10);
  running = false;
  await Promise.all(workers);

  assert.ok(outcomes.up.ok > 0, 'calls succeeded before the stop');
  assert.deepEqual(outcomes.up.failed, [], 'no failure before the stop');
  // Calls in flight when Redis came back may still fail; all failures are storeErrors.
  for (const e of [...outcomes.down.failed, ...outcomes.back.failed]) isStoreError(e, redis.port);
  assert.ok(outcomes.back.ok >= 200, `calls succeed again after the restart (${outcomes.back.ok})`);
  // The restarted server is empty (no persistence): the old session is gone, new ones work.
  assert.equal(await s.get({ app: APP, token }), null);
  const fresh = await s.create({ app: APP, id: 'again', ip: '::1' });
  assert.equal((await s.get({ app: APP, token: fresh.token })).id, 'again');
  assert.equal(await s.ping(), 'PONG');
});

test('Redis restarted on the same port: the first call after it is back succeeds', async () => {
  const redis = await startRedis();
  servers.push(redis);
  const s = new Sessions({ redis: redis.url, namespace: 'first' });
  opened.push(s);
  const { token } = await s.create({ app: APP, id: 'u', ip: '::1' });
  for (const idle of [false, true]) {
    await redis.stop();
    // While Redis is down, calls fail; the store's reconnection attempts fail too.
    await assert.rejects(s.get({ app: APP, token }), (e) => isStoreError(e, redis.port));
    if (idle) await sleep(1_500); // no call for a while: every reconnection attempt has given up
    else await assert.rejects(s.touch({ app: APP, token }), (e) => isStoreError(e, redis.port));
    await redis.start();
    // The very first call after the restart reconnects, then runs.
    const { token: fresh } = await s.create({ app: APP, id: `after-${idle}`, ip: '::1' });
    assert.equal((await s.get({ app: APP, token: fresh })).id, `after-${idle}`);
  }
});
