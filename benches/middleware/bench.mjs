// session-core's Express middleware side by side with express-session, in one run: the same
// Express app (app.mjs) whose route reads the session and increments a counter in it, over
// 1,000 sessions at 64 connections, each app in its own process and autocannon in this one.
//
//   bare Express (no sessions)                 the ceiling
//   session-core/express, embedded store       vs express-session + MemoryStore
//   session-core/express, Redis                vs express-session + connect-redis (same Redis)
//
// All five apps are started first; then BENCH_ROUNDS rounds (default 3) run each variant for
// BENCH_SECONDS (default 6) in turn, so that a busy spell of the machine falls on every
// variant alike. Prints the median req/s and p99, the app's and Redis' CPU per request, and
// the ratios against the target (session-core at least 1.25x its peer), with each round's.
import autocannon from 'autocannon';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sparePort, startRedis } from '../../tests/js/redis-server.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const SECONDS = Number(process.env.BENCH_SECONDS ?? 6);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const WARMUP = 3;
const CONNECTIONS = 64;
const SESSIONS = 1000;
const TARGET = 1.25;
const CLK_TCK = 100;
const expressVersion = createRequire(import.meta.url)('express/package.json').version;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** CPU seconds used so far by process `pid` (user + system, from /proc). */
function cpuSeconds(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
}

async function waitListening(child) {
  await new Promise((resolve, reject) => {
    child.stdout.on('data', (d) => String(d).includes('listening') && resolve());
    child.on('exit', (code) => reject(new Error(`the app exited (${code})`)));
  });
}

/** Logs in `SESSIONS` users; the Cookie header (or, for bare, the user header) of each. */
async function logins(base, variant) {
  const out = [];
  for (let i = 0; i < SESSIONS; i++) {
    const user = `user${i}`;
    const r = await fetch(`${base}/login?user=${user}`, { method: 'POST' });
    if (!r.ok) throw new Error(`${variant}: login ${r.status}`);
    await r.arrayBuffer();
    if (variant === 'bare') out.push({ 'x-user': user });
    else out.push({ cookie: r.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ') });
  }
  return out;
}

function run(base, headers, seconds) {
  let n = 0;
  return autocannon({
    url: base,
    connections: CONNECTIONS,
    duration: seconds,
    requests: [{ method: 'GET', path: '/', setupRequest: (req) => ({ ...req, headers: headers[n++ % headers.length] }) }],
  });
}

/** Starts the app of `variant` in its own process and logs in its sessions. */
async function startApp(variant, redis) {
  const port = await sparePort();
  const child = spawn(process.execPath, [join(here, 'app.mjs'), variant, String(port), redis.url], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await waitListening(child);
  const base = `http://127.0.0.1:${port}`;
  const headers = await logins(base, variant);
  await run(base, headers, WARMUP);
  return { variant, child, base, headers, rounds: [], requests: 0, appCpu: 0, redisCpu: 0 };
}

/** One measured run of `app`: its req/s and p99 are a round; CPU and requests add up. */
async function measure(app, redisPid) {
  const app0 = cpuSeconds(app.child.pid);
  const redis0 = cpuSeconds(redisPid);
  const r = await run(app.base, app.headers, SECONDS);
  app.appCpu += cpuSeconds(app.child.pid) - app0;
  app.redisCpu += cpuSeconds(redisPid) - redis0;
  if (r.non2xx > 0 || r.errors > 0) throw new Error(`${app.variant}: ${r.non2xx} non-2xx, ${r.errors} errors`);
  app.requests += r.requests.total;
  app.rounds.push({ rps: r.requests.average, p99: r.latency.p99 });
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const LABELS = {
  bare: 'bare Express (ceiling)',
  'session-core': 'session-core/express, embedded',
  'express-session-memory': 'express-session + MemoryStore',
  'session-core-redis': 'session-core/express, Redis',
  'express-session-redis': 'express-session + connect-redis',
};

async function main() {
  const redis = await startRedis();
  const apps = {};
  try {
    for (const variant of Object.keys(LABELS)) {
      process.stderr.write(`starting ${variant}...\n`);
      apps[variant] = await startApp(variant, redis);
    }
    // Rounds interleave the variants, so that a slower spell of the machine falls on all of them.
    for (let round = 1; round <= ROUNDS; round++) {
      for (const app of Object.values(apps)) {
        process.stderr.write(`round ${round}: ${app.variant}...\n`);
        await measure(app, redis.child.pid);
      }
    }
  } finally {
    for (const app of Object.values(apps)) app.child.kill('SIGKILL');
    await redis.close();
  }
  const rps = (v) => median(apps[v].rounds.map((r) => r.rps));
  const bare = rps('bare');
  const rows = Object.entries(LABELS).map(([v, label]) => {
    const a = apps[v];
    const cpu = (x) => `${((x / a.requests) * 1e6).toFixed(0)} µs`;
    return [label, rps(v).toFixed(0), `${median(a.rounds.map((r) => r.p99))} ms`, cpu(a.appCpu), v.endsWith('redis') ? cpu(a.redisCpu) : '-', `${((rps(v) / bare) * 100).toFixed(0)}%`];
  });
  const head = ['', 'req/s', 'p99', 'app CPU/req', 'Redis CPU/req', 'of bare'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells) => `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(' | ')} |`;
  console.log(
    `\nExpress ${expressVersion}, a session read and a counter bump per request: ${SESSIONS} sessions, ${CONNECTIONS} connections, ` +
      `${ROUNDS} interleaved rounds of ${SECONDS} s per variant (medians; CPU over all rounds), autocannon in its own process\n`,
  );
  console.log(line(head));
  console.log(`|${widths.map((w, i) => (i === 0 ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|`);
  for (const r of rows) console.log(line(r));
  console.log('');
  for (const [ours, peer] of [['session-core', 'express-session-memory'], ['session-core-redis', 'express-session-redis']]) {
    const ratio = rps(ours) / rps(peer);
    const perRound = apps[ours].rounds.map((r, i) => (r.rps / apps[peer].rounds[i].rps).toFixed(2)).join(', ');
    console.log(`${LABELS[ours]} / ${LABELS[peer]}: ${ratio.toFixed(2)}x (rounds: ${perRound}); target ${TARGET}x: ${ratio >= TARGET ? 'met' : 'missed'}`);
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
