// Sentinel from Node: `new Sessions({ redis: 'redis+sentinel://…' })` finds the master through
// three sentinels and follows a failover with no restart of the client: while the master is
// gone calls reject with storeError; once the replica is promoted they succeed again, and no
// write that succeeded (with `waitReplicas: 1`) is lost. Bad settings are typed errors.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { Sessions, SessionError } from 'session-core';
import { startSentinels } from '../../tests/js/redis-server.mjs';

const APP = 'shop';
const unhandled = [];
process.on('unhandledRejection', (e) => unhandled.push(e));
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

const set = await startSentinels();
const opened = [];
after(async () => {
  await Promise.all(opened.map((s) => s.quit()));
  await set.close();
  await sleep(50);
  assert.deepEqual(unhandled, [], 'no unhandled rejection');
});

test('the master the sentinels name serves the calls', async () => {
  const s = new Sessions({ redis: set.url, namespace: 'plain' });
  opened.push(s);
  const { token } = await s.create({ app: APP, id: 'u1', ip: '::1' });
  assert.equal((await s.set({ app: APP, token, d: { n: 1 } })).d.n, 1);
  assert.ok((await set.servers[0].calls('evalsha')) > 0, 'the master ran the batches');
  assert.equal(await set.servers[1].calls('evalsha'), 0, 'the replica ran none');
});

test('waitReplicas and waitTimeout are checked, naming the field', () => {
  for (const [redis, field] of [
    [{ url: set.url, waitReplicas: -1 }, 'waitReplicas'],
    [{ url: set.url, waitReplicas: 1.5 }, 'waitReplicas'],
    [{ url: set.url, waitReplicas: 1, waitTimeout: 0 }, 'waitTimeout'],
    [{ url: set.url, waitTimeout: '5' }, 'waitTimeout'],
  ]) {
    assert.throws(() => new Sessions({ redis }), (e) => e instanceof TypeError && e.message.includes(`options.redis.${field}`));
  }
});

test('a Sentinel URL without a master name is a storeError that says so', async () => {
  const s = new Sessions({ redis: set.url.replace(/\/mymaster$/, '') });
  opened.push(s);
  await assert.rejects(s.ping(), (e) => e instanceof SessionError && e.name === 'storeError' && /names no master/.test(e.message));
});

// Last: it kills the master.
test('a failover under load: storeError for a while, then success through the promoted replica, no acknowledged write lost', async () => {
  const replicaPort = set.servers[1].port;
  const s = new Sessions({ redis: { url: set.url, waitReplicas: 1, waitTimeout: 1000 }, namespace: 'failover' });
  opened.push(s);
  const writers = 4;
  const tokens = [];
  for (let i = 0; i < writers; i++) tokens.push((await s.create({ app: APP, id: `u${i}`, ip: '::1' })).token);
  const acked = new Array(writers).fill(0);
  const errors = [];
  let okAfterError = 0;
  let stop = false;
  const loops = tokens.map(async (token, i) => {
    for (let n = 1; !stop; n++) {
      try {
        const session = await s.set({ app: APP, token, d: { n } });
        assert.ok(session !== null, `session ${i} is there`);
        acked[i] = n;
        if (errors.length > 0) okAfterError++;
      } catch (e) {
        errors.push(e);
      }
      await sleep(5);
    }
  });
  await sleep(300);
  assert.ok(acked.every((n) => n > 0));

  await set.servers[0].stop();
  // Bounds against hanging, not timing assertions.
  const deadline = Date.now() + 90_000;
  while ((await set.masterPort()) !== replicaPort) {
    assert.ok(Date.now() < deadline, 'the sentinels promoted no replica');
    await sleep(50);
  }
  // The old master comes back, as a supervisor must restart a master without persistence: as
  // the new master's replica, never promoted (empty, it would lose every write). Without a
  // replica, WAIT 1 could acknowledge no write.
  await set.servers[0].startAsReplicaOf(replicaPort);
  while (okAfterError < 20) {
    assert.ok(Date.now() < deadline, `no recovery: ${errors.length} errors, the last: ${errors.at(-1)?.message}`);
    await sleep(50);
  }
  stop = true;
  await Promise.all(loops);

  assert.ok(errors.length > 0, 'calls failed while the master was gone');
  for (const e of errors) {
    assert.ok(e instanceof SessionError, `a SessionError, not ${e}`);
    assert.equal(e.name, 'storeError', e.message);
    assert.match(e.message, /the Redis master "mymaster" \(Sentinel at /);
  }
  for (const [i, token] of tokens.entries()) {
    const got = await s.get({ app: APP, token });
    assert.ok(got.d.n >= acked[i], `session ${i}: ${got.d.n} < ${acked[i]}`);
  }
  assert.match(await set.servers[1].command('INFO', 'replication'), /role:master/);
});
