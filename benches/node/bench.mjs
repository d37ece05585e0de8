// session-core (embedded memory store) side by side with express-session's MemoryStore and a
// plain JS Map, in one run: get, set, touch and create of the same data (a small object with
// 3 keys), in a store holding 10,000 sessions, with one awaited call at a time (as one request
// handler) and with 64 calls in flight (64 such loops at once). Every contender gets the same
// number of rounds, interleaved; the median round counts. Run: `npm run bench` (here or at the
// repository root).
//
// What each contender does per call:
// - session-core: the whole operation in Rust (validate, hash the token, read, count, slide
//   the expiry, update the activity index, write), one native call per JS call, from the
//   package as a user imports it.
// - express-session MemoryStore: its get/set/touch with callbacks (JSON of the whole session,
//   callbacks deferred with setImmediate, as the store does), wrapped in Promises.
// - Map: the floor. A Map of plain objects, read or updated in place: no validation, no
//   expiry, no indexes, no copies.
import { randomBytes } from 'node:crypto';
import { Sessions, SessionsSync } from 'session-core';
import session from 'express-session';

const N = 10_000;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const ROUND_MS = Number(process.env.BENCH_ROUND_MS ?? 400);
const CONCURRENCY = [1, 64];
const TARGET = 1.5;
const APP = 'bench';
const data = () => ({ theme: 'dark', cart: 3, admin: false });
const sid = () => randomBytes(18).toString('base64url'); // express-session's ids: uid-safe(24)

// ---- session-core ----
const sc = new Sessions();
const scTokens = [];
for (let i = 0; i < N; i++) {
  scTokens.push((await sc.create({ app: APP, id: `user${i >> 1}`, ip: '192.168.1.10', d: data() })).token);
}

// ---- session-core, SessionsSync (same engine, values instead of Promises) ----
const scSync = new SessionsSync();
const syncTokens = [];
for (let i = 0; i < N; i++) {
  syncTokens.push(scSync.create({ app: APP, id: `user${i >> 1}`, ip: '192.168.1.10', d: data() }).token);
}

// ---- express-session MemoryStore ----
const es = new session.MemoryStore();
const esIds = [];
const cookie = () => ({
  originalMaxAge: 7_200_000,
  expires: new Date(Date.now() + 7_200_000).toISOString(),
  httpOnly: true,
  path: '/',
});
const esCall = (fn) => new Promise((resolve, reject) => fn((err, v) => (err ? reject(err) : resolve(v))));
for (let i = 0; i < N; i++) {
  const id = sid();
  esIds.push(id);
  await esCall((cb) => es.set(id, { cookie: cookie(), ...data() }, cb));
}

// ---- Map ----
const map = new Map();
const mapIds = [];
for (let i = 0; i < N; i++) {
  const id = sid();
  mapIds.push(id);
  map.set(id, { id: `user${i >> 1}`, r: 1, w: 1, la: Date.now(), d: data() });
}

// A fixed walk over the sessions, so that lookups do not hit one hot entry.
let walk = 0;
const next = () => (walk = (walk + 7919) % N);

const contenders = {
  'session-core': {
    get: () => sc.get({ app: APP, token: scTokens[next()] }),
    set: (v) => sc.set({ app: APP, token: scTokens[next()], d: { cart: v } }),
    touch: () => sc.touch({ app: APP, token: scTokens[next()] }),
    create: (v) => sc.create({ app: APP, id: `new${v}`, ip: '10.0.0.1', d: data() }),
  },
  'express-session MemoryStore': {
    get: () => esCall((cb) => es.get(esIds[next()], cb)),
    set: (v) => esCall((cb) => es.set(esIds[next()], { cookie: cookie(), theme: 'dark', cart: v, admin: false }, cb)),
    touch: () => {
      const id = esIds[next()];
      return esCall((cb) => es.touch(id, { cookie: cookie() }, cb));
    },
    create: () => esCall((cb) => es.set(sid(), { cookie: cookie(), ...data() }, cb)),
  },
  Map: {
    get: async () => {
      const s = map.get(mapIds[next()]);
      s.r++;
      s.la = Date.now();
      return s;
    },
    set: async (v) => {
      const s = map.get(mapIds[next()]);
      s.d.cart = v;
      s.w++;
      s.la = Date.now();
      return s;
    },
    touch: async () => {
      map.get(mapIds[next()]).la = Date.now();
    },
    create: async (v) => {
      const id = sid();
      map.set(id, { id: `new${v}`, r: 1, w: 1, la: Date.now(), d: data() });
      return id;
    },
  },
};

/**
 * Calls per second of `op` for about `ms` milliseconds: `concurrency` loops, each awaiting
 * its calls one after the other.
 */
async function measure(op, concurrency, ms) {
  let n = 0;
  const t0 = performance.now();
  const end = t0 + ms;
  const loop = async () => {
    while (performance.now() < end) {
      for (let i = 0; i < 50; i++) await op(n++);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, loop));
  return n / ((performance.now() - t0) / 1000);
}

const ops = ['get', 'set', 'touch', 'create'];
const names = Object.keys(contenders);
const results = {};
for (const c of CONCURRENCY) {
  for (const name of names) for (const op of ops) await measure(contenders[name][op], c, 100); // warm up
}
for (let round = 0; round < ROUNDS; round++) {
  for (const c of CONCURRENCY) {
    for (const op of ops) {
      for (const name of names) {
        ((results[`${op}@${c}`] ??= {})[name] ??= []).push(await measure(contenders[name][op], c, ROUND_MS));
      }
    }
  }
}

const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const fmt = (x) => Math.round(x).toLocaleString('en-US');
const ratio = (x) => `${x.toFixed(2)}×`;
console.log(`\nsession stores, ${N.toLocaleString('en-US')} sessions, Node ${process.version}`);
console.log(`(${ROUNDS} rounds of ${ROUND_MS} ms, median ops/s; "in flight" = calls awaited at once)\n`);
console.log('| op | in flight | session-core | express-session MemoryStore | Map | session-core ÷ express-session | session-core ÷ Map |');
console.log('|---|---:|---:|---:|---:|---:|---:|');
const misses = [];
for (const c of CONCURRENCY) {
  for (const op of ops) {
    const cell = results[`${op}@${c}`];
    const m = Object.fromEntries(names.map((n) => [n, median(cell[n])]));
    const vsEs = m['session-core'] / m['express-session MemoryStore'];
    if (vsEs < TARGET) misses.push(`${op} at ${c} (${ratio(vsEs)})`);
    console.log(
      `| ${op} | ${c} | ${fmt(m['session-core'])} | ${fmt(m['express-session MemoryStore'])} | ${fmt(m.Map)} | ${ratio(vsEs)} | ${ratio(m['session-core'] / m.Map)} |`,
    );
  }
}
console.log(
  `\ntarget: every op at least ${TARGET}× express-session's MemoryStore, at 1 and 64 in flight: ` +
    (misses.length === 0 ? 'met' : `NOT met for ${misses.join(', ')}`),
);

// ---- SessionsSync against Sessions: the same engine; one call at a time ----
// Sessions' calls are awaited one after the other (as one request handler); SessionsSync's
// are plain calls in a loop (as code that cannot await). Same rounds, interleaved.
function measureSync(op, ms) {
  let n = 0;
  const t0 = performance.now();
  const end = t0 + ms;
  while (performance.now() < end) {
    for (let i = 0; i < 50; i++) op(n++);
  }
  return n / ((performance.now() - t0) / 1000);
}
const syncOps = {
  get: () => scSync.get({ app: APP, token: syncTokens[next()] }),
  set: (v) => scSync.set({ app: APP, token: syncTokens[next()], d: { cart: v } }),
};
const syncResults = { get: { sync: [], async: [] }, set: { sync: [], async: [] } };
for (const op of ['get', 'set']) measureSync(syncOps[op], 100); // warm up
for (let round = 0; round < ROUNDS; round++) {
  for (const op of ['get', 'set']) {
    syncResults[op].sync.push(measureSync(syncOps[op], ROUND_MS));
    syncResults[op].async.push(await measure(contenders['session-core'][op], 1, ROUND_MS));
  }
}
console.log('\n| op | SessionsSync | Sessions (awaited) | SessionsSync ÷ Sessions |');
console.log('|---|---:|---:|---:|');
const slower = [];
for (const op of ['get', 'set']) {
  const sync = median(syncResults[op].sync);
  const async = median(syncResults[op].async);
  if (sync < async) slower.push(op);
  console.log(`| ${op} | ${fmt(sync)} | ${fmt(async)} | ${ratio(sync / async)} |`);
}
console.log(`\ntarget: SessionsSync at least as fast as Sessions: ${slower.length === 0 ? 'met' : `NOT met for ${slower.join(', ')}`}`);
