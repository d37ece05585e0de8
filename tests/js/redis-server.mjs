// Real `redis-server` processes for JavaScript tests and benchmarks: on a spare loopback port,
// in a temp dir, without persistence, stopped by pid. The JS twin of
// tests/conformance/src/redis_server.rs. A missing redis-server FAILS with a clear message:
// tests that need Redis never skip.
//
//   import { startRedis } from '../../tests/js/redis-server.mjs';
//   const redis = await startRedis();
//   redis.url;                        // 'redis://127.0.0.1:PORT'
//   await redis.command('FLUSHDB');   // one command, its reply decoded
//   await redis.calls('evalsha');     // how many EVALSHA it ran (INFO commandstats)
//   await redis.stop();               // SIGKILL, by pid; await redis.start() restarts it
//
//   const tls = await startRedisTls();  // also serves TLS: tls.tlsUrl, 'rediss://127.0.0.1:PORT'
//   tls.tls.ca;                         // PEM file paths made by openssl: ca, clientCert, ...
//
//   const cluster = await startRedisCluster(3);  // 3 masters: cluster.urls, cluster.close()
//   const set = await startSentinels();  // a master, a replica, three sentinels
//   set.url;                             // 'redis+sentinel://127.0.0.1:A,…/mymaster'
//   await set.servers[0].stop();         // the master dies; await set.masterPort() names the replica
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stopByPid, track } from './processes.mjs';

const HOST = '127.0.0.1';
const NOT_INSTALLED =
  'redis-server is not installed (not on PATH). The Redis tests need a real server: install it ' +
  '(Debian/Ubuntu: apt-get install -y redis-server) and run the tests again.';

/** A free TCP port on the loopback interface (the OS picks it). */
export function sparePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, HOST, () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** Encodes one command in RESP. */
function encode(args) {
  let out = `*${args.length}\r\n`;
  for (const a of args) {
    const s = String(a);
    out += `$${Buffer.byteLength(s)}\r\n${s}\r\n`;
  }
  return out;
}

/**
 * Decodes one RESP2 reply at `buf[at..]`: `{ value, end }`, or `null` while incomplete.
 * Errors decode as Error objects.
 */
function decode(buf, at = 0) {
  const eol = buf.indexOf('\r\n', at);
  if (eol < 0) return null;
  const type = String.fromCharCode(buf[at]);
  const line = buf.toString('utf8', at + 1, eol);
  const next = eol + 2;
  switch (type) {
    case '+':
      return { value: line, end: next };
    case '-':
      return { value: new Error(line), end: next };
    case ':':
      return { value: Number(line), end: next };
    case '$': {
      const n = Number(line);
      if (n < 0) return { value: null, end: next };
      if (buf.length < next + n + 2) return null;
      return { value: buf.toString('utf8', next, next + n), end: next + n + 2 };
    }
    case '*': {
      const n = Number(line);
      if (n < 0) return { value: null, end: next };
      const items = [];
      let end = next;
      for (let i = 0; i < n; i++) {
        const item = decode(buf, end);
        if (item === null) return null;
        items.push(item.value);
        end = item.end;
      }
      return { value: items, end };
    }
    default:
      throw new Error(`unexpected RESP reply: ${JSON.stringify(buf.toString('utf8', at))}`);
  }
}

/**
 * Sends one command to the Redis on `port` over a fresh connection; resolves to its decoded
 * reply (a Redis error reply rejects).
 */
export function redisCommand(port, ...args) {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host: HOST, port });
    let buf = Buffer.alloc(0);
    socket.setTimeout(5_000, () => socket.destroy(new Error(`Redis on port ${port} did not answer ${args[0]}`)));
    socket.on('error', reject);
    socket.on('connect', () => socket.write(encode(args)));
    socket.on('data', (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      let reply;
      try {
        reply = decode(buf);
      } catch (e) {
        socket.destroy();
        reject(e);
        return;
      }
      if (reply === null) return;
      socket.end();
      if (reply.value instanceof Error) reject(reply.value);
      else resolve(reply.value);
    });
  });
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** One redis-server on 127.0.0.1. */
export class RedisServer {
  /** @param {number} port @param {string} dir */
  constructor(port, dir, extra = []) {
    this.port = port;
    this.dir = dir;
    this.url = `redis://${HOST}:${port}`;
    this.child = null;
    this.extra = extra;
  }

  /**
   * Starts it again (after `stop`) as a replica of the master at `port` that can never be
   * promoted (`replica-priority 0`): how a supervisor must bring back a master without
   * persistence after a failover. Empty, it would otherwise be a candidate for the next
   * failover, and its promotion would lose every write (Redis's documentation warns of it; a
   * spurious second failover on a loaded machine does it). The twin of
   * `RedisServer::restart_as_replica_of` in redis_server.rs.
   */
  async startAsReplicaOf(port) {
    this.extra = [...this.extra, '--replicaof', HOST, String(port), '--replica-priority', '0'];
    await this.start();
  }

  /** Starts it (again, after `stop`) on its port; resolves once it answers PING. */
  async start() {
    if (this.child !== null) return;
    // A sentinel's config file (which it rewrites) must come first.
    const sentinel = this.extra[1] === '--sentinel';
    const args = [
      ...(sentinel ? this.extra.slice(0, 1) : []),
      '--port', String(this.port),
      '--bind', HOST,
      '--dir', this.dir,
      '--save', '',
      '--appendonly', 'no',
      '--logfile', join(this.dir, 'redis.log'),
      ...(sentinel ? this.extra.slice(1) : this.extra),
    ];
    const child = spawn('redis-server', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    let exited = null;
    const spawned = new Promise((resolve) => {
      child.on('spawn', () => resolve(null));
      child.on('error', (e) => resolve(e));
    });
    child.on('exit', (code, signal) => {
      exited = { code, signal };
    });
    const err = await spawned;
    if (err !== null) {
      throw err.code === 'ENOENT' ? new Error(NOT_INSTALLED) : new Error(`cannot run redis-server: ${err.message}`);
    }
    track(child, 'SIGKILL');
    const deadline = Date.now() + 10_000;
    for (;;) {
      if (exited !== null) {
        throw new Error(`redis-server on port ${this.port} exited (${exited.signal ?? exited.code}): ${stderr}${this.#logTail()}`);
      }
      try {
        if ((await redisCommand(this.port, 'PING')) === 'PONG') break;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`redis-server on port ${this.port} did not answer PING${this.#logTail()}`);
      }
      await sleep(10);
    }
    this.child = child;
  }

  /** Kills it (SIGKILL, by pid) and waits until it is gone; the port is free afterwards. */
  async stop() {
    const child = this.child;
    if (child === null) return;
    this.child = null;
    await stopByPid(child, 'SIGKILL');
  }

  /** Stops it and removes its temp dir. */
  async close() {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** One command (`'INFO', 'commandstats'`, `'FLUSHDB'`...), its reply decoded. */
  command(...args) {
    return redisCommand(this.port, ...args);
  }

  /** How many times `name` ran (`evalsha`, `eval`, ...), from INFO commandstats. */
  async calls(name) {
    const info = await this.command('INFO', 'commandstats');
    const m = new RegExp(`^cmdstat_${name}:calls=(\\d+)`, 'm').exec(info);
    return m === null ? 0 : Number(m[1]);
  }

  #logTail() {
    try {
      const lines = readFileSync(join(this.dir, 'redis.log'), 'utf8').trim().split('\n');
      return `\nlog:\n${lines.slice(-10).join('\n')}`;
    } catch {
      return '';
    }
  }
}

/** Starts a fresh redis-server on a spare loopback port, in a new temp dir. */
export async function startRedis(extra = [], configure = () => []) {
  let last;
  for (let i = 0; i < 10; i++) {
    const port = await sparePort();
    const dir = mkdtempSync(join(tmpdir(), `session-core-redis-${port}-`));
    const server = new RedisServer(port, dir, [...configure(dir), ...extra]);
    try {
      await server.start();
      return server;
    } catch (e) {
      rmSync(server.dir, { recursive: true, force: true });
      if (e.message === NOT_INSTALLED) throw e;
      last = e; // most likely the port was taken in between: try another
    }
  }
  throw new Error(`could not start redis-server: ${last?.message}`);
}

/**
 * A throwaway CA and the certificates it signed, made by openssl in `dir` (EC P-256, valid two
 * days): the server's (for 127.0.0.1 and localhost), a client's, and another CA that signed
 * nothing. Returns their PEM file paths. The JS twin of TlsFiles in redis_server.rs.
 */
export function makeTlsFiles(dir) {
  mkdirSync(dir, { recursive: true });
  const openssl = (...args) => {
    try {
      execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
    } catch (e) {
      if (e.code === 'ENOENT') {
        throw new Error('openssl is not installed (not on PATH); the TLS tests make their certificates with it (Debian/Ubuntu: apt-get install -y openssl)');
      }
      throw new Error(`openssl ${args.join(' ')} failed: ${e.stderr ?? e.message}`);
    }
  };
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  for (const ca of ['ca', 'other-ca']) {
    openssl('req', '-x509', ...ec, '-keyout', `${ca}.key`, '-out', `${ca}.crt`, '-days', '2',
      '-subj', `/CN=session-core test ${ca}`, '-addext', 'basicConstraints=critical,CA:TRUE',
      '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
  }
  const leaves = [
    ['server', 'localhost', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n'],
    ['client', 'session-core test client', 'extendedKeyUsage=clientAuth\n'],
  ];
  let serial = 1;
  for (const [leaf, cn, ext] of leaves) {
    writeFileSync(join(dir, `${leaf}.ext`), `${ext}basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\n`);
    openssl('req', ...ec, '-keyout', `${leaf}.key`, '-out', `${leaf}.csr`, '-subj', `/CN=${cn}`);
    openssl('x509', '-req', '-in', `${leaf}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-set_serial',
      `${process.pid}${serial++}`, '-out', `${leaf}.crt`, '-days', '2', '-extfile', `${leaf}.ext`);
  }
  return {
    ca: join(dir, 'ca.crt'),
    serverCert: join(dir, 'server.crt'),
    serverKey: join(dir, 'server.key'),
    clientCert: join(dir, 'client.crt'),
    clientKey: join(dir, 'client.key'),
    otherCa: join(dir, 'other-ca.crt'),
  };
}

/**
 * A fresh redis-server that also serves TLS on a second port (`tlsPort`, `tlsUrl`), with the
 * certificates of `makeTlsFiles` (`tls`). With `authClients`, clients must present a
 * certificate the CA signed. The plain port stays open for the tests' own commands.
 */
export async function startRedisTls({ authClients = false } = {}) {
  let last;
  for (let i = 0; i < 10; i++) {
    const port = await sparePort();
    const tlsPort = await sparePort();
    if (port === tlsPort) continue;
    const dir = mkdtempSync(join(tmpdir(), `session-core-redis-${port}-`));
    const tls = makeTlsFiles(join(dir, 'tls'));
    const extra = [
      '--tls-port', String(tlsPort),
      '--tls-cert-file', tls.serverCert,
      '--tls-key-file', tls.serverKey,
      '--tls-ca-cert-file', tls.ca,
      '--tls-auth-clients', authClients ? 'yes' : 'no',
    ];
    const server = new RedisServer(port, dir, extra);
    server.tls = tls;
    server.tlsPort = tlsPort;
    server.tlsUrl = `rediss://${HOST}:${tlsPort}`;
    try {
      await server.start();
      return server;
    } catch (e) {
      rmSync(dir, { recursive: true, force: true });
      if (e.message === NOT_INSTALLED) throw e;
      last = e;
    }
  }
  throw new Error(`could not start redis-server with TLS: ${last?.message}`);
}

/** A spare loopback port whose cluster bus port (+10000) is free too. */
async function spareClusterPort() {
  for (;;) {
    const port = await sparePort();
    if (port > 55_535) continue;
    const bus = await new Promise((resolve) => {
      const srv = createServer();
      srv.unref();
      srv.on('error', () => resolve(false));
      srv.listen(port + 10_000, HOST, () => srv.close(() => resolve(true)));
    });
    if (bus) return port;
  }
}

/**
 * A local Redis Cluster of `masters` masters and no replicas, each a `RedisServer` started
 * with `--cluster-enabled yes`, joined by `redis-cli --cluster create … --cluster-yes`; the
 * JS twin of `Cluster` in redis_server.rs. Resolves once every node reports `cluster_state:ok`
 * with all 16384 slots covered.
 *
 *   const cluster = await startRedisCluster(3);
 *   cluster.urls;                          // every node's 'redis://127.0.0.1:PORT'
 *   await cluster.command('FLUSHALL');     // on every master; the replies as an array
 *   await cluster.close();                 // every node stopped by pid, temp dirs removed
 */
export async function startRedisCluster(masters = 3) {
  const nodes = [];
  const cluster = {
    nodes,
    get urls() {
      return nodes.map((n) => n.url);
    },
    command: (...args) => Promise.all(nodes.map((n) => n.command(...args))),
    close: () => Promise.all(nodes.map((n) => n.close())),
  };
  try {
    while (nodes.length < masters) {
      const port = await spareClusterPort();
      const node = new RedisServer(port, mkdtempSync(join(tmpdir(), `session-core-redis-${port}-`)), [
        '--cluster-enabled', 'yes',
        '--cluster-config-file', 'nodes.conf',
        '--cluster-node-timeout', '5000',
      ]);
      try {
        await node.start();
        nodes.push(node);
      } catch (e) {
        rmSync(node.dir, { recursive: true, force: true });
        if (e.message === NOT_INSTALLED) throw e;
        // most likely the port was taken in between: try another
      }
    }
    const args = ['--cluster', 'create', ...nodes.map((n) => `${HOST}:${n.port}`), '--cluster-replicas', '0', '--cluster-yes'];
    try {
      execFileSync('redis-cli', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (e) {
      if (e.code === 'ENOENT') {
        throw new Error('redis-cli is not installed (not on PATH); it comes with redis-server (Debian/Ubuntu: apt-get install -y redis-server)');
      }
      throw new Error(`redis-cli --cluster create failed:\n${e.stdout ?? ''}${e.stderr ?? e.message}`);
    }
    const deadline = Date.now() + 20_000;
    for (;;) {
      const infos = await cluster.command('CLUSTER', 'INFO');
      if (infos.every((i) => i.includes('cluster_state:ok') && i.includes('cluster_slots_ok:16384'))) return cluster;
      if (Date.now() > deadline) throw new Error(`the cluster did not become ok:\n${infos.join('\n')}`);
      await sleep(50);
    }
  } catch (e) {
    await cluster.close();
    throw e;
  }
}

/** The name the sentinels of `startSentinels` know the master by. */
export const SENTINEL_MASTER = 'mymaster';

async function waitFor(what, ready, ms = 20_000) {
  const deadline = Date.now() + ms;
  while (!(await ready())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

/**
 * A master, one replica (caught up), and three sentinels watching them as `mymaster` (quorum
 * 2, the master down after one second without an answer, so a failover takes a few
 * seconds). The JS twin of Sentinels in redis_server.rs. `url` is the
 * `redis+sentinel://` URL; `masterPort()` the port every sentinel has switched to (`null`
 * while they disagree or a failover is in progress); `close()` stops them all.
 */
export async function startSentinels() {
  const master = await startRedis();
  const replica = await startRedis(['--replicaof', HOST, String(master.port)]);
  await waitFor('the replica to sync', async () =>
    (await replica.command('INFO', 'replication')).includes('master_link_status:up'));
  const sentinels = [];
  for (let i = 0; i < 3; i++) {
    sentinels.push(await startRedis(['--sentinel'], (dir) => {
      const conf = join(dir, 'sentinel.conf');
      const m = SENTINEL_MASTER;
      writeFileSync(conf, [
        `sentinel monitor ${m} ${HOST} ${master.port} 2`,
        `sentinel down-after-milliseconds ${m} 1000`,
        `sentinel failover-timeout ${m} 3000`,
        `sentinel parallel-syncs ${m} 1`,
        '',
      ].join('\n'));
      return [conf];
    }));
  }
  await waitFor('the sentinels to see each other and the replica', async () => {
    for (const s of sentinels) {
      const fields = await s.command('SENTINEL', 'master', SENTINEL_MASTER);
      const field = (name) => fields[fields.indexOf(name) + 1];
      if (field('num-other-sentinels') !== '2' || field('num-slaves') !== '1') return false;
    }
    return true;
  });
  const servers = [master, replica];
  return {
    servers,
    sentinels,
    url: `redis+sentinel://${sentinels.map((s) => `${HOST}:${s.port}`).join(',')}/${SENTINEL_MASTER}`,
    async masterPort() {
      // `SENTINEL master` changes at the switch, when the failover is over.
      const named = await Promise.all(sentinels.map((s) =>
        s.command('SENTINEL', 'master', SENTINEL_MASTER).then((r) => Number(r[r.indexOf('port') + 1]), () => null)));
      return named.every((p) => p === named[0]) ? named[0] : null;
    },
    async close() {
      for (const s of [...sentinels, ...servers]) await s.close();
    },
  };
}
