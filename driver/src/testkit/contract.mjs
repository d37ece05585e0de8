// The store contract, checked straight on `apply(batch)`: each check sends batches in the
// wire format (the core's wire.rs) and compares the replies with what the contract says (and
// with MapStore, the reference, where the reply is not fixed by the contract alone). These are
// the rules of the core's store.rs docs and of the README's store section.
import { deepStrictEqual, equal, fail, ok } from 'node:assert';
import { compareMembers, MapStore } from '../map-store.mjs';

/** The largest batch a store must accept (the core's `store::MAX_BATCH`). */
export const MAX_BATCH = 50_000;
/** The largest score (and the bound that means "no bound"): 2^53 − 1. */
export const MAX_SCORE = Number.MAX_SAFE_INTEGER;

const NS = 'kit';
const key = (app, rest) => `${NS}:{${app}}:${rest}`;
const rec = (app, h) => key(app, `s:${h}`);
const B64 = (s) => Buffer.from(s).toString('base64');

/** Applies a batch (sync or async store); a reply that is neither an array nor a conflict fails. */
async function apply(store, batch) {
  const replies = await store.apply(batch);
  if (Array.isArray(replies)) {
    equal(replies.length, batch.length, 'one reply per command');
    return replies;
  }
  deepStrictEqual(replies, { conflict: true }, 'a batch answers its replies or {conflict: true}');
  return replies;
}

const isConflict = (r) => !Array.isArray(r) && r?.conflict === true;

/** A batch applied to the store and to MapStore: replies of reads compared, versions apart. */
async function same(store, reference, batch, what) {
  const got = await apply(store, batch);
  const want = reference.apply(batch);
  if (isConflict(want)) {
    ok(isConflict(got), `${what}: the store applied a batch that must conflict`);
    return got;
  }
  ok(Array.isArray(got), `${what}: the store answered conflict where MapStore applied the batch`);
  batch.forEach((c, i) => {
    if (c.op === 'put' || c.op === 'zadd') return; // replies ignored by the core
    const strip = (r) => (c.op === 'get' && r !== null && typeof r === 'object' ? { value: r.value } : r);
    deepStrictEqual(strip(got[i]), strip(want[i]), `${what}: reply ${i} to ${JSON.stringify(c).slice(0, 200)}`);
  });
  return got;
}

/** A version as the contract wants it: a positive safe integer. */
function version(r, what) {
  ok(r !== null && typeof r === 'object', `${what}: a record`);
  ok(Number.isSafeInteger(r.version) && r.version > 0, `${what}: the version is a positive integer (${r.version})`);
  return r.version;
}

const members = (n, prefix = 'm') => Array.from({ length: n }, (_, i) => `${prefix}${String(i).padStart(6, '0')}`);

/** The checks: `[name, async (store) => {}]`, each on a fresh store. */
export const CONTRACT = [
  [
    'records: versions start positive and grow with every put; get reads value and version',
    async (store) => {
      const k = rec('app1', 'AAAAAAAAAAAAAAAAAAAAAA');
      const [missing] = await apply(store, [{ op: 'get', key: k, cached: false }]);
      equal(missing, null, 'get of a missing record answers null');
      await apply(store, [{ op: 'put', key: k, value: B64('one'), ttlMs: 60_000, expect: 'absent' }]);
      const [first] = await apply(store, [{ op: 'get', key: k, cached: false }]);
      equal(first.value, B64('one'));
      let last = version(first, 'after the first put');
      for (const [i, expect] of ['any', 'version'].entries()) {
        const e = expect === 'version' ? last : 'any';
        await apply(store, [{ op: 'put', key: k, value: B64(`v${i}`), ttlMs: 1, expect: e }]);
        const [r] = await apply(store, [{ op: 'get', key: k, cached: true }]);
        equal(r.value, B64(`v${i}`));
        ok(version(r, 'after a put') > last, 'a put over a record increases its version');
        last = r.version;
      }
    },
  ],
  [
    'expectations: absent, a version and any, on put and delete',
    async (store) => {
      const k = rec('app1', 'BBBBBBBBBBBBBBBBBBBBBA');
      ok(isConflict(await apply(store, [{ op: 'put', key: k, value: 'AA==', ttlMs: 1000, expect: 7 }])), 'put expecting a version of a missing record conflicts');
      ok(isConflict(await apply(store, [{ op: 'delete', key: k, expect: 1 }])), 'delete expecting a version of a missing record conflicts');
      deepStrictEqual(await apply(store, [{ op: 'delete', key: k, expect: 'absent' }]), [false], 'delete expecting absent of a missing record');
      deepStrictEqual(await apply(store, [{ op: 'delete', key: k, expect: 'any' }]), [false]);
      await apply(store, [{ op: 'put', key: k, value: 'AA==', ttlMs: 1000, expect: 'absent' }]);
      const v = version((await apply(store, [{ op: 'get', key: k, cached: false }]))[0], 'created');
      ok(isConflict(await apply(store, [{ op: 'put', key: k, value: 'AQ==', ttlMs: 1000, expect: 'absent' }])), 'put expecting absent of an existing record conflicts');
      ok(isConflict(await apply(store, [{ op: 'put', key: k, value: 'AQ==', ttlMs: 1000, expect: v + 1 }])), 'put expecting another version conflicts');
      ok(isConflict(await apply(store, [{ op: 'delete', key: k, expect: 'absent' }])), 'delete expecting absent of an existing record conflicts');
      ok(isConflict(await apply(store, [{ op: 'delete', key: k, expect: v + 1 }])), 'delete expecting another version conflicts');
      const [r] = await apply(store, [{ op: 'get', key: k, cached: false }]);
      deepStrictEqual({ value: r.value, version: r.version }, { value: 'AA==', version: v }, 'conflicts changed nothing');
      deepStrictEqual(await apply(store, [{ op: 'delete', key: k, expect: v }]), [true], 'delete at its version');
      deepStrictEqual(await apply(store, [{ op: 'get', key: k, cached: false }]), [null]);
    },
  ],
  [
    'all or nothing: one failed expectation anywhere in a batch applies none of it',
    async (store) => {
      const reference = new MapStore();
      const a = rec('app1', 'CCCCCCCCCCCCCCCCCCCCCA');
      const b = rec('app1', 'CCCCCCCCCCCCCCCCCCCCCQ');
      const z = key('app1', '_expiry');
      const setup = [
        { op: 'put', key: a, value: B64('a'), ttlMs: 1000, expect: 'absent' },
        { op: 'zadd', key: z, member: 'CCCCCCCCCCCCCCCCCCCCCA', score: 5 },
      ];
      await same(store, reference, setup, 'setup');
      const va = version((await apply(store, [{ op: 'get', key: a, cached: false }]))[0], 'a');
      const failing = [
        // the last command fails
        [
          { op: 'zadd', key: z, member: 'x', score: 1 },
          { op: 'put', key: b, value: B64('b'), ttlMs: 1000, expect: 'absent' },
          { op: 'zrem', key: z, member: 'CCCCCCCCCCCCCCCCCCCCCA' },
          { op: 'delete', key: a, expect: va + 5 },
        ],
        // the first command fails
        [
          { op: 'put', key: b, value: B64('b'), ttlMs: 1000, expect: 3 },
          { op: 'delete', key: a, expect: va },
          { op: 'zadd', key: z, member: 'y', score: 2 },
        ],
        // one in the middle fails
        [
          { op: 'put', key: a, value: B64('a2'), ttlMs: 1000, expect: va },
          { op: 'delete', key: b, expect: 1 },
          { op: 'zremIfEmpty', key: z, member: 'CCCCCCCCCCCCCCCCCCCCCA', watched: key('app1', 'us:nobody') },
        ],
      ];
      for (const [i, batch] of failing.entries()) {
        ok(isConflict(await apply(store, batch)), `failing batch ${i} conflicts`);
        await same(store, reference, [
          { op: 'get', key: a, cached: false },
          { op: 'get', key: b, cached: false },
          { op: 'zrange', key: z, min: 0, max: MAX_SCORE, limit: null, rev: false },
        ], `after failing batch ${i}: nothing changed`);
        const [r] = await apply(store, [{ op: 'get', key: a, cached: false }]);
        equal(r.version, va, `after failing batch ${i}: the version did not move`);
      }
    },
  ],
  [
    'order: each command sees the effects of the ones before it in the batch',
    async (store) => {
      const reference = new MapStore();
      const k = rec('app2', 'DDDDDDDDDDDDDDDDDDDDDA');
      const z = key('app2', 'us:u1');
      await same(store, reference, [
        { op: 'get', key: k, cached: false },
        { op: 'put', key: k, value: B64('x'), ttlMs: 1000, expect: 'absent' },
        { op: 'get', key: k, cached: false },
        { op: 'zadd', key: z, member: 'DDDDDDDDDDDDDDDDDDDDDA', score: 10 },
        { op: 'zcount', key: z, min: 0, max: MAX_SCORE },
        { op: 'zadd', key: z, member: 'DDDDDDDDDDDDDDDDDDDDDA', score: 20 },
        { op: 'zrange', key: z, min: 0, max: MAX_SCORE, limit: null, rev: false },
        { op: 'zrem', key: z, member: 'DDDDDDDDDDDDDDDDDDDDDA' },
        { op: 'zrem', key: z, member: 'DDDDDDDDDDDDDDDDDDDDDA' },
        { op: 'zcount', key: z, min: 0, max: MAX_SCORE },
        { op: 'delete', key: k, expect: 'any' },
        { op: 'get', key: k, cached: false },
        { op: 'delete', key: k, expect: 'any' },
      ], 'one batch');
    },
  ],
  [
    'sorted sets: zrange orders by score, ties by member code points, with rev, limit and inclusive bounds',
    async (store) => {
      const reference = new MapStore();
      const z = key('app3', '_users');
      // Code-point order differs from UTF-16 order for characters beyond U+FFFF.
      const tied = ['b', 'B', 'a', 'ab', 'a b', 'é', 'z', '\uff61', '😀', '𝒜', 'user@example.com', '42', '-_'];
      const batch = tied.map((member) => ({ op: 'zadd', key: z, member, score: 500 }));
      batch.push({ op: 'zadd', key: z, member: 'low', score: 0 }, { op: 'zadd', key: z, member: 'high', score: 1000 });
      batch.push({ op: 'zadd', key: z, member: 'z', score: 500 }); // again: the same score, no duplicate
      await same(store, reference, batch, 'zadd');
      const ranges = [];
      for (const rev of [false, true]) {
        for (const [min, max] of [[0, MAX_SCORE], [500, 500], [1, 999], [0, 499], [501, 1000], [1001, MAX_SCORE]]) {
          for (const limit of [null, 1, 3, 100]) ranges.push({ op: 'zrange', key: z, min, max, limit, rev });
        }
      }
      const got = await same(store, reference, ranges, 'zrange');
      const ascending = got[0].map(([m]) => m);
      deepStrictEqual(ascending, ['low', ...[...new Set(tied)].sort(compareMembers), 'high'], 'ties in code-point order');
      await same(store, reference, [
        { op: 'zcount', key: z, min: 500, max: 500 },
        { op: 'zcount', key: z, min: 0, max: MAX_SCORE },
        { op: 'zcount', key: z, min: 1001, max: MAX_SCORE },
        { op: 'zcount', key: key('app3', 'none'), min: 0, max: MAX_SCORE },
        { op: 'zrange', key: key('app3', 'none'), min: 0, max: MAX_SCORE, limit: null, rev: false },
      ], 'zcount');
    },
  ],
  [
    'zremIfEmpty removes only while the watched set has no members, even one emptied in the same batch',
    async (store) => {
      const reference = new MapStore();
      const users = key('app4', '_users');
      const watched = key('app4', 'us:u1');
      await same(store, reference, [
        { op: 'zadd', key: users, member: 'u1', score: 1 },
        { op: 'zadd', key: watched, member: 'EEEEEEEEEEEEEEEEEEEEEA', score: 1 },
        { op: 'zadd', key: watched, member: 'EEEEEEEEEEEEEEEEEEEEEQ', score: 2 },
        { op: 'zremIfEmpty', key: users, member: 'u1', watched },
        { op: 'zrem', key: watched, member: 'EEEEEEEEEEEEEEEEEEEEEA' },
        { op: 'zremIfEmpty', key: users, member: 'u1', watched },
        { op: 'zrem', key: watched, member: 'EEEEEEEEEEEEEEEEEEEEEQ' },
        { op: 'zcount', key: watched, min: 0, max: MAX_SCORE },
        { op: 'zremIfEmpty', key: users, member: 'u1', watched },
        { op: 'zremIfEmpty', key: users, member: 'u1', watched },
        { op: 'zremIfEmpty', key: users, member: 'nobody', watched: key('app4', 'us:nobody') },
        { op: 'zrange', key: users, min: 0, max: MAX_SCORE, limit: null, rev: false },
      ], 'zremIfEmpty');
    },
  ],
  [
    'scores: whole numbers from 0 to 2^53 − 1, exact; 9007199254740991 as a bound means no bound',
    async (store) => {
      const reference = new MapStore();
      const z = key('app5', '_expiry');
      const scores = [0, 1, 2 ** 32, 1_700_000_000_000, 2 ** 52 + 1, MAX_SCORE - 1, MAX_SCORE];
      await same(store, reference, scores.map((score, i) => ({ op: 'zadd', key: z, member: `s${i}`, score })), 'zadd');
      const got = await same(store, reference, [
        { op: 'zrange', key: z, min: 0, max: MAX_SCORE, limit: null, rev: false },
        { op: 'zrange', key: z, min: MAX_SCORE, max: MAX_SCORE, limit: null, rev: true },
        { op: 'zrange', key: z, min: 2 ** 52, max: MAX_SCORE, limit: 2, rev: false },
        { op: 'zcount', key: z, min: MAX_SCORE - 1, max: MAX_SCORE },
        { op: 'zcount', key: z, min: 0, max: 0 },
      ], 'zrange');
      deepStrictEqual(got[0].map(([, s]) => s), scores, 'every score comes back exactly');
      for (const [, s] of got[0]) ok(typeof s === 'number', 'scores are numbers');
    },
  ],
  [
    'versions after a delete: a record created again (expect absent) starts a new life the store numbers',
    async (store) => {
      const k = rec('app6', 'FFFFFFFFFFFFFFFFFFFFFA');
      await apply(store, [{ op: 'put', key: k, value: B64('1'), ttlMs: 1000, expect: 'absent' }]);
      let v = version((await apply(store, [{ op: 'get', key: k, cached: false }]))[0], 'first life');
      await apply(store, [{ op: 'put', key: k, value: B64('2'), ttlMs: 1000, expect: v }]);
      v = version((await apply(store, [{ op: 'get', key: k, cached: false }]))[0], 'first life, written again');
      deepStrictEqual(await apply(store, [{ op: 'delete', key: k, expect: v }]), [true]);
      deepStrictEqual(await apply(store, [{ op: 'put', key: k, value: B64('3'), ttlMs: 1000, expect: 'absent' }]).then((r) => r.length), 1);
      const [again] = await apply(store, [{ op: 'get', key: k, cached: false }]);
      equal(again.value, B64('3'));
      const w = version(again, 'second life'); // may start over at 1: the core never carries a version across a delete
      ok(isConflict(await apply(store, [{ op: 'put', key: k, value: B64('4'), ttlMs: 1000, expect: w + 1 }])), 'only the version the store reported holds');
      deepStrictEqual((await apply(store, [{ op: 'put', key: k, value: B64('4'), ttlMs: 1000, expect: w }])).length, 1);
    },
  ],
  [
    'the largest batch: 50,000 commands (a sweep of 10,000 sessions at its largest limit)',
    async (store) => {
      const reference = new MapStore();
      const app = 'bigapp';
      const handles = members(10_000, 'H').map((m) => `${m}${'A'.repeat(22 - m.length)}`);
      const expiry = key(app, '_expiry');
      const issued = key(app, '_issued');
      const users = key(app, '_users');
      const user = (i) => key(app, `us:u${i % 100}`);
      // Write 10,000 records and index them: 50,000 commands in one batch.
      const create = handles.flatMap((h, i) => [
        { op: 'put', key: rec(app, h), value: B64(`session ${i}`), ttlMs: 60_000, expect: 'absent' },
        { op: 'zadd', key: expiry, member: h, score: 1_000 + (i % 7) },
        { op: 'zadd', key: issued, member: h, score: 1_000 + i },
        { op: 'zadd', key: user(i), member: h, score: 1_000 + i },
        { op: 'zadd', key: users, member: `u${i % 100}`, score: 2_000 },
      ]);
      equal(create.length, MAX_BATCH);
      await same(store, reference, create, 'the batch of 50,000 writes');
      // A sweep: 10,000 entries ranged, their records read in one batch...
      const [ranged] = await same(store, reference, [{ op: 'zrange', key: expiry, min: 0, max: 5_000, limit: 10_000, rev: false }], 'range');
      equal(ranged.length, 10_000);
      const reads = await same(store, reference, ranged.map(([h]) => ({ op: 'get', key: rec(app, h), cached: false })), 'the batch of 10,000 reads');
      // ...and each removed with 5 commands in the next: 50,000 commands.
      const remove = ranged.flatMap(([h], i) => {
        const n = Number(h.slice(1, 7));
        return [
          { op: 'delete', key: rec(app, h), expect: reads[i].version },
          { op: 'zrem', key: expiry, member: h },
          { op: 'zrem', key: issued, member: h },
          { op: 'zrem', key: user(n), member: h },
          { op: 'zremIfEmpty', key: users, member: `u${n % 100}`, watched: user(n) },
        ];
      });
      equal(remove.length, MAX_BATCH);
      await same(store, reference, remove, 'the batch of 50,000 removals');
      await same(store, reference, [
        { op: 'zcount', key: expiry, min: 0, max: MAX_SCORE },
        { op: 'zcount', key: issued, min: 0, max: MAX_SCORE },
        { op: 'zcount', key: users, min: 0, max: MAX_SCORE },
        { op: 'get', key: rec(app, handles[0]), cached: false },
      ], 'everything was removed');
    },
  ],
  [
    'keys of different apps and the app registry are kept apart',
    async (store) => {
      const reference = new MapStore();
      const h = 'GGGGGGGGGGGGGGGGGGGGGA';
      await same(store, reference, [{ op: 'put', key: rec('appa', h), value: B64('a'), ttlMs: 1, expect: 'absent' }], 'a');
      await same(store, reference, [{ op: 'put', key: rec('appb', h), value: B64('b'), ttlMs: 1, expect: 'absent' }], 'b');
      await same(store, reference, [{ op: 'zadd', key: `${NS}:_apps`, member: 'appa', score: 1 }], 'registry');
      await same(store, reference, [{ op: 'zadd', key: `${NS}:_apps`, member: 'appb', score: 1 }], 'registry');
      await same(store, reference, [{ op: 'zadd', key: `other:_apps`, member: 'appc', score: 1 }], 'another namespace');
      await same(store, reference, [
        { op: 'get', key: rec('appa', h), cached: false },
        { op: 'get', key: rec('appb', h), cached: false },
        { op: 'get', key: `other:{appa}:s:${h}`, cached: false },
      ], 'records by app');
      await same(store, reference, [{ op: 'zrange', key: `${NS}:_apps`, min: 0, max: MAX_SCORE, limit: null, rev: false }], 'the registry');
    },
  ],
  [
    'concurrent batches on one record lose no update (versions guard read-modify-write)',
    async (store) => {
      const k = rec('app7', 'HHHHHHHHHHHHHHHHHHHHHA');
      await apply(store, [{ op: 'put', key: k, value: B64('0'), ttlMs: 60_000, expect: 'absent' }]);
      const WORKERS = 8;
      const EACH = 10;
      const increment = async () => {
        for (let attempt = 0; attempt < 1_000; attempt++) {
          const [r] = await apply(store, [{ op: 'get', key: k, cached: false }]);
          const n = Number(Buffer.from(r.value, 'base64').toString());
          const replies = await apply(store, [
            { op: 'put', key: k, value: B64(String(n + 1)), ttlMs: 60_000, expect: r.version },
            { op: 'zadd', key: key('app7', '_expiry'), member: 'HHHHHHHHHHHHHHHHHHHHHA', score: n + 1 },
          ]);
          if (!isConflict(replies)) return;
        }
        fail('an increment never got through');
      };
      await Promise.all(Array.from({ length: WORKERS }, async () => {
        for (let i = 0; i < EACH; i++) await increment();
      }));
      const [r] = await apply(store, [
        { op: 'get', key: k, cached: false },
      ]);
      equal(Buffer.from(r.value, 'base64').toString(), String(WORKERS * EACH), 'every increment landed');
      const [[z]] = await apply(store, [{ op: 'zrange', key: key('app7', '_expiry'), min: 0, max: MAX_SCORE, limit: null, rev: false }]);
      deepStrictEqual(z, ['HHHHHHHHHHHHHHHHHHHHHA', WORKERS * EACH], 'the sorted set moved with every applied batch, and only with those');
    },
  ],
];
