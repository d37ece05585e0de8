// The Worker as a Cloudflare developer gets it, following bindings-wasm/README.md ("A ready
// Worker") from the packed tarballs (session-core-driver, session-core-wasm) in a fresh folder
// outside this repository, with the quick start's commands as written (only the tarballs' path
// filled in), npm pointed at the workspace's installed copies of the dependencies (registry.mjs:
// no network) with an empty cache:
//
// - the README's files are the template's, and the template is what the quick start extracts
//   from the tarball in vendor/;
// - the project installs again from a clean clone of what the user commits (`npm ci` with an
//   empty cache: the packages from vendor/, the rest at the lock's versions), and bundles there;
// - the project's own wrangler (the version the template asks for) bundles the project, and
//   the bundle imports no node: module; it runs in workerd (miniflare 3) on SQLite-backed
//   Durable Objects;
// - `npm run dev`'s command (`wrangler dev --persist-to ...`) serves it: the README's curl
//   session runs against it as written, with its outputs checked; after a restart, the second
//   block finds the session still there;
// - wrangler accepts the README's deploy configuration (routes, a Cron Trigger, a staging
//   environment) with no warning (`deploy --dry-run`: a real deploy needs an account);
// - the Worker project type-checks under strict Workers types (@cloudflare/workers-types; no
//   @types/node, no skipLibCheck), the README's TypeScript Worker included.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Miniflare } from 'miniflare';
import { wranglerConfig } from '../../bindings-wasm/test/workerd.mjs';
import { sparePort } from '../js/redis-server.mjs';
import { pack, root, sh } from './packed.mjs';
import { blocks } from './readme-blocks.mjs';
import { startRegistry } from './registry.mjs';
import { runShellSession } from './shell-session.mjs';

const README = 'bindings-wasm/README.md';
const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

let dir;
let project;
let packed;
let registry;
let env;
let wrangler;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'session-core-worker-project-'));
  assert.ok(!realpathSync(dir).startsWith(realpathSync(root)), 'the project is outside the repository');
  registry = await startRegistry();
  const tarballs = join(dir, 'tarballs');
  mkdirSync(tarballs);
  packed = pack(['driver', 'bindings-wasm'], tarballs);
  // The README's quick start, as written but for the path of the tarballs and the last line
  // (`npm run dev`, which the tests below start on a spare port).
  const quick = readmeBlock('quick start', (b) => b.lang === 'sh' && b.code.includes('mkdir -p sessions-worker'));
  const lines = quick.code.split('\n');
  assert.match(lines.at(-1), /^npm run dev\s/);
  const script = lines.slice(0, -1).join('\n').replaceAll('/path/to/', `${tarballs}/`);
  sh('bash', ['-euo', 'pipefail', '-c', script], dir, { env: registry.env(mkdtempSync(join(dir, 'npm-cache-'))) });
  project = join(dir, 'sessions-worker');
  wrangler = join(project, 'node_modules', 'wrangler', 'bin', 'wrangler.js');
  // wrangler with no telemetry, no prompts, and its settings and logs in the temporary folder.
  env = { ...process.env, WRANGLER_SEND_METRICS: 'false', CI: '1', NO_COLOR: '1', XDG_CONFIG_HOME: join(dir, 'config'), WRANGLER_LOG_PATH: join(dir, 'logs') };
});

after(async () => {
  await registry?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** A README block, found by `pick` (one exactly). */
function readmeBlock(what, pick) {
  const found = blocks(root, README).filter(pick);
  assert.equal(found.length, 1, `${README} has one ${what}`);
  return found[0];
}

/** A file's lines with comments and blank lines left out. */
const codeLines = (text, comment) =>
  text
    .split('\n')
    .filter((l) => l.trim() !== '' && !l.trim().startsWith(comment))
    .join('\n');

const runWrangler = (args, cwd = project) => sh(process.execPath, [join(cwd, 'node_modules', 'wrangler', 'bin', 'wrangler.js'), ...args], cwd, { env });

test("the README's Worker files are the template's; the template installs this package and runs this wrangler", () => {
  const template = join(root, 'bindings-wasm', 'worker', 'template');
  const toml = readmeBlock('wrangler.toml of the quick start', (b) => b.lang === 'toml' && b.code.startsWith('name = '));
  assert.equal(codeLines(toml.code, '#'), codeLines(readFileSync(join(template, 'wrangler.toml'), 'utf8'), '#'));
  const entry = readmeBlock('src/index.js', (b) => b.lang === 'js' && b.code.includes("from 'session-core-wasm/worker'"));
  assert.equal(codeLines(entry.code, '//'), codeLines(readFileSync(join(template, 'src', 'index.js'), 'utf8'), '//'));
  // What the fresh project got is the template, from the tarball in vendor/.
  for (const f of ['wrangler.toml', 'src/index.js', 'package.json']) {
    assert.equal(readFileSync(join(project, f), 'utf8'), readFileSync(join(template, f), 'utf8'), f);
  }
  const manifest = JSON.parse(readFileSync(join(project, 'package.json'), 'utf8'));
  assert.deepEqual(manifest.scripts, { dev: 'wrangler dev --persist-to .wrangler/state', deploy: 'wrangler deploy' });
  // The template names the tarballs of this very version, as npm pack names them.
  for (const [name, folder] of [['session-core-wasm', 'bindings-wasm'], ['session-core-driver', 'driver']]) {
    const file = basename(packed[folder].file);
    assert.equal(manifest.dependencies[name], `file:vendor/${file}`, name);
    assert.ok(existsSync(join(project, 'vendor', file)), `vendor/${file}`);
    const installed = JSON.parse(readFileSync(join(project, 'node_modules', name, 'package.json'), 'utf8'));
    assert.equal(installed.version, JSON.parse(readFileSync(join(root, folder, 'package.json'), 'utf8')).version, `the installed ${name}`);
  }
  const wranglerManifest = createRequire(join(root, 'bindings-wasm', 'package.json')).resolve('wrangler/package.json');
  const { version } = JSON.parse(readFileSync(wranglerManifest, 'utf8'));
  const [major, minor] = version.split('.');
  assert.equal(manifest.devDependencies.wrangler, `~${major}.${minor}.0`, `the template asks for the wrangler these tests run (${version})`);
  assert.equal(JSON.parse(readFileSync(join(project, 'node_modules', 'wrangler', 'package.json'), 'utf8')).version, version);
});

test('the committed project installs again in a fresh clone, with an empty npm cache, and bundles there', () => {
  const git = (args, cwd) => sh('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], cwd);
  git(['init', '-q'], project);
  git(['add', '-A'], project);
  git(['commit', '-q', '-m', 'a Worker'], project);
  const committed = git(['ls-files'], project).trim().split('\n');
  assert.ok(committed.includes('package-lock.json') && committed.some((f) => f.startsWith('vendor/')), committed.join(', '));
  assert.ok(!committed.some((f) => f.startsWith('node_modules/') || f.startsWith('.wrangler/')), committed.join(', '));
  const clone = join(dir, 'clone');
  git(['clone', '-q', project, clone], dir);
  sh('npm', ['ci', '--ignore-scripts'], clone, { env: registry.env(mkdtempSync(join(dir, 'npm-cache-'))) });
  assert.equal(git(['status', '--porcelain'], clone), '', 'the install changed nothing that is committed');
  for (const name of ['session-core-wasm', 'session-core-driver', 'wrangler']) {
    const installed = (p) => JSON.parse(readFileSync(join(p, 'node_modules', name, 'package.json'), 'utf8')).version;
    assert.equal(installed(clone), installed(project), name);
  }
  // And `npm install` (not only `npm ci`) takes the same, changing nothing.
  rmSync(join(clone, 'node_modules'), { recursive: true });
  sh('npm', ['install', '--ignore-scripts'], clone, { env: registry.env(mkdtempSync(join(dir, 'npm-cache-'))) });
  assert.equal(git(['status', '--porcelain'], clone), '', 'npm install changed nothing that is committed');
  runWrangler(['deploy', '--dry-run', '--outdir', 'dist'], clone);
  assert.ok(readdirSync(join(clone, 'dist')).some((f) => f.endsWith('.wasm')));
});

describe('wrangler bundles the project', () => {
  let dist;
  before(() => {
    dist = join(project, 'dist');
    runWrangler(['deploy', '--dry-run', '--outdir', 'dist']);
  });

  test('into one module and the .wasm, with no node: module', (t) => {
    const files = readdirSync(dist).filter((f) => !f.endsWith('.map') && f !== 'README.md');
    const wasm = files.filter((f) => f.endsWith('.wasm'));
    assert.deepEqual([files.length, wasm.length], [2, 1], files.join(', '));
    const bundle = readFileSync(join(dist, 'index.js'), 'utf8');
    const imports = [...bundle.matchAll(/^\s*import\s[^'"]*?from\s*"([^"]+)"|^\s*import\s*"([^"]+)"/gm)].map((m) => m[1] ?? m[2]);
    assert.deepEqual([...new Set(imports)].sort(), ['./' + wasm[0], 'cloudflare:workers'].sort());
    assert.doesNotMatch(bundle, /["']node:/);
    t.diagnostic(`bundle: index.js ${bundle.length} bytes, ${wasm[0]} ${readFileSync(join(dist, wasm[0])).length} bytes`);
  });

  test('and the bundle runs in workerd (miniflare 3), on SQLite-backed objects as wrangler.toml declares them', async () => {
    const config = wranglerConfig(join(project, 'wrangler.toml'));
    const wasm = readdirSync(dist).find((f) => f.endsWith('.wasm'));
    const mf = new Miniflare({
      modulesRoot: dist,
      modules: [
        { type: 'ESModule', path: join(dist, 'index.js') },
        { type: 'CompiledWasm', path: join(dist, wasm) },
      ],
      compatibilityDate: config.compatibilityDate,
      compatibilityFlags: config.compatibilityFlags,
      durableObjects: config.durableObjects,
      bindings: config.vars,
    });
    try {
      assert.deepEqual(Object.values(config.durableObjects).map((d) => d.useSQLite), [true, true]);
      const call = async (method, path, body) => {
        const res = await mf.dispatchFetch(`http://localhost${path}`, { method, body });
        return [res.status, await res.json()];
      };
      const [status, { token }] = await call('PUT', '/shop/create/u1?ip=::1', '{"cart":1}');
      assert.equal(status, 200);
      assert.deepEqual((await call('GET', `/shop/get/${token}`))[1].d, { cart: 1 });
      assert.deepEqual(await call('POST', '/sweep'), [200, { swept: 0, more: false }]);
      const worker = await mf.getWorker();
      assert.equal((await worker.scheduled({ cron: '*/15 * * * *' })).outcome, 'ok', 'the scheduled handler');
    } finally {
      await mf.dispose();
    }
  });
});

describe('npm run dev (wrangler dev --persist-to), with the README\'s curl session', () => {
  const children = new Set();
  after(async () => {
    for (const child of children) await stop(child);
  });

  /** Starts the template's `dev` script on a spare port; resolves to `{ child, url }` once it answers. */
  async function dev() {
    const { scripts } = JSON.parse(readFileSync(join(project, 'package.json'), 'utf8'));
    const [cmd, ...args] = scripts.dev.split(' ');
    assert.equal(cmd, 'wrangler');
    const port = await sparePort();
    // Its own process group, so that stopping it stops the workerd it starts too.
    const child = spawn(process.execPath, [wrangler, ...args, '--port', String(port), '--ip', '127.0.0.1'], {
      cwd: project,
      env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.add(child);
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const url = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + 90_000;
    for (;;) {
      assert.equal(child.exitCode, null, `wrangler dev exited:\n${output}`);
      try {
        const res = await fetch(`${url}/ping`);
        if ((await res.text()) === 'PONG') return { child, url };
      } catch {
        // not up yet
      }
      assert.ok(Date.now() < deadline, `wrangler dev did not answer on ${url}:\n${output}`);
      await sleep(100);
    }
  }

  /** Stops a `dev()` (SIGINT to its process group, as Ctrl-C does); waits for it to exit. */
  async function stop(child) {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    process.kill(-child.pid, 'SIGINT');
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // gone already
      }
    }, 15_000);
    await exited;
    clearTimeout(timer);
    children.delete(child);
  }

  test('the session outlives a restart; the second block finds it, then ends it', async (t) => {
    const [first, second] = blocks(root, README).filter((b) => b.lang === 'sh' && b.code.includes('$TOKEN'));
    assert.ok(first && second, 'the README has the curl session and the block after a restart');
    const base = /^B=(\S+)$/m.exec(first.code)?.[1];
    assert.equal(base, 'http://localhost:8787', 'wrangler dev\'s address');

    let running = await dev();
    const a = runShellSession(first, { file: README, base, url: running.url, cwd: project, keep: ['TOKEN'] });
    assert.match(a.vars.TOKEN, /^[A-Za-z0-9]{64}$/);
    await stop(running.child);
    assert.ok(existsSync(join(project, '.wrangler', 'state')), 'the storage is in .wrangler/state');

    running = await dev();
    const b = runShellSession(second, { file: README, base, url: running.url, cwd: project, env: { B: running.url, TOKEN: a.vars.TOKEN } });
    await stop(running.child);
    assert.ok(a.checked >= 6 && b.checked === 3, `outputs checked: ${a.checked} + ${b.checked}`);
    t.diagnostic(`${a.commands + b.commands} commands run, ${a.checked + b.checked} outputs checked`);
  });
});

test("wrangler takes the README's deploy configuration (routes, a Cron Trigger, a staging environment) without a warning", () => {
  const toml = (what, pick) => readmeBlock(what, (b) => b.lang === 'toml' && pick(b.code)).code;
  const routes = toml('routes block', (c) => c.startsWith('routes = '));
  const triggers = toml('triggers block', (c) => c.startsWith('[triggers]'));
  const staging = toml('staging environment', (c) => c.startsWith('[env.staging]'));
  // `routes` is a top-level key: before the first table.
  const base = readFileSync(join(project, 'wrangler.toml'), 'utf8').replace(/^(compatibility_date = .*)$/m, `$1\n${routes}`);
  writeFileSync(join(project, 'wrangler.deploy.toml'), `${base}\n${triggers}\n\n${staging}\n`);
  for (const envArgs of [[], ['--env', 'staging']]) {
    const out = runWrangler(['deploy', '--dry-run', '--config', 'wrangler.deploy.toml', '--outdir', `dist-deploy${envArgs.length}`, ...envArgs]);
    assert.doesNotMatch(out, /WARNING|ERROR/, out);
    for (const binding of ['env.SESSIONS (SessionsObject)', 'env.APPS (AppsObject)', 'env.SWEEP_INTERVAL_MS ("60000")']) assert.ok(out.includes(binding), `${envArgs}: ${binding}\n${out}`);
  }
});

test('the Worker project type-checks under strict Workers types alone, the README\'s TypeScript Worker too', () => {
  const ts = join(project, 'ts');
  mkdirSync(ts);
  for (const f of readdirSync(join(root, 'tests', 'types', 'worker'))) {
    if (f.endsWith('.ts')) cpSync(join(root, 'tests', 'types', 'worker', f), join(ts, f));
  }
  const readmeTs = readmeBlock('TypeScript Worker', (b) => b.lang === 'ts' && b.code.includes("from 'session-core-wasm/worker'"));
  writeFileSync(join(ts, 'readme.ts'), readmeTs.code);
  const { compilerOptions } = JSON.parse(readFileSync(join(root, 'tests', 'types', 'worker', 'tsconfig.workers-types.json'), 'utf8'));
  writeFileSync(
    join(ts, 'tsconfig.json'),
    JSON.stringify({
      // The repository's Worker consumer's options, with the Workers types found where the
      // repository installed them (the project is offline).
      compilerOptions: { ...compilerOptions, types: ['workers-types'], typeRoots: [join(root, 'node_modules', '@cloudflare')] },
      include: ['*.ts'],
    }),
  );
  assert.ok(!existsSync(join(project, 'node_modules', '@types', 'node')), 'no @types/node in the project');
  sh(process.execPath, [tsc, '--noEmit', '--pretty', 'false', '-p', ts], project);
});
