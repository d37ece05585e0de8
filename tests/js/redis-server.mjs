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
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
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
  constructor(port, dir) {
    this.port = port;
    this.dir = dir;
    this.url = `redis://${HOST}:${port}`;
    this.child = null;
  }

  /** Starts it (again, after `stop`) on its port; resolves once it answers PING. */
  async start() {
    if (this.child !== null) return;
    const args = [
      '--port', String(this.port),
      '--bind', HOST,
      '--dir', this.dir,
      '--save', '',
      '--appendonly', 'no',
      '--logfile', join(this.dir, 'redis.log'),
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
export async function startRedis() {
  let last;
  for (let i = 0; i < 10; i++) {
    const port = await sparePort();
    const server = new RedisServer(port, mkdtempSync(join(tmpdir(), `session-core-redis-${port}-`)));
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
