// `npm run bench` (session-core-wasm): the cost of get and set inside workerd (miniflare 3),
// on the Durable Object store and on the in-module memory store, beside the same loops under
// Node through the wasm package and through the napi addon (session-core). Not a test: it
// prints a table and writes bench-results/edge.json at the repository root.
//
// workerd holds its clocks still while code runs without I/O, so the in-request timings may be
// 0; the reliable figure is the wall time of one request that runs N operations, minus that
// of a request that runs none, divided by N.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { startWorker } from '../test/workerd.mjs';

const here = fileURLToPath(new URL('..', import.meta.url));
const N = Number(process.env.BENCH_N ?? 2000);
const APP = 'bench';

async function inWorkerd() {
  const persist = mkdtempSync(join(tmpdir(), 'session-core-bench-'));
  const mf = startWorker({ persist, bindings: { BENCH: 'true' } });
  const loop = async (store, n) => {
    const t0 = performance.now();
    const res = await mf.dispatchFetch(`http://localhost/_bench/${APP}`, {
      method: 'POST',
      body: JSON.stringify({ n, store }),
    });
    const inside = await res.json();
    return { wallMs: performance.now() - t0, inside };
  };
  const out = {};
  try {
    for (const store of ['durable-object', 'memory']) {
      await loop(store, 200); // warm up (JIT, the object, its storage)
      const empty = await loop(store, 0);
      const full = await loop(store, N);
      // One request runs N gets then N sets: the split between them comes from the in-request
      // clocks when they move, else half each.
      const total = full.wallMs - empty.wallMs;
      const g = full.inside.get.performanceNowMs;
      const s = full.inside.set.performanceNowMs;
      const share = g + s > 0 ? g / (g + s) : 0.5;
      out[store] = {
        getUs: ((total * share) / N) * 1000,
        setUs: ((total * (1 - share)) / N) * 1000,
        inRequestClock: full.inside,
      };
    }
    // Over HTTP: N requests of each, through miniflare's dispatchFetch (Node -> workerd).
    const [, created] = await Promise.all([0, mf.dispatchFetch(`http://localhost/${APP}/create/u?ip=1`, { method: 'PUT' })]);
    const { token } = await created.json();
    const requests = async (method, path, body) => {
      const t0 = performance.now();
      for (let i = 0; i < N / 4; i++) await (await mf.dispatchFetch(`http://localhost${path}`, { method, body })).text();
      return ((performance.now() - t0) / (N / 4)) * 1000;
    };
    out.http = {
      getUs: await requests('GET', `/${APP}/get/${token}`),
      setUs: await requests('POST', `/${APP}/set/${token}`, '{"a":1}'),
      pingUs: await requests('GET', '/ping'),
    };
  } finally {
    await mf.dispose();
    rmSync(persist, { recursive: true, force: true });
  }
  return out;
}

async function inNode(pkg) {
  const { Sessions, MapStore } = await import(pkg);
  const out = {};
  for (const [label, make] of [
    ['memory', () => new Sessions({ autoSweep: false })],
    ['MapStore', () => new Sessions({ autoSweep: false, store: new MapStore() })],
  ]) {
    const s = make();
    const { token } = await s.create({ app: APP, id: 'bench', ip: '::1', d: { theme: 'dark' } });
    const time = async (f) => {
      for (let i = 0; i < 500; i++) await f(i);
      const t0 = performance.now();
      for (let i = 0; i < N * 5; i++) await f(i);
      return ((performance.now() - t0) / (N * 5)) * 1000;
    };
    out[label] = {
      getUs: await time(() => s.get({ app: APP, token })),
      setUs: await time((i) => s.set({ app: APP, token, d: { i } })),
    };
  }
  return out;
}

const results = {
  n: N,
  workerd: await inWorkerd(),
  nodeWasm: await inNode('session-core-wasm'),
  nodeNapi: await inNode('session-core').catch((e) => ({ error: e.message })),
};
const fmt = (x) => (typeof x === 'number' ? x.toFixed(2).padStart(9) : '        -');
console.log(`per operation, microseconds (N = ${N})          get        set`);
const rows = [
  ['workerd, Durable Object store (in-request)', results.workerd['durable-object']],
  ['workerd, wasm memory store (in-request)', results.workerd.memory],
  ['workerd, over HTTP (dispatchFetch, DO store)', results.workerd.http],
  ['Node, wasm, memory store', results.nodeWasm.memory],
  ['Node, wasm, MapStore', results.nodeWasm.MapStore],
  ['Node, napi, memory store', results.nodeNapi.memory],
  ['Node, napi, MapStore', results.nodeNapi.MapStore],
];
for (const [label, r] of rows) console.log(`${label.padEnd(46)}${fmt(r?.getUs)} ${fmt(r?.setUs)}`);

// The module's size, as the build measured it (pkg/size.json), against the target.
const size = JSON.parse(readFileSync(join(here, 'pkg', 'size.json'), 'utf8'));
const TARGET_BYTES = 150_000;
console.log(
  `\n.wasm after wasm-opt: ${size.raw.toLocaleString('en-US')} bytes raw, ${size.gzip.toLocaleString('en-US')} gzipped; ` +
    `target at most ${TARGET_BYTES.toLocaleString('en-US')} bytes: ${size.raw <= TARGET_BYTES ? 'met' : 'NOT met'}`,
);
results.size = size;
const dir = join(here, '..', 'bench-results');
mkdirSync(dir, { recursive: true });
writeFileSync(join(dir, 'edge.json'), `${JSON.stringify(results, null, 2)}\n`);
