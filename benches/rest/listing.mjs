// Bounded listings on the REST server (issue 20): the server's resident memory before and after
// 10 full listings of 300,000 sessions, paged (the default --max-list of 10,000: the client
// follows the cursor) and unpaged (--max-list 0: one answer of every session), with the time
// of each listing. The goal: RSS grows by less than 20% of its resting size.
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const SESSIONS = Number(process.env.BENCH_LIST_SESSIONS ?? 300_000);
const LISTINGS = 10;
const IN_FLIGHT = 64;

function sparePort() {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** Resident memory of a process, MB. */
const rss = (pid) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) / 1024;

async function startServer(bin, args) {
  const port = await sparePort();
  const child = spawn(bin, ['--port', String(port), ...args], { stdio: ['ignore', 'ignore', 'inherit'] });
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 200; i++) {
    try {
      if ((await fetch(`${base}/ping`)).ok) return { child, base };
    } catch {}
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('the server did not start');
}

/** Creates SESSIONS sessions, IN_FLIGHT at a time. */
async function fill(base) {
  let next = 0;
  const worker = async () => {
    while (next < SESSIONS) {
      const i = next++;
      const res = await fetch(`${base}/shop/create/user${i % 50_000}?ip=10.0.${i % 250}.1&ttl=86400`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ plan: 'pro', visits: i }),
      });
      await res.arrayBuffer();
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
}

/** One full listing: pages following the cursor (or one answer); [sessions, bytes, ms]. */
async function listAll(base, query) {
  const t0 = performance.now();
  let sessions = 0;
  let bytes = 0;
  let cursor;
  do {
    const url = `${base}/shop/soapp?dt=86400${query}${cursor ? `&cursor=${cursor}` : ''}`;
    const text = await (await fetch(url)).text();
    bytes += text.length;
    const page = JSON.parse(text);
    sessions += page.sessions.length;
    cursor = page.cursor;
  } while (cursor !== undefined);
  return [sessions, bytes, performance.now() - t0];
}

async function measure(bin, name, args) {
  const { child, base } = await startServer(bin, ['--wipe', '0', ...args]);
  try {
    await fill(base);
    await new Promise((r) => setTimeout(r, 500));
    const resting = rss(child.pid);
    const times = [];
    let seen = 0;
    let bytes = 0;
    for (let i = 0; i < LISTINGS; i++) {
      const [n, b, ms] = await listAll(base, '');
      seen = n;
      bytes = b;
      times.push(ms);
    }
    const after = rss(child.pid);
    times.sort((a, b) => a - b);
    return { name, seen, bytes, resting, after, median: times[LISTINGS >> 1], max: times.at(-1) };
  } finally {
    child.kill('SIGKILL');
  }
}

console.log('building session-core-server (release)...');
const b = spawnSync('cargo', ['build', '--release', '-q', '-p', 'session-core-server'], { cwd: root, stdio: 'inherit' });
if (b.status !== 0) throw new Error('cargo build failed');
const bin = join(root, 'target', 'release', 'session-core-server');

const rows = [
  await measure(bin, 'paged (--max-list 10000, the default)', []),
  await measure(bin, 'unpaged (--max-list 0: one answer)', ['--max-list', '0']),
];
console.log(`\nREST server, ${SESSIONS.toLocaleString('en')} sessions, ${LISTINGS} full listings of soapp each\n`);
console.log('| listing | sessions listed | JSON per listing | RSS resting | RSS after | growth | goal < 20% | median time | slowest |');
console.log('|---|---:|---:|---:|---:|---:|---|---:|---:|');
for (const r of rows) {
  const growth = ((r.after - r.resting) / r.resting) * 100;
  console.log(
    `| ${r.name} | ${r.seen.toLocaleString('en')} | ${(r.bytes / 1e6).toFixed(1)} MB | ${r.resting.toFixed(0)} MB | ` +
      `${r.after.toFixed(0)} MB | ${growth.toFixed(1)}% | ${growth < 20 ? 'met' : 'missed'} | ${(r.median / 1000).toFixed(2)} s | ${(r.max / 1000).toFixed(2)} s |`,
  );
}
