// The per-session queue of calls on a JS store, keyed by the machine's lock key (the handle of
// the one session an operation updates): a call that names a session by its handle waits
// behind one that names it by its token, and calls on different sessions never wait for each
// other. A store that holds its first batch until the test lets it go shows the order; no
// timing is involved.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as napi from 'session-core';
import * as wasm from 'session-core-wasm';

const turns = async (n = 20) => {
  for (let i = 0; i < n; i++) await new Promise((resolve) => setImmediate(resolve));
};

/** A MapStore whose next batch waits, after `hold()`, until `release()`; it logs each batch. */
function gatedStore(MapStore) {
  const inner = new MapStore();
  let gate = null;
  let release = null;
  return {
    batches: [],
    hold() {
      gate = new Promise((resolve) => (release = resolve));
    },
    release: () => release(),
    async apply(batch) {
      this.batches.push(batch.map((c) => `${c.op} ${c.key}`));
      if (gate !== null) {
        const g = gate;
        gate = null;
        await g;
      }
      return inner.apply(batch);
    },
  };
}

/** A settled flag for a promise. */
function watch(promise) {
  const state = { settled: false, promise };
  promise.then(() => (state.settled = true), () => (state.settled = true));
  return state;
}

for (const [label, { Sessions, MapStore }] of [['napi', napi], ['wasm', wasm]]) {
  describe(`the per-session queue (${label})`, () => {
    async function setup() {
      const store = gatedStore(MapStore);
      const s = new Sessions({ store, wipe: 0 });
      const a = await s.create({ app: 'shop', id: 'alice', ip: '::1' });
      const b = await s.create({ app: 'shop', id: 'bob', ip: '::1' });
      const handle = async (id) => (await s.soid({ app: 'shop', id })).sessions[0].handle;
      return { store, s, a, b, ha: await handle('alice'), hb: await handle('bob') };
    }

    test('kill({app, handle}) waits behind get({app, token}) on the same session', async () => {
      const { store, s, a, ha } = await setup();
      store.hold();
      const before = store.batches.length;
      const get = watch(s.get({ app: 'shop', token: a.token }));
      await turns();
      assert.equal(store.batches.length, before + 1, "get's first batch is held by the store");
      const kill = watch(s.kill({ app: 'shop', handle: ha }));
      await turns();
      assert.equal(store.batches.length, before + 1, 'kill did not reach the store: it waits behind get');
      assert.equal(kill.settled, false);
      store.release();
      const got = await get.promise;
      assert.equal(got.id, 'alice', 'get ran first and found the session');
      assert.deepEqual(await kill.promise, { kill: 1 });
      assert.equal(await s.get({ app: 'shop', token: a.token }), null, 'then kill ended it');
      const session = (b) => b.some((line) => line.includes(`:s:${ha}`));
      const order = store.batches.slice(before).map((b, i) => [i, session(b)]);
      assert.ok(order.every(([, mine]) => mine), 'every batch in between was about that session');
    });

    test('a get by token waits behind a kill by handle too', async () => {
      const { store, s, a, ha } = await setup();
      store.hold();
      const kill = watch(s.kill({ app: 'shop', handle: ha }));
      await turns();
      const get = watch(s.get({ app: 'shop', token: a.token }));
      await turns();
      assert.equal(get.settled, false);
      store.release();
      assert.deepEqual(await kill.promise, { kill: 1 });
      assert.equal(await get.promise, null, 'get ran after the kill');
    });

    test('calls on different sessions do not queue behind each other', async () => {
      const { store, s, a, b, hb } = await setup();
      store.hold();
      const get = watch(s.get({ app: 'shop', token: a.token }));
      await turns();
      assert.deepEqual(await s.kill({ app: 'shop', handle: hb }), { kill: 1 }, "bob's kill went through while alice's get was held");
      assert.equal(await s.get({ app: 'shop', token: b.token }), null);
      assert.equal(get.settled, false, "alice's get is still held");
      store.release();
      assert.equal((await get.promise).id, 'alice');
    });
  });
}
