// Snapshots and request latency (issue 26, item 7): the REST server on the memory store with
// `--data`, at 300,000 and 1,000,000 sessions, answering GETs at one connection, with snapshots
// every SNAPSHOT_EVERY seconds and without any, RUNS runs each. Prints p50, p99, p99.9 and the
// maximum side by side, and each run's p99.9 with snapshots ÷ without. The goal: at most 2×.
//
// The sessions are created once per size over HTTP; the server's last snapshot then seeds every
// run (each run starts a fresh server on that file, and is killed with SIGKILL, so the file stays
// as the fill left it, apart from the snapshots of the runs that take them).
//
// Environment: BENCH_SNAPSHOT_SESSIONS (sizes, comma-separated; default 300000,1000000),
// BENCH_SNAPSHOT_SECONDS (seconds measured per run; default 12), BENCH_SERVER_BIN (a server
// binary to measure instead of building this tree's), BENCH_BEFORE_BIN (another build, say of
// the commit before a change, measured in turn with this one in every run, so that both see
// the same machine: its rows are labelled "before").
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const SIZES = (process.env.BENCH_SNAPSHOT_SESSIONS ?? '300000,1000000').split(',').map(Number);
const SECONDS = Number(process.env.BENCH_SNAPSHOT_SECONDS ?? 12);
const RUNS = 3;
const SNAPSHOT_EVERY = 2;
const FILL_CONNECTIONS = 32;
/** Tokens kept from the fill, read in a fixed pseudo-random walk. */
const SAMPLE = 10_000;

function sparePort() {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** One kept-alive HTTP/1.1 connection, one request at a time (answers are Content-Length framed). */
class Connection {
  constructor(port) {
    this.socket = connect(port, '127.0.0.1');
    this.socket.setNoDelay(true);
    this.buffer = Buffer.alloc(0);
    this.pending = null;
    this.socket.on('data', (d) => {
      this.buffer = this.buffer.length ? Buffer.concat([this.buffer, d]) : d;
      this.parse();
    });
    this.socket.on('error', (e) => this.pending?.reject(e));
    this.socket.on('close', () => this.pending?.reject(new Error('the connection closed')));
    this.ready = new Promise((resolve, reject) => {
      this.socket.once('connect', resolve);
      this.socket.once('error', reject);
    });
  }

  parse() {
    if (!this.pending) return;
    const end = this.buffer.indexOf('\r\n\r\n');
    if (end < 0) return;
    const head = this.buffer.subarray(0, end).toString('latin1');
    const length = Number(/content-length: *(\d+)/i.exec(head)?.[1] ?? 0);
    if (this.buffer.length < end + 4 + length) return;
    const status = Number(head.slice(9, 12));
    const body = this.buffer.subarray(end + 4, end + 4 + length).toString();
    this.buffer = this.buffer.subarray(end + 4 + length);
    const { resolve } = this.pending;
    this.pending = null;
    resolve({ status, body });
  }

  request(method, path, body) {
    return new Promise((resolve, reject) => {
      this.pending = { resolve, reject };
      const payload = body === undefined ? '' : body;
      const headers = body === undefined ? '' : `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(payload)}\r\n`;
      this.socket.write(`${method} ${path} HTTP/1.1\r\nHost: bench\r\n${headers}\r\n${payload}`);
    });
  }

  close() {
    this.socket.destroy();
  }
}

async function startServer(bin, args) {
  const port = await sparePort();
  const child = spawn(bin, ['--port', String(port), '--wipe', '0', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr.on('data', (d) => (log += d));
  for (let i = 0; i < 1200; i++) {
    if (log.includes('listening on')) return { child, port, log: () => log };
    if (child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  child.kill('SIGKILL');
  throw new Error(`the server did not start: ${log}`);
}

function stopped(child) {
  return new Promise((resolve) => (child.exitCode !== null ? resolve() : child.once('exit', resolve)));
}

/** Creates `n` sessions (about 100 bytes each) and keeps SAMPLE of their tokens. */
async function fill(port, n) {
  const step = Math.max(1, Math.floor(n / SAMPLE));
  const kept = [];
  let next = 0;
  const worker = async () => {
    const c = new Connection(port);
    await c.ready;
    while (next < n) {
      const i = next++;
      const path = `/shop/create/user${i % 200_000}?ip=10.0.${i % 250}.1&ttl=86400`;
      const res = await c.request('PUT', path, JSON.stringify({ plan: 'pro', visits: i }));
      if (res.status !== 200) throw new Error(`create: ${res.status} ${res.body}`);
      if (i % step === 0 && kept.length < SAMPLE) kept.push(JSON.parse(res.body).token);
    }
    c.close();
  };
  await Promise.all(Array.from({ length: FILL_CONNECTIONS }, worker));
  return kept;
}

const quantile = (sorted, q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];

/** GETs at one connection for `seconds`; latencies in ms, and how many snapshots were written meanwhile. */
async function measureGets(port, tokens, seconds, file) {
  const c = new Connection(port);
  await c.ready;
  let i = 0;
  const get = async () => {
    const t = tokens[(i++ * 7_919) % tokens.length];
    const res = await c.request('GET', `/shop/get/${t}`);
    if (res.status !== 200 || res.body === '{}') throw new Error(`get: ${res.status} ${res.body}`);
  };
  // Warm up (connection, caches, the JIT), then measure.
  const warm = performance.now() + 1000;
  while (performance.now() < warm) await get();
  const mtime = () => statSync(file).mtimeMs;
  let last = mtime();
  let snapshots = 0;
  const watch = setInterval(() => {
    const m = mtime();
    if (m !== last) {
      snapshots++;
      last = m;
    }
  }, 50);
  const latencies = [];
  const end = performance.now() + seconds * 1000;
  while (performance.now() < end) {
    const t0 = process.hrtime.bigint();
    await get();
    latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  clearInterval(watch);
  c.close();
  latencies.sort((a, b) => a - b);
  return {
    requests: latencies.length,
    p50: quantile(latencies, 0.5),
    p99: quantile(latencies, 0.99),
    p999: quantile(latencies, 0.999),
    max: latencies.at(-1),
    snapshots,
  };
}

let bin = process.env.BENCH_SERVER_BIN;
if (!bin) {
  console.log('building session-core-server (release)...');
  const b = spawnSync('cargo', ['build', '--release', '-q', '-p', 'session-core-server'], { cwd: root, stdio: 'inherit' });
  if (b.status !== 0) throw new Error('cargo build failed');
  bin = join(root, 'target', 'release', 'session-core-server');
}

const servers = [['this', bin]];
if (process.env.BENCH_BEFORE_BIN) servers.unshift(['before', process.env.BENCH_BEFORE_BIN]);

const dir = mkdtempSync(join(tmpdir(), 'scs-bench-snapshot-'));
const rows = [];
try {
  for (const n of SIZES) {
    const file = join(dir, `sessions-${n}.bin`);
    console.log(`filling ${n.toLocaleString('en')} sessions...`);
    const filler = await startServer(bin, ['--data', file, '--snapshot-interval', '86400']);
    const tokens = await fill(filler.port, n);
    filler.child.kill('SIGTERM');
    await stopped(filler.child);
    const size = statSync(file).size;
    for (let run = 1; run <= RUNS; run++) {
      for (const [name, serverBin] of servers) {
        for (const mode of ['without', 'with']) {
          const every = mode === 'with' ? SNAPSHOT_EVERY : 86400;
          const server = await startServer(serverBin, ['--data', file, '--snapshot-interval', String(every)]);
          try {
            const r = await measureGets(server.port, tokens, SECONDS, file);
            rows.push({ n, run, name, mode, size, ...r });
            console.log(
              `  ${n} run ${run} ${name} ${mode} snapshots: ${r.requests} GETs, p99.9 ${r.p999.toFixed(3)} ms, ` +
                `max ${r.max.toFixed(2)} ms, ${r.snapshots} snapshots`,
            );
          } finally {
            server.child.kill('SIGKILL');
            await stopped(server.child);
          }
        }
      }
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

const ms = (x) => x.toFixed(3);
console.log(
  `\nREST server, memory store with --data: GET latency at one connection over ${SECONDS} s, ` +
    `with a snapshot every ${SNAPSHOT_EVERY} s and without (ms; ${RUNS} runs)\n`,
);
const withServer = servers.length > 1;
console.log(`| sessions | run |${withServer ? ' server |' : ''} snapshots | GETs | p50 | p99 | p99.9 | max | p99.9 with ÷ without | goal ≤ 2× |`);
console.log(`|---:|---:|${withServer ? '---|' : ''}---|---:|---:|---:|---:|---:|---:|---|`);
const verdicts = [];
for (const [name] of servers) {
  for (const n of SIZES) {
    let met = 0;
    for (let run = 1; run <= RUNS; run++) {
      const without = rows.find((r) => r.n === n && r.run === run && r.name === name && r.mode === 'without');
      const withS = rows.find((r) => r.n === n && r.run === run && r.name === name && r.mode === 'with');
      const ratio = withS.p999 / without.p999;
      if (ratio <= 2) met++;
      for (const r of [without, withS]) {
        const label = r.mode === 'with' ? `${r.snapshots} taken (file ${(r.size / 1e6).toFixed(0)} MB)` : 'none';
        const tail = r.mode === 'with' ? `${ratio.toFixed(2)}× | ${ratio <= 2 ? 'met' : 'missed'}` : ' | ';
        console.log(
          `| ${n.toLocaleString('en')} | ${run} |${withServer ? ` ${name} |` : ''} ${label} | ${r.requests} | ${ms(r.p50)} | ${ms(r.p99)} | ` +
            `${ms(r.p999)} | ${ms(r.max)} | ${tail} |`,
        );
      }
    }
    verdicts.push(`${withServer ? `${name}: ` : ''}${n.toLocaleString('en')} sessions: met in ${met} of ${RUNS} runs`);
  }
}
console.log(`\n${verdicts.join('; ')}`);
