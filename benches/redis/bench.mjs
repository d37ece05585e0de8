// session-core (Node, Redis store) side by side with redis-sessions 4.0.0, in one run, against
// the same local redis-server (started here, on a spare port, without persistence): create,
// get, set and touch of the same data (a small object with 3 keys), each at concurrency 1 (one
// awaited call at a time, as one request handler) and 64 (64 such loops at once).
// redis-sessions has no touch: its `get` (which slides the expiry too) stands in for it. Every
// contender gets the same rounds, interleaved; ops/s is the median round, latencies are over
// every call of every round. Then the lost-update probe: 2 processes × 300 concurrent `set`s of
// distinct keys on one session; count the keys that went missing and compare `w` with 601.
// The CPU columns say where each call's work is done: in this Node process (its JS thread and
// session-core's native threads; process.cpuUsage) and in redis-server (INFO cpu).
// Run: `npm run bench` (here or at the repository root). Not part of the tests.
//
// What each contender does per call:
// - session-core: validation, token hashing and the whole operation in Rust (napi, Tokio),
//   each batch one EVALSHA of a Lua script that checks versions and applies all or nothing.
//   get, set and touch: a versioned write, after a read that comes from the store's record
//   cache when this process has seen the session (1 round trip; 2 when the copy is stale);
//   create: one write (the app registry is entered at most once a minute).
// - redis-sessions: node-redis v4; get = HMGET, then MULTI (3 ZADD, HINCRBY, ...) EXEC;
//   set = the same read, then MULTI with the whole `d` rewritten (2 round trips, no check).
import { spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import redisSessions from 'redis-sessions';
import { Sessions } from 'session-core';
import { startRedis } from '../../tests/js/redis-server.mjs';

const N = Number(process.env.BENCH_SESSIONS ?? 10_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const ROUND_MS = Number(process.env.BENCH_ROUND_MS ?? 1_000);
const CONCURRENCY = [1, 64];
const APP = 'bench';
const IP = '192.168.1.10';
const data = () => ({ theme: 'dark', cart: 3, admin: false });
const here = fileURLToPath(new URL('.', import.meta.url));
// redis-sessions 4 is compiled TypeScript: its class is `exports.default`.
const RedisSessions = redisSessions.default ?? redisSessions;

const redis = await startRedis();
const serverInfo = await redis.command('INFO', 'server');
const redisVersion = /redis_version:(\S+)/.exec(serverInfo)?.[1] ?? '?';

const contenders = {
  'session-core': new Sessions({ redis: redis.url, namespace: 'sc', wipe: 0 }),
  'redis-sessions': new RedisSessions({ host: '127.0.0.1', port: redis.port, namespace: 'rs', wipe: 0 }),
};
const names = Object.keys(contenders);

// N sessions each, created 64 at a time.
const tokens = {};
for (const name of names) {
  const s = contenders[name];
  const list = [];
  for (let i = 0; i < N; i += 64) {
    const batch = Array.from({ length: Math.min(64, N - i) }, (_, j) =>
      s.create({ app: APP, id: `user${(i + j) >> 1}`, ip: IP, d: data() }),
    );
    for (const r of await Promise.all(batch)) list.push(r.token);
  }
  tokens[name] = list;
}

// A fixed walk over the sessions, so that calls do not all hit one entry.
let walk = 0;
const next = () => (walk = (walk + 7919) % N);
const ops = {
  create: (s) => s.create({ app: APP, id: `new${walk++}`, ip: IP, d: data() }),
  get: (s, t) => s.get({ app: APP, token: t[next()] }),
  set: (s, t) => s.set({ app: APP, token: t[next()], d: { cart: walk } }),
  touch: (s, t) => (s instanceof Sessions ? s.touch : s.get).call(s, { app: APP, token: t[next()] }),
};
/** The target ratio of each operation (the hot-path issue). */
const TARGET = { create: 1.3, get: 1.6, set: 1.6, touch: 1.6 };

/**
 * Redis CPU spent in commands since the last CONFIG RESETSTAT (INFO commandstats), in µs: what
 * the operations cost the server itself, without its network handling. A script's EVALSHA
 * includes the commands it runs, which commandstats also counts on their own: those are left
 * out. Each of session-core's scripts in these runs reads one record (the GET of the version
 * check), so the GETs beyond one per EVALSHA are plain ones (cache misses) and count.
 */
async function commandCpu() {
  const info = await redis.command('INFO', 'commandstats');
  const stats = {};
  for (const m of info.matchAll(/^cmdstat_([^:]+):calls=(\d+),usec=(\d+)/gm)) {
    stats[m[1]] = { calls: Number(m[2]), usec: Number(m[3]) };
  }
  const script = stats.evalsha;
  if (script === undefined) {
    return Object.entries(stats).reduce((us, [name, s]) => (name.startsWith('config') ? us : us + s.usec), 0);
  }
  const get = stats.get ?? { calls: 0, usec: 0 };
  const plainGets = Math.max(0, get.calls - script.calls);
  return script.usec + (get.calls > 0 ? (get.usec * plainGets) / get.calls : 0);
}

/** redis-server's CPU time so far, in µs. */
async function redisCpu() {
  const info = await redis.command('INFO', 'cpu');
  const field = (f) => Number(new RegExp(`^${f}:(\\S+)`, 'm').exec(info)[1]);
  return (field('used_cpu_user') + field('used_cpu_sys')) * 1e6;
}

/** `concurrency` loops of awaited calls for `ms`: calls/s, and each call's latency (ms). */
async function measure(name, op, concurrency, ms, latencies, cpu) {
  const s = contenders[name];
  const t = tokens[name];
  const call = ops[op];
  let n = 0;
  const redis0 = cpu === undefined ? 0 : await redisCpu();
  if (cpu !== undefined) await redis.command('CONFIG', 'RESETSTAT');
  const node0 = process.cpuUsage();
  const t0 = performance.now();
  const end = t0 + ms;
  const loop = async () => {
    for (;;) {
      const a = performance.now();
      if (a >= end) return;
      const r = await call(s, t);
      if (r === null) throw new Error(`${name} ${op}: a live session read as null`);
      latencies?.push(performance.now() - a);
      n++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, loop));
  const rate = n / ((performance.now() - t0) / 1000);
  if (cpu !== undefined) {
    const used = process.cpuUsage(node0);
    cpu.calls += n;
    cpu.node += used.user + used.system;
    cpu.redis += (await redisCpu()) - redis0;
    cpu.commands += await commandCpu();
  }
  return rate;
}

const results = {};
for (const op of Object.keys(ops)) {
  for (const c of CONCURRENCY) {
    const cell = (results[`${op}@${c}`] = {});
    for (const name of names) {
      await measure(name, op, c, 200); // warm up
      cell[name] = { rates: [], latencies: [], cpu: { calls: 0, node: 0, redis: 0, commands: 0 } };
    }
    for (let round = 0; round < ROUNDS; round++) {
      for (const name of names) {
        cell[name].rates.push(await measure(name, op, c, ROUND_MS, cell[name].latencies, cell[name].cpu));
      }
    }
  }
}

// ---- lost updates: 2 processes × 300 concurrent sets of distinct keys on one session ----
const probeScript = {
  'session-core': `
    import { Sessions } from 'session-core';
    const [url, , token, tag] = process.argv.slice(1);
    const s = new Sessions({ redis: url, namespace: 'sc', wipe: 0 });
    const r = await Promise.allSettled(Array.from({ length: 300 }, (_, i) => s.set({ app: 'race', token, d: { [tag + i]: i } })));
    console.log(r.filter((x) => x.status === 'rejected').length);
    await s.quit();
  `,
  'redis-sessions': `
    import redisSessions from 'redis-sessions';
    const RedisSessions = redisSessions.default ?? redisSessions;
    const [, port, token, tag] = process.argv.slice(1);
    const s = new RedisSessions({ port: Number(port), namespace: 'rs', wipe: 0 });
    const r = await Promise.allSettled(Array.from({ length: 300 }, (_, i) => s.set({ app: 'race', token, d: { [tag + i]: i } })));
    console.log(r.filter((x) => x.status === 'rejected').length);
    await s.quit();
  `,
};

function child(script, token, tag) {
  return new Promise((resolve, reject) => {
    const args = ['--input-type=module', '-e', script, redis.url, String(redis.port), token, tag];
    const p = spawn(process.execPath, args, { cwd: here, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.on('error', reject);
    p.on('exit', (code) => (code === 0 ? resolve(Number(out.trim())) : reject(new Error(`probe exited ${code}`))));
  });
}

const lost = {};
for (const name of names) {
  const s = contenders[name];
  const { token } = await s.create({ app: 'race', id: 'hot', ip: IP });
  const failed = await Promise.all([child(probeScript[name], token, 'a'), child(probeScript[name], token, 'b')]);
  const got = await s.get({ app: 'race', token });
  const keys = Object.keys(got.d ?? {}).length;
  lost[name] = { missing: 600 - keys, w: got.w, failed: failed[0] + failed[1] };
}

for (const s of Object.values(contenders)) await s.quit();
await redis.close();

// ---- report ----
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const pct = (xs, p) => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
};
const fmt = (x) => Math.round(x).toLocaleString('en-US');
const ms = (x) => x.toFixed(x < 1 ? 3 : 2);
console.log(`\nsession-core (Node, Redis store) vs redis-sessions 4.0.0, same redis-server ${redisVersion} on loopback`);
console.log(
  `(node ${process.version}, ${availableParallelism()} cores, ${N.toLocaleString('en-US')} sessions each, ` +
    `${ROUNDS} rounds of ${ROUND_MS} ms, median ops/s; latency over all calls, ms)\n`,
);
console.log(
  '| op | concurrency | session-core ops/s | redis-sessions ops/s | ratio (target) | session-core p50 / p99 | redis-sessions p50 / p99 | ' +
    'session-core CPU µs/call: Node + Redis (of which in commands) | redis-sessions CPU µs/call: Node + Redis (of which in commands) |',
);
console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|');
const perCall = ({ cpu }) =>
  `${(cpu.node / cpu.calls).toFixed(1)} + ${(cpu.redis / cpu.calls).toFixed(1)} (${(cpu.commands / cpu.calls).toFixed(1)})`;
const misses = [];
for (const [key, cell] of Object.entries(results)) {
  const [op, c] = key.split('@');
  const sc = cell['session-core'];
  const rs = cell['redis-sessions'];
  const ratio = median(sc.rates) / median(rs.rates);
  if (ratio < TARGET[op]) misses.push(`${op} at ${c} (${ratio.toFixed(2)}×)`);
  console.log(
    `| ${op}${op === 'touch' ? ' (redis-sessions: get)' : ''} | ${c} | ${fmt(median(sc.rates))} | ${fmt(median(rs.rates))} | ` +
      `${ratio.toFixed(2)}× (${TARGET[op]}×) | ` +
      `${ms(pct(sc.latencies, 50))} / ${ms(pct(sc.latencies, 99))} | ${ms(pct(rs.latencies, 50))} / ${ms(pct(rs.latencies, 99))} | ` +
      `${perCall(sc)} | ${perCall(rs)} |`,
  );
}
console.log('\nlost updates: 2 processes × 300 concurrent sets of distinct keys on one session\n');
console.log('| | keys missing (of 600) | w (601 expected) | failed calls |');
console.log('|---|---:|---:|---:|');
for (const name of names) {
  const l = lost[name];
  console.log(`| ${name} | ${l.missing} | ${l.w} | ${l.failed} |`);
}
const noLoss = lost['session-core'].missing === 0 && lost['session-core'].w === 601;
console.log(
  `\ntarget: get, set and touch at least 1.6× redis-sessions, create 1.3×, at 1 and 64 in flight: ` +
    (misses.length === 0 ? 'met' : `NOT met for ${misses.join(', ')}`),
);
console.log(`target: 0 lost updates (session-core): ${noLoss ? 'met' : 'NOT met'}`);
