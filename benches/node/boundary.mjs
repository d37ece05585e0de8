// How results best cross the napi boundary: JSON strings (JSON.stringify in JS, serde_json in
// Rust, JSON.parse in JS), or JS objects converted by napi-rs' serde-json feature, on one side
// or both. The shipped addon crosses with strings; this builds a variant of it with the
// `boundary-bench` cargo feature, which adds the object-converting methods, and times all four
// ways on the same native sessions. Run: `npm run bench` (after bench.mjs), or `node boundary.mjs`.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

function cargo(args) {
  const r = spawnSync('cargo', args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  if (r.status !== 0) throw new Error(`cargo ${args.join(' ')} failed`);
  return r.stdout;
}

console.log('\nbuilding the addon with the boundary-bench feature…');
cargo(['build', '-p', 'session-core-node', '--release', '--features', 'boundary-bench']);
const targetDir = JSON.parse(cargo(['metadata', '--format-version', '1', '--no-deps'])).target_directory;
const file = {
  darwin: 'libsession_core_node.dylib',
  win32: 'session_core_node.dll',
}[process.platform] ?? 'libsession_core_node.so';
const dir = mkdtempSync(join(tmpdir(), 'session-core-boundary-'));
const addon = join(dir, 'boundary.node');
copyFileSync(join(targetDir, 'release', file), addon);
const { NativeSessions } = createRequire(import.meta.url)(addon);
rmSync(dir, { recursive: true, force: true });

const ways = {
  'string in, string out': (s, op, input, now) => JSON.parse(s.call(op, JSON.stringify(input), now)),
  'object in, object out': (s, op, input, now) => s.callObject(op, input, now),
  'object in, string out': (s, op, input, now) => JSON.parse(s.callObjectIn(op, input, now)),
  'string in, object out': (s, op, input, now) => s.callObjectOut(op, JSON.stringify(input), now),
};

const N = 1000;
const APP = 'bench';
const now = Date.now();
const data = { theme: 'dark', cart: 3, admin: false };

/** Native sessions with N sessions (20 per user, so that soid lists 20). */
function populate(call) {
  const s = new NativeSessions('rs', false);
  const tokens = [];
  for (let i = 0; i < N; i++) {
    tokens.push(call(s, 'create', { app: APP, id: `user${i % 50}`, ip: '10.0.0.1', d: data }, now).done.token);
  }
  return { s, tokens };
}

function opsPerSecond(fn, ms) {
  let n = 0;
  const t0 = performance.now();
  let t = t0;
  while (t - t0 < ms) {
    for (let i = 0; i < 500; i++) fn(n + i);
    n += 500;
    t = performance.now();
  }
  return n / ((t - t0) / 1000);
}

const cases = {
  'get (session, 3 data keys)': ({ tokens }, call, s, i) => call(s, 'get', { app: APP, token: tokens[(i * 7) % N] }, now),
  'set (session, 3 data keys)': ({ tokens }, call, s, i) =>
    call(s, 'set', { app: APP, token: tokens[(i * 7) % N], d: { cart: i } }, now),
  'soid (20 sessions)': (_, call, s, i) => call(s, 'soid', { app: APP, id: `user${i % 50}` }, now),
};

const ROUNDS = 3;
const results = {};
for (let round = 0; round <= ROUNDS; round++) {
  for (const [caseName, run] of Object.entries(cases)) {
    for (const [way, call] of Object.entries(ways)) {
      const state = populate(ways['string in, string out']);
      const rate = opsPerSecond((i) => run(state, call, state.s, i), round === 0 ? 100 : 400);
      if (round > 0) ((results[caseName] ??= {})[way] ??= []).push(rate); // round 0 warms up
    }
  }
}

const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const wayNames = Object.keys(ways);
console.log(`\nnapi boundary: ops/s of one native call (median of ${ROUNDS} rounds; higher is better)\n`);
console.log(`| call | ${wayNames.join(' | ')} |`);
console.log(`|---|${wayNames.map(() => '---:').join('|')}|`);
for (const [caseName, byWay] of Object.entries(results)) {
  const base = median(byWay['string in, string out']);
  const cells = wayNames.map((w) => {
    const m = median(byWay[w]);
    return w === 'string in, string out' ? Math.round(m).toLocaleString('en-US') : `${Math.round(m).toLocaleString('en-US')} (${(m / base).toFixed(2)}×)`;
  });
  console.log(`| ${caseName} | ${cells.join(' | ')} |`);
}
const empty = new NativeSessions('rs', false);
const input = JSON.stringify({ app: APP, token: 'x'.repeat(64) });
const floor = median([0, 1, 2].map(() => opsPerSecond(() => empty.noop('get', input, now), 300)));
console.log('\n(ratios are against strings both ways, which the shipped addon uses)');
console.log(`(a native method with the same arguments that does nothing: ${Math.round(floor).toLocaleString('en-US')} calls/s)`);
