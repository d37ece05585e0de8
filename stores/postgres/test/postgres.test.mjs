// The PostgreSQL store against a real PostgreSQL (initdb'd and started for this file, on a
// spare loopback port, stopped by pid at the end): the whole store kit of session-core, the
// concurrency probe of the Redis store (2 processes × 300 concurrent sets on one session, no
// lost update), timed sweeping of a shared store, and what the design promises: one
// statement (one round trip) per batch, whatever its size.
import assert from 'node:assert/strict';
import { after, describe, mock, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { Sessions } from 'session-core';
import { PostgresStore } from 'session-core-postgres';
import { storeKit } from 'session-core/testkit';
import { probeLostUpdates } from '../../../tests/js/lost-updates.mjs';
import { startPostgres } from '../../../tests/js/postgres-server.mjs';

const server = await startPostgres();
const pool = new pg.Pool({ connectionString: server.url, max: 8 });
// pg reports a failure of an idle client (the server shutting down after the tests) on the pool.
pool.on('error', () => {});
after(async () => {
  await pool.end();
  await server.close();
});

let tables = 0;
/** A store over tables of its own (an empty store), on the shared pool. */
const fresh = () => new PostgresStore({ pool, prefix: `t${++tables}` }).migrate();

storeKit({ name: 'PostgresStore', makeStore: fresh, cleanup: (store) => store.drop() });

describe('PostgresStore', () => {
  test('options: a pool or a connection string, and a prefix SQL takes unquoted', () => {
    assert.throws(() => new PostgresStore({}), TypeError);
    assert.throws(() => new PostgresStore({ pool, prefix: 'Robert"; DROP TABLE x' }), TypeError);
    assert.throws(() => new PostgresStore({ pool, prefix: '1abc' }), TypeError);
    assert.equal(new PostgresStore({ pool }).shared, true);
  });

  test("the test database's default collation is not byte order (the kit's tie check tests COLLATE \"C\")", async () => {
    assert.equal(server.collation, 'icu en-US');
    const { rows } = await pool.query(`SELECT 'a' < 'B' AS natural, 'a' < 'B' COLLATE "C" AS bytes`);
    assert.deepEqual(rows[0], { natural: true, bytes: false });
  });

  test('a batch is one statement (one round trip), however large; migrate() runs twice safely', async () => {
    const store = await fresh();
    await store.migrate();
    let statements = 0;
    const counting = new PostgresStore({
      pool: { query: (...args) => (statements++, pool.query(...args)), connect: () => pool.connect(), end: async () => {} },
      prefix: `t${tables}`,
    });
    const big = Array.from({ length: 40_000 }, (_, i) => ({ op: 'zadd', key: 'rs:{big}:_expiry', member: `m${i}`, score: i }));
    const replies = await counting.apply(big);
    assert.equal(replies.length, 40_000);
    assert.deepEqual(await counting.apply([{ op: 'zcount', key: 'rs:{big}:_expiry', min: 0, max: Number.MAX_SAFE_INTEGER }]), [40_000]);
    assert.equal(statements, 2, 'two batches, two statements');
    await store.drop();
  });

  test('Sessions over PostgreSQL: ping, the API, and quit() closing the pool the store opened', async () => {
    const store = await new PostgresStore({ connectionString: server.url, prefix: `t${++tables}`, max: 2 }).migrate();
    const sessions = new Sessions({ store, wipe: 0 });
    assert.equal(await sessions.ping(), 'PONG');
    const { token } = await sessions.create({ app: 'shop', id: 'u1', ip: '::1', d: { cart: 3 } });
    assert.deepEqual((await sessions.set({ app: 'shop', token, d: { cart: 4 } })).d, { cart: 4 });
    assert.equal((await sessions.soid({ app: 'shop', id: 'u1' })).sessions.length, 1);
    await store.drop();
    await sessions.quit();
    await sessions.quit(); // twice is fine
    await assert.rejects(sessions.ping(), { name: 'storeError' });
  });

  test('a shared store: Sessions sweeps it on a timer (every wipe seconds), not inside calls', async () => {
    mock.timers.enable({ apis: ['setInterval'] });
    try {
      let now = 1_700_000_000_000;
      const store = await fresh();
      const sessions = new Sessions({ store, clock: () => now, wipe: 30 });
      const expired = [];
      sessions.on('expired', (e) => expired.push(e.id));
      for (let i = 0; i < 3; i++) await sessions.create({ app: 'shop', id: `idle${i}`, ip: '::1', ttl: 10 });
      now += 3_600_000;
      for (let i = 0; i < 5; i++) await sessions.activity({ app: 'shop', dt: 60 });
      assert.deepEqual(expired, [], 'calls do not sweep a shared store');
      assert.deepEqual(await sessions.sweep({ limit: 0 }), { swept: 0, more: true }, 'the probe sees the backlog');
      mock.timers.tick(30_000);
      const deadline = Date.now() + 10_000;
      while (expired.length < 3 && Date.now() < deadline) await new Promise((resolve) => setImmediate(resolve));
      assert.deepEqual(expired.sort(), ['idle0', 'idle1', 'idle2'], 'the timed sweep removed them');
      assert.deepEqual(await sessions.sweep({ limit: 0 }), { swept: 0, more: false });
      await sessions.quit();
      await store.drop();
    } finally {
      mock.timers.reset();
    }
  });

  test('no lost updates: 2 processes × 300 concurrent sets of distinct keys on one session', async () => {
    const prefix = `t${++tables}`;
    const store = await new PostgresStore({ pool, prefix }).migrate();
    await probeLostUpdates({
      sessions: new Sessions({ store, wipe: 0 }),
      cwd: fileURLToPath(new URL('..', import.meta.url)),
      open: `import { Sessions } from 'session-core';
             import { PostgresStore } from 'session-core-postgres';
             const store = new PostgresStore({ connectionString: ARGS[0], prefix: ARGS[1], max: 4 });
             const s = new Sessions({ store, wipe: 0 });`,
      args: [server.url, prefix],
    });
    await store.drop();
  });
});
