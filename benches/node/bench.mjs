// session-core (embedded memory store) side by side with express-session's MemoryStore and a
// plain JS Map, in one run: get, set, touch and create of the same data (a small object with
// 3 keys), in a store holding 10,000 sessions. Each call is awaited before the next, as one
// request handler would; every contender gets the same number of rounds, interleaved, and the
// median round counts. Run: `npm run bench` (here or at the repository root).
//
// What each contender does per call:
// - session-core: the whole operation in Rust (validate, hash the token, read, count, slide
//   the expiry, update the activity indexes, write), one native call per JS call.
// - express-session MemoryStore: its get/set/touch with callbacks (JSON of the whole session,
//   callbacks deferred with setImmediate, as the store does), wrapped in Promises.
// - Map: the floor. A Map of plain objects, read or updated in place: no validation, no
//   expiry, no indexes, no copies.
import { randomBytes } from 'node:crypto';
import { Sessions } from 'session-core';
import session from 'express-session';

const N = 10_000;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const ROUND_MS = Number(process.env.BENCH_ROUND_MS ?? 400);
const APP = 'bench';
const data = () => ({ theme: 'dark', cart: 3, admin: false });
const sid = () => randomBytes(18).toString('base64url'); // express-session's ids: uid-safe(24)

// ---- session-core ----
const sc = new Sessions();
const scTokens = [];
for (let i = 0; i < N; i++) {
  scTokens.push((await sc.create({ app: APP, id: `user${i >> 1}`, ip: '192.168.1.10', d: data() })).token);
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

/** Calls per second of `op`, awaited one after the other, for about `ms` milliseconds. */
async function measure(op, ms) {
  let n = 0;
  const t0 = performance.now();
  let t = t0;
  while (t - t0 < ms) {
    for (let i = 0; i < 200; i++) await op(n + i);
    n += 200;
    t = performance.now();
  }
  return n / ((t - t0) / 1000);
}

const ops = ['get', 'set', 'touch', 'create'];
const names = Object.keys(contenders);
const results = {};
for (const name of names) for (const op of ops) await measure(contenders[name][op], 100); // warm up
for (let round = 0; round < ROUNDS; round++) {
  for (const op of ops) {
    for (const name of names) {
      ((results[op] ??= {})[name] ??= []).push(await measure(contenders[name][op], ROUND_MS));
    }
  }
}

const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const fmt = (x) => Math.round(x).toLocaleString('en-US');
const ratio = (x) => `${x.toFixed(2)}×`;
console.log(`\nsession stores, ${N.toLocaleString('en-US')} sessions, one awaited call at a time`);
console.log(`(node ${process.version}, ${ROUNDS} rounds of ${ROUND_MS} ms, median ops/s)\n`);
console.log('| op | session-core | express-session MemoryStore | Map | session-core ÷ express-session | session-core ÷ Map |');
console.log('|---|---:|---:|---:|---:|---:|');
let ok = true;
for (const op of ops) {
  const m = Object.fromEntries(names.map((n) => [n, median(results[op][n])]));
  const vsEs = m['session-core'] / m['express-session MemoryStore'];
  if ((op === 'get' || op === 'set') && vsEs < 3) ok = false;
  console.log(
    `| ${op} | ${fmt(m['session-core'])} | ${fmt(m['express-session MemoryStore'])} | ${fmt(m.Map)} | ${ratio(vsEs)} | ${ratio(m['session-core'] / m.Map)} |`,
  );
}
console.log(`\ntarget: get and set at least 3× express-session's MemoryStore: ${ok ? 'met' : 'NOT met'}`);
