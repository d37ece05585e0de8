// The JS-store loop awaits whatever a store's apply returns that is a thenable, a callable
// one included (a Durable Object RPC call returns a function with `then`).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MapStore } from 'session-core-driver';
import { Sessions } from 'session-core';

/** A store whose apply answers a callable thenable, as an RPC stub does. */
class RpcLikeStore {
  #map = new MapStore();

  apply(batch) {
    const replies = this.#map.apply(batch);
    const call = () => {};
    call.then = (resolve, reject) => Promise.resolve(replies).then(resolve, reject);
    return call;
  }
}

test('a store answering callable thenables works', async () => {
  const s = new Sessions({ store: new RpcLikeStore(), wipe: 0 });
  const { token } = await s.create({ app: 'rpc', id: 'u1', ip: '::1', d: { a: 1 } });
  const got = await s.get({ app: 'rpc', token });
  assert.equal(got.id, 'u1');
  assert.deepEqual(got.d, { a: 1 });
});
