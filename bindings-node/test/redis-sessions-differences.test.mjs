// The differences from redis-sessions 4.0.0 that session-core/redis-sessions keeps on purpose,
// as bindings-node/README.md lists them ("Switching from redis-sessions"), each shown side by
// side on real redis-servers: if one of these tests fails, the README's list is wrong.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { Pair } from './redis-sessions-pair.mjs';

const APP = 'myapp';
const pairs = [];
after(async () => {
  for (const p of pairs) await p.close();
  await Pair.closeServers();
});

async function pair(options = { wipe: 0 }) {
  const p = await Pair.open(options);
  pairs.push(p);
  return p;
}

describe('the differences the README lists, as they are', () => {
  test('time in milliseconds: a session lives exactly ttl seconds; redis-sessions counts whole seconds', async () => {
    const p = await pair();
    await p.same('create', { app: APP, id: 'u', ip: '::1', ttl: 10 }, 'a');
    await p.advance(10);
    const { ref, dut } = await p.both('get', { app: APP, token: '@a' });
    assert.equal(ref.result.idle, 10, 'redis-sessions: alive while idle <= ttl');
    assert.equal(dut.result, null, 'the drop-in: expired ttl seconds after the last access');
  });

  test('idle: redis-sessions moves its reference only after more than a second', async () => {
    const p = await pair();
    await p.same('create', { app: APP, id: 'u', ip: '::1' }, 'a');
    await p.advance(1);
    await p.same('get', { app: APP, token: '@a' });
    await p.advance(2);
    const { ref, dut } = await p.both('get', { app: APP, token: '@a' });
    assert.deepStrictEqual([ref.result.idle, dut.result.idle], [3, 2]);
  });

  test('the keys of d come back in code-point order', async () => {
    const p = await pair();
    await p.same('create', { app: APP, id: 'u', ip: '::1', d: { z: 1, a: 2 } }, 'a');
    const { ref, dut } = await p.both('get', { app: APP, token: '@a' });
    assert.deepStrictEqual(ref.result.d, dut.result.d);
    assert.deepStrictEqual([Object.keys(ref.result.d), Object.keys(dut.result.d)], [['z', 'a'], ['a', 'z']]);
  });

  test("session-core's limits: redis-sessions takes what the drop-in refuses", async () => {
    const p = await pair();
    const cases = [
      [{ app: APP, id: 'u'.repeat(129), ip: '::1' }, 'invalidFormat', 'Invalid id format'],
      [{ app: APP, id: 'tab\there', ip: '::1' }, 'invalidFormat', 'Invalid id format'],
      [{ app: APP, id: 'u', ip: '::1\t' }, 'invalidFormat', 'Invalid ip format'],
      [{ app: APP, id: 'u', ip: '::1', ttl: 31_536_001 }, 'invalidValue', 'ttl must be at most 31536000'],
      [{ app: APP, id: 'u', ip: '::1', d: { big: 'x'.repeat(70_000) } }, 'tooLarge', 'd is too large: 70010 bytes, the limit is 65536'],
    ];
    for (const [input, name, message] of cases) {
      const { ref, dut } = await p.both('create', input);
      assert.equal(typeof ref.result?.token, 'string', `redis-sessions takes ${JSON.stringify(input).slice(0, 60)}`);
      assert.deepStrictEqual([dut.error.constructor, dut.error.name, dut.error.message], [Error, name, message]);
      assert.deepStrictEqual(Object.getOwnPropertyNames(dut.error).sort(), ['message', 'name', 'stack']);
    }
  });

  test('ttl: a fraction is cut, and 0 is the default (redis-sessions keeps 10.5 and 0 as given)', async () => {
    const p = await pair();
    await p.same('create', { app: APP, id: 'u', ip: '::1', ttl: 10.5 }, 'a');
    await p.same('create', { app: APP, id: 'u', ip: '::1', ttl: 0 }, 'b');
    const a = await p.both('get', { app: APP, token: '@a' });
    const b = await p.both('get', { app: APP, token: '@b' });
    assert.deepStrictEqual([a.ref.result.ttl, a.dut.result.ttl], [10.5, 10]);
    assert.deepStrictEqual([b.ref.result.ttl, b.dut.result.ttl], [0, 7200]);
  });

  test('a number in d that is not finite: redis-sessions keeps the key, with null; the drop-in drops it', async () => {
    const p = await pair();
    await p.same('create', { app: APP, id: 'u', ip: '::1', d: { a: 1 } }, 'a');
    await p.same('set', { app: APP, token: '@a', d: { n: Number.NaN } });
    const { ref, dut } = await p.both('get', { app: APP, token: '@a' });
    assert.deepStrictEqual([ref.result.d, dut.result.d], [{ a: 1, n: null }, { a: 1 }]);
  });

  test('killsoid with a number as id: redis-sessions ends the sessions, then fails', async () => {
    const p = await pair();
    await p.same('create', { app: APP, id: '7', ip: '::1' }, 'a');
    const { ref, dut } = await p.both('killsoid', { app: APP, id: 7 });
    assert.equal(ref.error.message, 'Invalid argument type');
    assert.deepStrictEqual(dut.result, { kill: 1 });
    await p.same('get', { app: APP, token: '@a' });
  });

  test('no lost updates: concurrent sets of different keys all land', async () => {
    const p = await pair();
    await p.same('create', { app: APP, id: 'u', ip: '::1' }, 'a');
    const sets = (side) =>
      Promise.all(
        Array.from({ length: 20 }, (_, i) => p[side].set({ app: APP, token: p.tokens[side].a, d: { [`k${i}`]: i } })),
      );
    await sets('ref');
    await sets('dut');
    const { ref, dut } = await p.both('get', { app: APP, token: '@a' });
    assert.equal(Object.keys(dut.result.d).length, 20);
    assert.ok(Object.keys(ref.result.d).length < 20, 'redis-sessions rewrites the d it read: updates are lost');
  });
});
