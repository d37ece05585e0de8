// Real PostgreSQL servers for JavaScript tests: initdb in a temp dir, `postgres` on a spare
// loopback port with its socket in that dir, stopped by pid. The binaries are found under
// /usr/lib/postgresql/*/bin (Debian's layout; the newest version wins), then on PATH. initdb
// and postgres refuse to run as root: as root, they run as the `postgres` user (or `nobody`),
// which owns the temp dir. A missing PostgreSQL FAILS with a clear message: tests that need
// it never skip.
//
//   import { startPostgres } from '../../tests/js/postgres-server.mjs';
//   const pg = await startPostgres();
//   pg.url;            // 'postgres://postgres@127.0.0.1:PORT/postgres'
//   pg.collation;      // the database's default collation: 'icu en-US' (or 'C' without ICU)
//   await pg.close();  // SIGINT (fast shutdown) by pid, then the temp dir is removed
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stopByPid, track } from './processes.mjs';
import { sparePort } from './redis-server.mjs';

const HOST = '127.0.0.1';
const NOT_INSTALLED =
  'PostgreSQL is not installed (no initdb under /usr/lib/postgresql/*/bin or on PATH). The ' +
  'PostgreSQL tests need a real server: install it (Debian/Ubuntu: apt-get install -y ' +
  'postgresql) and run the tests again.';

/** The folder with initdb and postgres: the newest /usr/lib/postgresql/N/bin, else PATH. */
export function postgresBin() {
  const base = '/usr/lib/postgresql';
  if (existsSync(base)) {
    const versions = readdirSync(base)
      .filter((v) => existsSync(join(base, v, 'bin', 'initdb')) && existsSync(join(base, v, 'bin', 'postgres')))
      .sort((a, b) => Number.parseFloat(b) - Number.parseFloat(a));
    if (versions.length > 0) return join(base, versions[0], 'bin');
  }
  const which = spawnSync('sh', ['-c', 'command -v initdb'], { encoding: 'utf8' });
  if (which.status === 0 && which.stdout.trim() !== '') return join(which.stdout.trim(), '..');
  throw new Error(NOT_INSTALLED);
}

/** As root: the uid and gid of an unprivileged user to run the server as; else undefined. */
function runAs() {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return undefined;
  const passwd = readFileSync('/etc/passwd', 'utf8').split('\n').map((l) => l.split(':'));
  for (const name of ['postgres', 'nobody']) {
    const entry = passwd.find((f) => f[0] === name);
    if (entry) return { uid: Number(entry[2]), gid: Number(entry[3]) };
  }
  throw new Error('running as root, and there is no postgres or nobody user to run PostgreSQL as');
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** One PostgreSQL server on 127.0.0.1, its data and socket in a temp dir. */
export class PostgresServer {
  constructor(port, dir, bin, user) {
    this.port = port;
    this.dir = dir;
    this.bin = bin;
    this.user = user;
    this.url = `postgres://postgres@${HOST}:${port}/postgres`;
    this.child = null;
    this.log = '';
  }

  /** initdb (once), then starts postgres; resolves once it accepts connections. */
  async start() {
    const data = join(this.dir, 'data');
    const ids = this.user ?? {};
    if (!existsSync(data)) {
      // The database's default collation is ICU's en-US, not byte order (as on most servers),
      // so that a store's tests show it sorts what must be in byte order by itself (COLLATE
      // "C"). A PostgreSQL without ICU locales (before 15) gets the C locale.
      const base = ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync', '--no-instructions'];
      const opts = { ...ids, stdio: ['ignore', 'ignore', 'pipe'], cwd: this.dir };
      try {
        execFileSync(join(this.bin, 'initdb'), [...base, '--locale=C.UTF-8', '--locale-provider=icu', '--icu-locale=en-US'], opts);
        this.collation = 'icu en-US';
      } catch {
        rmSync(data, { recursive: true, force: true });
        execFileSync(join(this.bin, 'initdb'), [...base, '--locale=C'], opts);
        this.collation = 'C';
      }
    }
    const args = [
      '-D', data,
      '-p', String(this.port),
      '-h', HOST,
      '-k', this.dir,
      '-c', 'fsync=off',
      '-c', 'synchronous_commit=off',
      '-c', 'full_page_writes=off',
      '-c', 'max_connections=60',
    ];
    const child = spawn(join(this.bin, 'postgres'), args, { ...ids, cwd: this.dir, stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr.on('data', (d) => (this.log = (this.log + d).slice(-4000)));
    let exited = null;
    child.on('exit', (code, signal) => {
      exited = { code, signal };
    });
    await new Promise((resolve, reject) => {
      child.on('spawn', resolve);
      child.on('error', reject);
    });
    track(child, 'SIGQUIT');
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (exited !== null) throw new Error(`postgres on port ${this.port} exited (${exited.signal ?? exited.code}):\n${this.log}`);
      const ready = spawnSync(join(this.bin, 'pg_isready'), ['-q', '-h', HOST, '-p', String(this.port), '-U', 'postgres']);
      if (ready.status === 0) break;
      if (Date.now() > deadline) {
        process.kill(child.pid, 'SIGQUIT');
        throw new Error(`postgres on port ${this.port} did not get ready:\n${this.log}`);
      }
      await sleep(50);
    }
    this.child = child;
  }

  /** Stops it by pid (SIGINT: fast shutdown, open connections are closed) and waits. */
  async stop() {
    const child = this.child;
    if (child === null) return;
    this.child = null;
    await stopByPid(child, 'SIGINT');
  }

  /** Stops it and removes its temp dir. */
  async close() {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Starts a fresh PostgreSQL on a spare loopback port, in a new temp dir. */
export async function startPostgres() {
  const bin = postgresBin();
  const user = runAs();
  let last;
  for (let i = 0; i < 5; i++) {
    const port = await sparePort();
    const dir = mkdtempSync(join(tmpdir(), `session-core-pg-${port}-`));
    if (user !== undefined) chownSync(dir, user.uid, user.gid);
    const server = new PostgresServer(port, dir, bin, user);
    try {
      await server.start();
      return server;
    } catch (e) {
      rmSync(dir, { recursive: true, force: true });
      last = e; // most likely the port was taken in between: try another
    }
  }
  throw new Error(`could not start PostgreSQL: ${last?.message}`);
}
