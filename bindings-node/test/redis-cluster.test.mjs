// `new Sessions({ redis: { cluster } })` and the drop-in's `cluster` option on a real 3-master
// Redis Cluster (tests/js/redis-server.mjs): every conformance vector, the lost-update probe,
// apps spread over the masters, and bad cluster settings refused by name before any call; then
// the same with each app over 16 shards (`redis: { cluster, shards: 16 }`), which spreads one
// app over every master.
import assert from 'node:assert/strict';
import { dirname, join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Sessions } from 'session-core';
import RedisSessions from 'session-core/redis-sessions';
import { probeLostUpdates } from '../../tests/js/lost-updates.mjs';
import { startRedisCluster } from '../../tests/js/redis-server.mjs';
import { runVectors } from '../../tests/js/vectors.mjs';

const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const cluster = await startRedisCluster(3);
const opened = [];
after(async () => {
  await Promise.all(opened.map((s) => s.quit()));
  await cluster.close();
});

/** A Sessions on the cluster, quit after the tests. */
function make(options) {
  const s = new Sessions({ redis: { cluster: cluster.urls }, wipe: 0, ...options });
  opened.push(s);
  return s;
}

let namespaces = 0;
runVectors('Redis Cluster (3 masters)', (clock) => make({ namespace: `cvec${++namespaces}`, clock }));
runVectors('Redis Cluster (3 masters, 16 shards per app)', (clock) =>
  make({ namespace: `kvec${++namespaces}`, clock, redis: { cluster: cluster.urls, shards: 16 } }),
);

describe('One app over 16 shards on a Redis Cluster', () => {
  const sharded = (namespace) => make({ namespace, redis: { cluster: cluster.urls, shards: 16 } });

  test('one app lands on every master, and app-wide answers merge the shards', async () => {
    const namespace = `shard${++namespaces}`;
    const s = sharded(namespace);
    const users = Array.from({ length: 48 }, (_, i) => `user${i}`);
    const tokens = [];
    for (const id of users) {
      for (let k = 0; k < 2; k++) tokens.push((await s.create({ app: 'shop', id, ip: '::1' })).token);
    }
    for (const node of cluster.nodes) {
      const keys = await node.command('KEYS', `${namespace}:*:s:*`);
      assert.ok(keys.length > 0, `node ${node.port} holds sessions of the one app`);
    }
    assert.deepEqual(await s.activity({ app: 'shop', dt: 600 }), { activity: 48 });
    assert.equal((await s.soapp({ app: 'shop', dt: 600 })).sessions.length, 96);
    const seen = new Set();
    let cursor;
    do {
      const page = await s.soapp({ app: 'shop', dt: 600, limit: 7, cursor });
      for (const l of page.sessions) {
        assert.ok(!seen.has(l.handle), `${l.handle} listed once`);
        seen.add(l.handle);
      }
      cursor = page.cursor;
    } while (cursor !== undefined);
    assert.equal(seen.size, 96);
    assert.equal((await s.soid({ app: 'shop', id: 'user7' })).sessions.length, 2);
    const regenerated = await s.regenerate({ app: 'shop', token: tokens[0] });
    assert.equal((await s.get({ app: 'shop', token: regenerated.token })).id, 'user0');
    assert.deepEqual(await s.killsoid({ app: 'shop', id: 'user1' }), { kill: 2 });
    assert.deepEqual(await s.killall({ app: 'shop' }), { kill: 94 });
    assert.deepEqual(await s.activity({ app: 'shop', dt: 600 }), { activity: 0 });
  });

  test('no lost updates with 16 shards: 2 processes × 300 concurrent sets', async () => {
    const namespace = `krace${++namespaces}`;
    await probeLostUpdates({
      sessions: sharded(namespace),
      cwd: packageDir,
      open: `import { Sessions } from 'session-core';
             const s = new Sessions({ redis: { cluster: JSON.parse(ARGS[0]), shards: 16 }, namespace: ARGS[1], wipe: 0 });`,
      args: [JSON.stringify(cluster.urls), namespace],
    });
  });

  test('a shard count outside 1 to 64 is a TypeError naming the field', () => {
    for (const shards of [0, 65, 1.5, '16', -1]) {
      assert.throws(
        () => new Sessions({ redis: { cluster: cluster.urls, shards } }),
        { name: 'TypeError', message: 'options.redis.shards must be an integer from 1 to 64' },
        String(shards),
      );
    }
  });
});

describe('Sessions on a Redis Cluster', () => {
  test('apps land on every master, and each answers through any node given', async () => {
    const namespace = `spread${++namespaces}`;
    // Through one node only: the client finds the others.
    const s = make({ namespace, redis: { cluster: [cluster.urls[1]] } });
    const apps = Array.from({ length: 12 }, (_, i) => `app${String(i).padStart(2, '0')}`);
    const tokens = [];
    for (const app of apps) tokens.push((await s.create({ app, id: 'ann', ip: '::1', d: { app } })).token);
    for (const node of cluster.nodes) {
      const keys = await node.command('KEYS', `${namespace}:*`);
      assert.ok(keys.some((k) => k.includes(':s:')), `node ${node.port} holds sessions of some apps`);
    }
    for (const [i, app] of apps.entries()) {
      const got = await s.set({ app, token: tokens[i], d: { n: i } });
      assert.deepEqual([got.w, got.d], [2, { app, n: i }]);
      assert.deepEqual(await s.activity({ app, dt: 600 }), { activity: 1 });
    }
    assert.deepEqual(await s.killall({ app: apps[0] }), { kill: 1 });
    assert.equal(await s.get({ app: apps[0], token: tokens[0] }), null);
    assert.equal((await s.get({ app: apps[1], token: tokens[1] })).id, 'ann');
  });

  test('no lost updates: 2 processes × 300 concurrent sets of distinct keys on one session', async () => {
    const namespace = `crace${++namespaces}`;
    await probeLostUpdates({
      sessions: make({ namespace }),
      cwd: packageDir,
      open: `import { Sessions } from 'session-core';
             const s = new Sessions({ redis: { cluster: JSON.parse(ARGS[0]) }, namespace: ARGS[1], wipe: 0 });`,
      args: [JSON.stringify(cluster.urls), namespace],
    });
  });

  test('bad cluster settings are a TypeError naming the field, at construction', () => {
    const cases = [
      [{ cluster: [] }, /^options\.redis\.cluster must be a non-empty array of node URLs/],
      [{ cluster: 'redis://127.0.0.1:7000' }, /^options\.redis\.cluster must be a non-empty array/],
      [{ cluster: ['redis://127.0.0.1:7000', 'not a url'] }, /^options\.redis\.cluster\[1\] must be a Redis URL.*"not a url"/],
      [{ cluster: ['http://127.0.0.1:7000'] }, /^options\.redis\.cluster\[0\] must be a Redis URL/],
      [{ cluster: [7000] }, /^options\.redis\.cluster\[0\] must be a Redis URL/],
      [{ cluster: cluster.urls, url: cluster.urls[0] }, /^options\.redis\.url and options\.redis\.cluster cannot both be given/],
      [{ cluster: cluster.urls, password: '' }, /^options\.redis\.password must be a non-empty string/],
    ];
    for (const [redis, message] of cases) {
      assert.throws(() => new Sessions({ redis }), { name: 'TypeError', message }, JSON.stringify(redis));
    }
  });

  test('an unreachable cluster is a storeError naming its nodes; the next call tries again', async () => {
    const s = make({ redis: { cluster: ['redis://127.0.0.1:1', 'redis://127.0.0.1:2'] } });
    await assert.rejects(s.create({ app: 'shop', id: 'ann', ip: '::1' }), (e) => {
      assert.equal(e.name, 'storeError');
      assert.match(e.message, /the Redis Cluster at 127\.0\.0\.1:1, 127\.0\.0\.1:2/);
      return true;
    });
    // Bad input is still reported first, without a connection.
    await assert.rejects(s.get({ app: 'shop' }), { name: 'missingParameter' });
  });

  test('credentials apply to every node: an ACL user logs in through options.redis.username/password', async () => {
    for (const node of cluster.nodes) {
      await node.command('ACL', 'SETUSER', 'clusterapp', 'on', '>cluster-pass', '~*', '&*', '+@all');
    }
    const namespace = `acl${++namespaces}`;
    const s = make({ namespace, redis: { cluster: cluster.urls, username: 'clusterapp', password: 'cluster-pass' } });
    const { token } = await s.create({ app: 'shop', id: 'ann', ip: '::1' });
    assert.equal((await s.get({ app: 'shop', token })).id, 'ann');
    const wrong = make({ namespace, redis: { cluster: cluster.urls, username: 'clusterapp', password: 'not-the-pass-42' } });
    await assert.rejects(wrong.get({ app: 'shop', token }), (e) => {
      assert.equal(e.name, 'storeError');
      assert.match(e.message, /the Redis Cluster at .*: it refused the credentials of user "clusterapp"/);
      assert.ok(!e.message.includes('not-the-pass-42'), 'the password is not in the message');
      return true;
    });
  });
});

describe('session-core/redis-sessions on a Redis Cluster (the `cluster` option)', () => {
  test('nodes as { host, port } or URLs; sessions shared between both', async () => {
    const namespace = `rsc${++namespaces}`;
    const byHost = new RedisSessions({ namespace, wipe: 0, cluster: cluster.nodes.map((n) => ({ host: '127.0.0.1', port: n.port })) });
    const byUrl = new RedisSessions({ namespace, wipe: 0, cluster: cluster.urls });
    opened.push(byHost, byUrl);
    const { token } = await byHost.create({ app: 'shop', id: 'ann', ip: '10.0.0.1', ttl: 3600 });
    await byUrl.set({ app: 'shop', token, d: { cart: 2 } });
    const got = await byHost.get({ app: 'shop', token });
    assert.deepEqual([got.id, got.w, got.d], ['ann', 2, { cart: 2 }]);
    assert.deepEqual(await byUrl.soid({ app: 'shop', id: 'ann' }).then((r) => r.sessions.length), 1);
    assert.deepEqual(await byUrl.kill({ app: 'shop', token }), { kill: 1 });
    assert.equal(await byHost.get({ app: 'shop', token }), null);
  });

  test('its cache is evicted in every process through the channel, on a cluster too', async () => {
    const namespace = `rscache${++namespaces}`;
    const a = new RedisSessions({ namespace, wipe: 0, cachetime: 60, cluster: cluster.urls });
    const b = new RedisSessions({ namespace, wipe: 0, cachetime: 60, cluster: [...cluster.urls].reverse() });
    opened.push(a, b);
    const { token } = await a.create({ app: 'shop', id: 'ann', ip: '10.0.0.1' });
    assert.equal((await b.get({ app: 'shop', token })).id, 'ann', 'b caches the session');
    await a.kill({ app: 'shop', token });
    // The eviction travels by pub/sub: b's cached copy goes once the message is in.
    const deadline = Date.now() + 10_000;
    while ((await b.get({ app: 'shop', token })) !== null) {
      assert.ok(Date.now() < deadline, 'b still answers the killed session from its cache');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  });

  test('with `shards: 16`, one app spreads over every master', async () => {
    const namespace = `rsk${++namespaces}`;
    const rs = new RedisSessions({ namespace, wipe: 0, cluster: cluster.urls, shards: 16 });
    opened.push(rs);
    const tokens = [];
    for (let i = 0; i < 40; i++) tokens.push((await rs.create({ app: 'shop', id: `u${i}`, ip: '::1', ttl: 3600 })).token);
    for (const node of cluster.nodes) {
      const keys = await node.command('KEYS', `${namespace}:{shop:*}:s:*`);
      assert.ok(keys.length > 0, `node ${node.port} holds some of the app's sessions`);
    }
    assert.deepEqual(await rs.activity({ app: 'shop', deltaTime: 600 }), { activity: 40 });
    assert.equal((await rs.get({ app: 'shop', token: tokens[3] })).id, 'u3');
    for (const shards of [0, 65, '8']) {
      assert.throws(() => new RedisSessions({ cluster: cluster.urls, shards }), {
        name: 'TypeError',
        message: 'shards must be an integer from 1 to 64',
      });
    }
  });

  test('a bad cluster option is a TypeError naming it', () => {
    for (const [cluster, message] of [
      [[], /^cluster must be a non-empty array/],
      ['127.0.0.1:7000', /^cluster must be a non-empty array/],
      [[{ host: '127.0.0.1' }], /^cluster\[0\] must be a node URL or \{ host, port \}/],
      [['redis://127.0.0.1:7000', 42], /^cluster\[1\] must be a node URL or \{ host, port \}/],
    ]) {
      assert.throws(() => new RedisSessions({ cluster }), { name: 'TypeError', message }, JSON.stringify(cluster));
    }
  });
});
