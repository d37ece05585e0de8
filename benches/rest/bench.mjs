// The REST server, side by side, in one run: session-core-server on its memory store and on
// Redis, and rest-sessions' own stack (Express + redis-sessions 4.0.0) on the same Redis.
// get and set at 64 connections with autocannon; prints req/s, p99 and the ratios.
import autocannon from 'autocannon';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const CONNECTIONS = 64;
const children = [];

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function sparePort() {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

function start(cmd, args) {
  const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'inherit'] });
  children.push(child);
  return child;
}

async function waitFor(url) {
  for (let i = 0; i < 200; i++) {
    try {
      const r = await fetch(url);
      if (r.ok) return;
    } catch {}
    await sleep(50);
  }
  throw new Error(`${url} did not come up`);
}

async function create(base, i) {
  const r = await fetch(`${base}/bench/create/user${i}?ip=10.0.0.1&ttl=3600`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ theme: 'dark', cart: 1, admin: false }),
  });
  return (await r.json()).token;
}

/** `SESSIONS` sessions; each request picks the next one, so load spreads like real traffic. */
async function load(name, base, sessions) {
  const tokens = [];
  for (let i = 0; i < sessions; i++) tokens.push(await create(base, i));
  let n = 0;
  const next = () => tokens[n++ % tokens.length];
  const run = (opts) =>
    autocannon({ url: base, connections: CONNECTIONS, duration: SECONDS, ...opts });
  const get = await run({
    requests: [{ method: 'GET', setupRequest: (req) => ({ ...req, path: `/bench/get/${next()}` }) }],
  });
  const set = await run({
    requests: [{
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ cart: 2 }),
      setupRequest: (req) => ({ ...req, path: `/bench/set/${next()}` }),
    }],
  });
  for (const [op, r] of [['get', get], ['set', set]]) {
    if (r.non2xx > 0 || r.errors > 0) throw new Error(`${name} ${op}: ${r.non2xx} non-2xx, ${r.errors} errors`);
  }
  return { name, get, set };
}

async function main() {
  console.log('building session-core-server (release)...');
  const b = spawnSync('cargo', ['build', '--release', '-q', '-p', 'session-core-server'], { cwd: root, stdio: 'inherit' });
  if (b.status !== 0) throw new Error('cargo build failed');
  const bin = join(root, 'target', 'release', 'session-core-server');

  const dir = mkdtempSync(join(tmpdir(), 'scs-bench-'));
  const redisPort = await sparePort();
  start('redis-server', ['--port', String(redisPort), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no']);
  await sleep(300);
  const redisUrl = `redis://127.0.0.1:${redisPort}/`;

  const ports = { mem: await sparePort(), redis: await sparePort(), express: await sparePort() };
  start(bin, ['--port', String(ports.mem), '--wipe', '0']);
  start(bin, ['--port', String(ports.redis), '--wipe', '0', '--redis', redisUrl]);
  start(process.execPath, [join(here, 'express-app.cjs'), String(ports.express), String(redisPort)]);
  const base = (p) => `http://127.0.0.1:${p}`;
  await waitFor(`${base(ports.mem)}/ping`);
  await waitFor(`${base(ports.redis)}/ping`);
  await waitFor(`${base(ports.express)}/ping`);

  for (const sessions of [1000, 1]) {
    const results = [];
    for (const [name, port] of [
      ['session-core-server, memory store', ports.mem],
      ['session-core-server, Redis', ports.redis],
      ['Express + redis-sessions 4.0.0, Redis', ports.express],
    ]) {
      console.log(`measuring ${name} (${sessions} sessions, ${SECONDS} s per op, ${CONNECTIONS} connections)...`);
      results.push(await load(name, base(port), sessions));
    }
    table(results, sessions);
  }
  rmSync(dir, { recursive: true, force: true });
}

function table(results, sessions) {
  const peer = results[2];
  const spread = sessions === 1
    ? 'every request on ONE session (a hot key: session-core queues same-session updates, which is what keeps them from being lost)'
    : `requests spread over ${sessions} sessions`;
  console.log(`\n${spread}:`);
  console.log(`\n| server | get req/s | get p99 ms | set req/s | set p99 ms | get ÷ Express | set ÷ Express |`);
  console.log('|---|---:|---:|---:|---:|---:|---:|');
  for (const r of results) {
    const ratio = (op) => (r[op].requests.average / peer[op].requests.average).toFixed(2);
    console.log(
      `| ${r.name} | ${Math.round(r.get.requests.average)} | ${r.get.latency.p99} | ` +
        `${Math.round(r.set.requests.average)} | ${r.set.latency.p99} | ${ratio('get')}× | ${ratio('set')}× |`,
    );
  }
}

main()
  .catch((e) => {
    console.error(e);
    process.exitCode = 1;
  })
  .finally(() => {
    for (const c of children) c.kill();
  });
