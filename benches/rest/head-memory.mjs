// Header memory (issue 26, item 6): the REST server's resident memory while 900 connections
// each send a request line and 50 header lines of 8 KB without the blank line that ends the
// head. Without a cap on a head's size the server buffered up to ~400 KB of each (hyper's
// buffer) for the whole header timeout; with --head-limit (16 KiB by default) it answers 431
// once a head passes the cap and closes the connection. The goal: RSS grows by at most 64 MB.
//
// Usage: node head-memory.mjs [server-binary ...]
// With no binary, builds the release server of this tree and measures it; given binaries (an
// older build, say) are measured one after the other and printed side by side.
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const CONNECTIONS = 900;
const LINES = 50;
const LINE_BYTES = 8 * 1024;
/** How long the attack is held: the server's default --header-timeout is 10 s. */
const HOLD_MS = 10_000;
const GOAL_MB = 64;

function sparePort() {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** A field of /proc/<pid>/status in MB: VmRSS (resident now), VmHWM (the peak so far). */
const status = (pid, field) =>
  Number(new RegExp(`${field}:\\s+(\\d+)`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) / 1024;

async function startServer(bin) {
  const port = await sparePort();
  const child = spawn(bin, ['--port', String(port), '--wipe', '0'], { stdio: ['ignore', 'ignore', 'ignore'] });
  for (let i = 0; i < 200; i++) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/ping`)).ok) return { child, port };
    } catch {}
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${bin} did not start`);
}

/** One attacking connection: the request line, then LINES header lines, never the blank line. */
function attack(port, answers) {
  const socket = connect(port, '127.0.0.1');
  socket.on('error', () => {}); // a reset once the server has answered 431 and closed
  socket.on('data', (d) => {
    const status = / (\d{3}) /.exec(d.toString('latin1'))?.[1] ?? '?';
    answers.set(status, (answers.get(status) ?? 0) + 1);
  });
  socket.write('GET /ping HTTP/1.1\r\nHost: bench\r\n');
  for (let i = 0; i < LINES; i++) socket.write(`X-Line-${i}: ${'a'.repeat(LINE_BYTES)}\r\n`);
  return socket;
}

async function measure(bin) {
  const { child, port } = await startServer(bin);
  try {
    await new Promise((r) => setTimeout(r, 500));
    const resting = status(child.pid, 'VmRSS');
    const answers = new Map();
    const sockets = Array.from({ length: CONNECTIONS }, () => attack(port, answers));
    let highest = resting;
    const started = Date.now();
    while (Date.now() - started < HOLD_MS) {
      highest = Math.max(highest, status(child.pid, 'VmRSS'));
      await new Promise((r) => setTimeout(r, 50));
    }
    const peak = Math.max(highest, status(child.pid, 'VmHWM'));
    const closed = sockets.filter((s) => s.destroyed || s.readableEnded).length;
    for (const s of sockets) s.destroy();
    const ping = (await fetch(`http://127.0.0.1:${port}/ping`)).status;
    return { bin, resting, peak, closed, answers, ping };
  } finally {
    child.kill('SIGKILL');
  }
}

let bins = process.argv.slice(2);
if (bins.length === 0) {
  console.log('building session-core-server (release)...');
  const b = spawnSync('cargo', ['build', '--release', '-q', '-p', 'session-core-server'], { cwd: root, stdio: 'inherit' });
  if (b.status !== 0) throw new Error('cargo build failed');
  bins = [join(root, 'target', 'release', 'session-core-server')];
}
const rows = [];
for (const bin of bins) rows.push(await measure(bin));
console.log(
  `\nREST server, ${CONNECTIONS} connections each sending a request line and ${LINES} header lines of ` +
    `${LINE_BYTES / 1024} KB without the blank line, held ${HOLD_MS / 1000} s\n`,
);
console.log(`| server | RSS resting | RSS peak | growth | goal ≤ ${GOAL_MB} MB | answers | closed by the server | /ping after |`);
console.log('|---|---:|---:|---:|---|---|---:|---:|');
for (const r of rows) {
  const growth = r.peak - r.resting;
  const answers = [...r.answers].map(([s, n]) => `${n}× ${s}`).join(', ') || 'none';
  console.log(
    `| ${r.bin} | ${r.resting.toFixed(1)} MB | ${r.peak.toFixed(1)} MB | ${growth.toFixed(1)} MB | ` +
      `${growth <= GOAL_MB ? 'met' : 'missed'} | ${answers} | ${r.closed} of ${CONNECTIONS} | ${r.ping} |`,
  );
}
