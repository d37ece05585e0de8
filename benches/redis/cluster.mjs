// One app on a 3-master Redis Cluster (16 shards per app) against the same app on one
// redis-server, from Node, in one run: a mixed load (60% get, 30% set, 10% create) at 64 and
// 256 calls in flight. Prints ops/s for both, and for the cluster each master's share of the
// sessions (INFO keyspace) and of the commands (INFO commandstats) with its commands/s: the
// spread figures from which a larger machine's capacity follows. This machine's cores are
// shared by the client and every redis-server, so the cluster cannot show more throughput
// here; the per-master rate is what each master carried. Run: `node cluster.mjs` (here), or
// `npm run bench`.
import { Sessions } from 'session-core';
import { startRedis, startRedisCluster } from '../../tests/js/redis-server.mjs';

const SESSIONS = Number(process.env.CLUSTER_SESSIONS ?? 30_000);
const USERS = SESSIONS / 3;
const SECONDS = Number(process.env.CLUSTER_SECONDS ?? 3);
const APP = 'bench';
/** Commands the client sends to learn the cluster, not to keep sessions. */
const ADMIN = /^(cluster|info|config|ping|client|hello|script|readonly)/;

/**
 * A node's session commands so far (INFO commandstats, admin commands left out; the commands
 * a script runs count too, as Redis counts them), and its scripts (EVALSHA: one per batch).
 */
async function commandsOf(node) {
  const info = await node.command('INFO', 'commandstats');
  let all = 0;
  let scripts = 0;
  for (const line of String(info).split(/\r?\n/)) {
    const m = /^cmdstat_([^:]+):calls=(\d+)/.exec(line);
    if (m && !ADMIN.test(m[1])) all += Number(m[2]);
    if (m && m[1] === 'evalsha') scripts += Number(m[2]);
  }
  return { all, scripts };
}

/** A node's key count (INFO keyspace). */
async function keysOf(node) {
  const m = /db0:keys=(\d+)/.exec(String(await node.command('INFO', 'keyspace')));
  return m ? Number(m[1]) : 0;
}

/** The sessions, created 64 at a time. */
async function seed(s) {
  const tokens = new Array(SESSIONS);
  let next = 0;
  await Promise.all(
    Array.from({ length: 64 }, async () => {
      for (let i = next++; i < SESSIONS; i = next++) {
        tokens[i] = (await s.create({ app: APP, id: `user${i % USERS}`, ip: '10.0.0.1' })).token;
      }
    }),
  );
  return tokens;
}

/** The mixed load for SECONDS with `inFlight` calls at once; answers ops/s. */
async function mixed(s, tokens, inFlight) {
  let ops = 0;
  let n = 0;
  const end = performance.now() + SECONDS * 1000;
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (performance.now() < end) {
        const i = n++;
        const token = tokens[(i * 7919) % tokens.length];
        const kind = i % 10;
        if (kind === 0) await s.create({ app: APP, id: `new${i}`, ip: '10.0.0.2' });
        else if (kind <= 6) await s.get({ app: APP, token });
        else await s.set({ app: APP, token, d: { n: i } });
        ops++;
      }
    }),
  );
  return ops / SECONDS;
}

/** Runs the load on `nodes` through `s`; answers ops/s and each node's commands per run. */
async function measure(s, nodes, tokens) {
  const out = [];
  for (const inFlight of [64, 256]) {
    for (const node of nodes) await node.command('CONFIG', 'RESETSTAT');
    const opsPerSecond = await mixed(s, tokens, inFlight);
    const commands = [];
    for (const node of nodes) commands.push(await commandsOf(node));
    out.push({ inFlight, opsPerSecond, commands });
  }
  return out;
}

const single = await startRedis();
const cluster = await startRedisCluster(3);
try {
  const one = new Sessions({ redis: single.url, wipe: 0 });
  const many = new Sessions({ redis: { cluster: cluster.urls, shards: 16 }, wipe: 0 });
  const oneRuns = await measure(one, [single], await seed(one));
  const manyRuns = await measure(many, cluster.nodes, await seed(many));
  const keys = [];
  for (const node of cluster.nodes) keys.push(await keysOf(node));
  const allKeys = keys.reduce((a, b) => a + b, 0);

  console.log(`One app, ${SESSIONS.toLocaleString('en-US')} sessions, mixed load (60% get, 30% set, 10% create), ${SECONDS} s per run`);
  console.log('| in flight | one redis-server | 3-master cluster, 16 shards | cluster ÷ one |');
  console.log('|---:|---:|---:|---:|');
  for (const [i, run] of manyRuns.entries()) {
    const base = oneRuns[i].opsPerSecond;
    console.log(
      `| ${run.inFlight} | ${Math.round(base).toLocaleString('en-US')} ops/s | ${Math.round(run.opsPerSecond).toLocaleString('en-US')} ops/s | ${(run.opsPerSecond / base).toFixed(2)}× |`,
    );
  }
  console.log('\nEach master of the cluster: its share of the keys (INFO keyspace) and of the commands (INFO');
  console.log("commandstats, a script's own commands included), and the scripts (EVALSHA, one per batch) it ran per second");
  console.log('| master | keys | commands, 64 in flight | scripts/s | commands, 256 in flight | scripts/s |');
  console.log('|---|---:|---:|---:|---:|---:|');
  for (const [m, node] of cluster.nodes.entries()) {
    const cells = manyRuns.flatMap((run) => {
      const all = run.commands.reduce((a, c) => a + c.all, 0);
      return [`${((100 * run.commands[m].all) / all).toFixed(1)}%`, Math.round(run.commands[m].scripts / SECONDS).toLocaleString('en-US')];
    });
    console.log(`| :${node.port} | ${((100 * keys[m]) / allKeys).toFixed(1)}% | ${cells.join(' | ')} |`);
  }
  await one.quit();
  await many.quit();
} finally {
  await single.stop();
  await cluster.close();
}
