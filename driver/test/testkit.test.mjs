// The store kit (session-core/testkit, session-core-wasm/testkit): it passes on the reference
// stores, its bundle of vectors is tests/vectors as they are, and it fails stores that break
// the contract, each in the check that names the broken rule.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { compareMembers, MapStore } from 'session-core-driver';
import { MAX_BATCH, runStoreKit, storeKit } from 'session-core/testkit';
import { storeKit as wasmStoreKit } from 'session-core-wasm/testkit';
import { VECTORS } from 'session-core-driver/testkit';

class AsyncMapStore extends MapStore {
  async apply(batch) {
    await null;
    return super.apply(batch);
  }
}

storeKit({ name: 'MapStore (napi)', makeStore: () => new MapStore() });
wasmStoreKit({ name: 'async MapStore (wasm)', makeStore: () => new AsyncMapStore(), seeds: [5, 6] });

describe('the store kit', () => {
  test('its vectors are the files of tests/vectors, as they are now', () => {
    const dir = new URL('../../tests/vectors/', import.meta.url);
    const files = readdirSync(dir).filter((f) => f.endsWith('.json')).sort();
    assert.deepEqual(VECTORS.map((v) => v.file), files);
    for (const v of VECTORS) {
      assert.deepEqual(v, { file: v.file, ...JSON.parse(readFileSync(new URL(v.file, dir), 'utf8')) }, `${v.file} is bundled as it is`);
    }
    assert.equal(MAX_BATCH, 50_000);
  });

  // Broken stores, each a MapStore with one rule broken, and the check that must catch it.
  const broken = [
    ['a store that ignores expectations', 'expectations', class extends MapStore {
      apply(batch) {
        return super.apply(batch.map((c) => (c.expect === undefined ? c : { ...c, expect: 'any' })));
      }
    }],
    ['a store that applies the commands before a failed expectation', 'all or nothing', class extends MapStore {
      apply(batch) {
        const out = [];
        for (const c of batch) {
          const r = super.apply([c]);
          if (!Array.isArray(r)) return r;
          out.push(r[0]);
        }
        return out;
      }
    }],
    ['a store that orders ties by UTF-16 code units', 'ties by member code points', class extends MapStore {
      apply(batch) {
        const replies = super.apply(batch);
        if (!Array.isArray(replies)) return replies;
        return replies.map((r, i) => {
          if (batch[i].op !== 'zrange') return r;
          const utf16 = [...r].sort((x, y) => x[1] - y[1] || (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0));
          return batch[i].rev ? utf16.reverse() : utf16;
        });
      }
    }],
    ['a store that refuses batches of more than 10,000 commands', 'the largest batch', class extends MapStore {
      apply(batch) {
        if (batch.length > 10_000) throw new Error('batch too large');
        return super.apply(batch);
      }
    }],
    ['a store that keeps scores as 32-bit floats', 'scores', class extends MapStore {
      apply(batch) {
        return super.apply(batch.map((c) => (c.op === 'zadd' ? { ...c, score: Math.fround(c.score) } : c)));
      }
    }],
    ['a store that keeps emptied sorted sets (zremIfEmpty then sees them)', 'zremIfEmpty', class extends MapStore {
      #ever = new Set();

      apply(batch) {
        // Wrong on purpose: a watched set that ever had members counts as not empty.
        const stale = new Set();
        const sent = batch.map((c, i) => {
          if (c.op === 'zadd') this.#ever.add(c.key);
          if (c.op !== 'zremIfEmpty' || !this.#ever.has(c.watched)) return c;
          stale.add(i);
          return { op: 'zcount', key: c.key, min: 1, max: 0 };
        });
        const replies = super.apply(sent);
        return Array.isArray(replies) ? replies.map((r, i) => (stale.has(i) ? false : r)) : replies;
      }
    }],
  ];

  for (const [what, check, Store] of broken) {
    test(`fails ${what}, in the check of ${check}`, async () => {
      const { passed, failed } = await runStoreKit({ name: what, makeStore: () => new Store(), seeds: [1], steps: 50 });
      assert.ok(passed.length > 0, 'other checks pass');
      const names = failed.map((f) => f.name);
      assert.ok(names.some((n) => n.includes(check)), `a failed check names "${check}": ${names.join(' | ')}`);
      for (const f of failed) assert.ok(f.error instanceof Error, `${f.name}: a real error`);
    });
  }

  test('the engine never puts two conditional writes of one record in a batch', async () => {
    // The PostgreSQL store (and any store that checks each expectation as its command runs)
    // relies on it: checking them one by one is then the same as checking them all first.
    let batches = 0;
    class Watching extends MapStore {
      apply(batch) {
        batches++;
        const seen = new Set();
        for (const c of batch) {
          if ((c.op === 'put' || c.op === 'delete') && c.expect !== 'any') {
            assert.ok(!seen.has(c.key), `two expectations on ${c.key} in one batch`);
            seen.add(c.key);
          }
        }
        return super.apply(batch);
      }
    }
    const { failed } = await runStoreKit({ name: 'watching', makeStore: () => new Watching() });
    assert.deepEqual(failed.map((f) => `${f.name}: ${f.error.message}`), []);
    assert.ok(batches > 1_000, `the kit sent ${batches} batches`);
  });

  test('compareMembers is code-point order', () => {
    assert.deepEqual(['😀', '\uff61', 'b', 'a'].sort(compareMembers), ['a', 'b', '\uff61', '😀']);
  });
});

test('MAX_BATCH is the largest batch the engine sends: a sweep of 10,000 expired sessions', async () => {
  const { Sessions } = await import('session-core');
  let largest = 0;
  const map = new MapStore();
  const store = {
    apply(batch) {
      largest = Math.max(largest, batch.length);
      return map.apply(batch);
    },
  };
  let now = 1_700_000_000_000;
  const sessions = new Sessions({ store, clock: () => now, wipe: 0 });
  for (let i = 0; i < 10_000; i++) await sessions.create({ app: 'big', id: `user${i}`, ip: '::1', ttl: 10 });
  now += 11_000;
  largest = 0;
  assert.deepEqual(await sessions.sweep({ app: 'big', limit: 10_000 }), { swept: 10_000, more: false });
  assert.equal(largest, MAX_BATCH);
});
