// DurableObjectStore's logic under Node, on an in-memory stand-in for the object's storage:
// the conformance vectors through it, the store-interface suite, and its all-or-nothing rule.
// (The real storage, inside workerd, is worker.test.mjs.)
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DurableObjectStore, Sessions } from 'session-core-wasm';
import { runVectors } from '../../tests/js/vectors.mjs';
import { MemoryStorage } from './memory-storage.mjs';

runVectors('wasm, DurableObjectStore (in-memory storage)', (clock) =>
  new Sessions({ clock, wipe: 0, store: new DurableObjectStore(new MemoryStorage()) }),
);

test('a batch whose expectation fails changes nothing', async () => {
  const storage = new MemoryStorage();
  const store = new DurableObjectStore(storage);
  await store.apply([{ op: 'put', key: 'a', value: 'eA==', ttlMs: 1000, expect: 'absent' }]);
  const before = new Map(storage.map);
  const r = await store.apply([
    { op: 'zadd', key: 'z', member: 'm', score: 5 },
    { op: 'put', key: 'a', value: 'eQ==', ttlMs: 1000, expect: 'absent' },
  ]);
  assert.deepEqual(r, { conflict: true });
  assert.deepEqual(storage.map, before);
  assert.deepEqual(await store.apply([{ op: 'get', key: 'a' }]), [{ value: 'eA==', version: 1 }]);
});

test('sorted sets order by score, then member, both ways, with limits', async () => {
  const store = new DurableObjectStore(new MemoryStorage());
  const adds = [['b', 20], ['a', 20], ['c', 5], ['ü', 20], ['d', 9007199254740991]];
  await store.apply(adds.map(([member, score]) => ({ op: 'zadd', key: 'k', member, score })));
  await store.apply([{ op: 'zadd', key: 'k', member: 'c', score: 30 }]); // moves c
  const range = (min, max, limit, rev) => store.apply([{ op: 'zrange', key: 'k', min, max, limit, rev }]);
  assert.deepEqual(await range(0, 9007199254740991, null, false), [
    [['a', 20], ['b', 20], ['ü', 20], ['c', 30], ['d', 9007199254740991]],
  ]);
  assert.deepEqual(await range(20, 30, 2, true), [[['c', 30], ['ü', 20]]]);
  assert.deepEqual(await store.apply([{ op: 'zcount', key: 'k', min: 20, max: 20 }]), [3]);
  assert.deepEqual(await store.apply([{ op: 'zcount', key: 'kk', min: 0, max: 99 }]), [0]);
  assert.deepEqual(await store.apply([{ op: 'zrem', key: 'k', member: 'a' }, { op: 'zrem', key: 'k', member: 'a' }]), [true, false]);
  assert.deepEqual(
    await store.apply([
      { op: 'zremIfEmpty', key: 'k', member: 'b', watched: 'k' },
      { op: 'zremIfEmpty', key: 'k', member: 'b', watched: 'none' },
    ]),
    [false, true],
  );
});

test('a batch sees its own writes, and writes them all at once at the end', async () => {
  const storage = new MemoryStorage();
  const store = new DurableObjectStore(storage);
  await store.apply([{ op: 'zadd', key: 'k', member: 'a', score: 1 }]);
  let writes = 0;
  const put = storage.put.bind(storage);
  storage.put = (...args) => {
    writes++;
    return put(...args);
  };
  const replies = await store.apply([
    { op: 'zadd', key: 'k', member: 'b', score: 2 },
    { op: 'zrem', key: 'k', member: 'a' },
    { op: 'zrange', key: 'k', min: 0, max: 10, limit: 1, rev: false },
    { op: 'put', key: 'r', value: 'eA==', ttlMs: 1, expect: 'absent' },
    { op: 'get', key: 'r' },
    { op: 'zcount', key: 'k', min: 0, max: 10 },
  ]);
  assert.deepEqual(replies, [true, true, [['b', 2]], true, { value: 'eA==', version: 1 }, 1]);
  assert.equal(writes, 1, 'one put(entries) call for the whole batch');
});
