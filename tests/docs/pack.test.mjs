// The packages install as the READMEs say when they are not on the registry: `npm pack` in
// driver (session-core-driver, the JS driver both packages depend on), bindings-node and
// bindings-wasm (after a build), then `npm install <tarballs>` in an app outside this
// repository (no registry: --offline). The app then imports and requires every entry point,
// and the TypeScript consumers of tests/types type-check against the installed copies, which
// proves that each tarball carries its addon or .wasm and every file its entry points and
// declarations need, and that both packages find the driver as a dependency (installed from
// its own tarball: nothing of it is copied into them).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
/** The packages packed and installed, each from its tarball. */
const PACKAGES = ['driver', 'bindings-node', 'bindings-wasm'];
let dir;
let app;

function sh(cmd, args, cwd) {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', timeout: 120_000 });
  assert.equal(r.status, 0, `${cmd} ${args.join(' ')} (in ${cwd}) failed:\n${r.stdout}${r.stderr}`);
  return r.stdout;
}

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'session-core-pack-'));
  app = join(dir, 'app');
  mkdirSync(app);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
  const tarballs = PACKAGES.map((pkg) => {
    const [{ filename }] = JSON.parse(sh('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], join(root, pkg)));
    return join(dir, filename);
  });
  sh('npm', ['install', '--offline', '--ignore-scripts', '--no-audit', '--no-fund', ...tarballs], app);
});

after(() => rmSync(dir, { recursive: true, force: true }));

test('session-core and session-core-wasm depend on session-core-driver and resolve the installed one', () => {
  const manifest = (name) => JSON.parse(readFileSync(join(app, 'node_modules', name, 'package.json'), 'utf8'));
  const driver = manifest('session-core-driver');
  for (const name of ['session-core', 'session-core-wasm']) {
    const range = manifest(name).dependencies?.['session-core-driver'];
    assert.equal(range, driver.version, `${name} depends on session-core-driver ${driver.version}`);
    // What the package's own modules load: the driver installed in the app, no copy of it.
    const from = createRequire(join(app, 'node_modules', name, 'package.json'));
    const resolved = realpathSync(from.resolve('session-core-driver'));
    assert.ok(resolved.startsWith(realpathSync(join(app, 'node_modules', 'session-core-driver'))), `${name} loads ${resolved}`);
    assert.ok(!existsSync(join(app, 'node_modules', name, 'src')), `${name} carries no copy of the driver's sources`);
  }
});

test('the installed packages run from ES modules and from CommonJS', () => {
  writeFileSync(
    join(app, 'esm.mjs'),
    `import { Sessions } from 'session-core';
import RedisSessions from 'session-core/redis-sessions';
import { makeSessionsClass } from 'session-core/driver';
import { Sessions as WasmSessions, DurableObjectStore } from 'session-core-wasm';
import { DurableObjectStore as Dos } from 'session-core-wasm/durable-object-store';
import { compareMembers } from 'session-core-wasm/driver';
import { makeSessionsClass as fromDriver } from 'session-core-driver';
if (fromDriver !== makeSessionsClass) throw new Error('session-core/driver is not session-core-driver');
// The store kit carries the conformance vectors (bundled at pack time) and runs them.
import { runStoreKit } from 'session-core/testkit';
import { MapStore } from 'session-core';
const kit = await runStoreKit({ name: 'MapStore', makeStore: () => new MapStore(), seeds: [1], steps: 20 });
if (kit.failed.length > 0 || kit.passed.length < 200) throw new Error(\`the kit: \${kit.passed.length} passed, \${kit.failed.length} failed\`);
for (const S of [Sessions, WasmSessions]) {
  const s = new S();
  const { token } = await s.create({ app: 'shop', id: 'u1', ip: '::1' });
  if ((await s.get({ app: 'shop', token })).id !== 'u1') throw new Error('no session');
}
if (typeof RedisSessions !== 'function' || typeof makeSessionsClass !== 'function') throw new Error('exports');
if (DurableObjectStore !== Dos || compareMembers('a', 'b') !== -1) throw new Error('exports');
console.log('esm ok');
`,
  );
  writeFileSync(
    join(app, 'cjs.cjs'),
    `const { Sessions } = require('session-core');
const RedisSessions = require('session-core/redis-sessions');
const { makeSessionsClass } = require('session-core/driver');
const wasm = require('session-core-wasm');
const { DurableObjectStore } = require('session-core-wasm/durable-object-store');
(async () => {
  for (const S of [Sessions, wasm.Sessions]) {
    const s = new S();
    const { token } = await s.create({ app: 'shop', id: 'u1', ip: '::1' });
    if ((await s.get({ app: 'shop', token })).id !== 'u1') throw new Error('no session');
  }
  if (typeof RedisSessions !== 'function' || typeof makeSessionsClass !== 'function') throw new Error('exports');
  if (typeof DurableObjectStore !== 'function') throw new Error('exports');
  if (require('session-core-driver').makeSessionsClass !== makeSessionsClass) throw new Error('session-core/driver is not session-core-driver');
  const kit = await require('session-core-wasm/testkit').runStoreKit({ makeStore: () => new wasm.MapStore(), seeds: [1], steps: 20 });
  if (kit.failed.length > 0 || kit.passed.length < 200) throw new Error('the wasm kit from CommonJS');
  console.log('cjs ok');
})().catch((e) => { console.error(e); process.exit(1); });
`,
  );
  assert.match(sh(process.execPath, ['esm.mjs'], app), /esm ok/);
  assert.match(sh(process.execPath, ['cjs.cjs'], app), /cjs ok/);
});

test('the installed declarations type-check the consumers of tests/types (nodenext)', () => {
  for (const kind of ['esm', 'cjs']) {
    const to = join(app, kind);
    mkdirSync(to);
    for (const f of readdirSync(join(root, 'tests', 'types', kind))) {
      // The consumers of the packages installed here (session-core-postgres is not packed, and
      // the app installs no web framework: tests/docs/types.test.mjs checks those consumers in
      // the workspace).
      if (f === 'session-core-postgres.ts' || f === 'middleware-frameworks.ts') continue;
      if (f.endsWith('.ts') || f === 'package.json') cpSync(join(root, 'tests', 'types', kind, f), join(to, f));
    }
    writeFileSync(
      join(to, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          noEmit: true,
          target: 'es2022',
          lib: ['es2022'],
          module: 'nodenext',
          moduleResolution: 'nodenext',
          esModuleInterop: true,
          skipLibCheck: false,
          types: ['node'],
          typeRoots: [join(root, 'node_modules', '@types')],
        },
        include: ['*.ts'],
      }),
    );
    sh(process.execPath, [tsc, '--noEmit', '--pretty', 'false', '-p', to], app);
  }
});
