// The packages install as the READMEs say when they are not on the registry: `npm pack` in
// driver (session-core-driver, the JS driver both packages depend on), bindings-node and
// bindings-wasm (after a build), then `npm install <tarballs>` in an app in a fresh folder
// outside this repository (their dependencies from the workspace's installed copies, served by
// registry.mjs: no network, and an empty npm cache of the test's own). From there:
//
// - each README's quick start runs as written (ES module) and as CommonJS, and so do the
//   README's own CommonJS lines;
// - the app imports and requires every entry point, and the TypeScript consumers of tests/types
//   type-check against the installed copies;
// - the session-core tarball carries the addon built for this platform, and the installed
//   package finds it in every place of napi-rs's layout (a per-platform package as
//   `napi create-npm-dirs` writes it, the file named for the platform, NAPI_RS_NATIVE_LIBRARY_PATH),
//   and without one fails with the error that says how to build it;
// - every tarball (session-core-postgres's too) carries the MIT LICENSE.
//
// That proves that each tarball carries its addon or .wasm and every file its entry points and
// declarations need, and that both packages find the driver as a dependency (installed from
// its own tarball: nothing of it is copied into them). The Worker project is
// worker-project.test.mjs's.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { blocks } from './readme-blocks.mjs';
import { installApp, pack, quickStart, root, runBlock, sh } from './packed.mjs';
import { startRegistry } from './registry.mjs';

const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
/** The packages packed and installed, each from its tarball. */
const PACKAGES = ['driver', 'bindings-node', 'bindings-wasm'];
/** Packed too (their tarballs are checked), not installed. */
const PACKED_ONLY = ['stores/postgres'];
let dir;
let app;
let packed;
let registry;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'session-core-pack-'));
  assert.ok(!realpathSync(dir).startsWith(realpathSync(root)), 'the app is outside the repository');
  registry = await startRegistry();
  packed = pack([...PACKAGES, ...PACKED_ONLY], dir);
  app = installApp(dir, 'app', PACKAGES.map((p) => packed[p].file), registry);
});

after(async () => {
  await registry?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test("the dependencies are the lockfile's versions, each the workspace's copy (no npm cache, no network)", async () => {
  const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8'));
  const installed = JSON.parse(readFileSync(join(app, 'package-lock.json'), 'utf8'));
  const ours = new Set(['session-core', 'session-core-wasm', 'session-core-driver']);
  const deps = Object.entries(installed.packages).filter(([path]) => path.startsWith('node_modules/') && !ours.has(path.slice('node_modules/'.length)));
  assert.ok(deps.some(([path]) => path === 'node_modules/jose'), "jose (the driver's dependency) is installed");
  for (const [path, { version, integrity }] of deps) {
    const name = path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length);
    const locked = Object.entries(lock.packages).filter(([p]) => p.endsWith(`node_modules/${name}`)).map(([, v]) => v.version);
    assert.ok(locked.includes(version), `${name}@${version} is a version of the workspace's lockfile (${locked.join(', ')})`);
    // The tarball is the one the test's registry made of the workspace's installed copy.
    const served = await (await fetch(`${registry.url}${encodeURIComponent(name)}`)).json();
    assert.equal(integrity, served.versions[version].dist.integrity, `${name}@${version} came from the workspace's copy`);
  }
});

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

describe("each README's quick start, from the fresh folder", () => {
  for (const [readme, pkg] of [['bindings-node/README.md', 'session-core'], ['bindings-wasm/README.md', 'session-core-wasm']]) {
    test(`${readme}: as written (ES module) and as CommonJS`, () => {
      const block = quickStart(readme, pkg);
      const esm = runBlock(block, app, { name: `${pkg}-quick-start` });
      const cjs = runBlock(block, app, { name: `${pkg}-quick-start`, commonJs: true });
      assert.equal(esm, cjs, 'the same output comments were checked both ways');
    });

    test(`${readme}: its CommonJS lines`, () => {
      const cjs = blocks(root, readme).filter((b) => b.lang === 'js' && b.code.includes(`require('${pkg}')`) && b.notRun === null);
      assert.ok(cjs.length > 0, `${readme} shows require('${pkg}')`);
      cjs.forEach((b, i) => runBlock({ ...b, code: `${b.code}\nif (typeof Sessions !== 'function') throw new Error('no Sessions');` }, app, { name: `${pkg}-require-${i}` }));
    });
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
import { init, Sessions as WebSessions } from 'session-core-wasm/web';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
if (fromDriver !== makeSessionsClass) throw new Error('session-core/driver is not session-core-driver');
// The store kit carries the conformance vectors (bundled at pack time) and runs them.
import { runStoreKit } from 'session-core/testkit';
import { MapStore } from 'session-core';
const kit = await runStoreKit({ name: 'MapStore', makeStore: () => new MapStore(), seeds: [1], steps: 20 });
if (kit.failed.length > 0 || kit.passed.length < 200) throw new Error(\`the kit: \${kit.passed.length} passed, \${kit.failed.length} failed\`);
// The exported .wasm file, handed to the web entry's init().
await init(readFileSync(createRequire(import.meta.url).resolve('session-core-wasm/session_core_wasm_bg.wasm')));
for (const S of [Sessions, WasmSessions, WebSessions]) {
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
      // The consumers of the packages installed here (session-core-postgres is not installed here, and
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

test('every tarball carries the MIT LICENSE of the repository, and every package.json says MIT', () => {
  const license = readFileSync(join(root, 'LICENSE'), 'utf8');
  assert.match(license, /^MIT License\n\nCopyright \(c\) \d{4} /);
  for (const folder of [...PACKAGES, ...PACKED_ONLY]) {
    assert.ok(packed[folder].files.includes('LICENSE'), `${folder}'s tarball has LICENSE: ${packed[folder].files.join(', ')}`);
    assert.equal(readFileSync(join(root, folder, 'LICENSE'), 'utf8'), license, `${folder}/LICENSE is the repository's`);
    const manifest = JSON.parse(readFileSync(join(root, folder, 'package.json'), 'utf8'));
    assert.equal(manifest.license, 'MIT', folder);
    assert.ok(manifest.files.includes('LICENSE'), `${folder}'s package.json lists LICENSE in files`);
  }
  for (const name of ['session-core', 'session-core-wasm', 'session-core-driver']) {
    assert.equal(readFileSync(join(app, 'node_modules', name, 'LICENSE'), 'utf8'), license, `installed ${name}`);
  }
});

describe("session-core's addon: this platform's, and napi-rs's per-platform layout", () => {
  /** What the addon file is built for, from its header: `{ format, arch }`. */
  function binaryKind(file) {
    const b = readFileSync(file);
    if (b.subarray(0, 4).equals(Buffer.from([0x7f, 0x45, 0x4c, 0x46]))) {
      const machine = { 0x3e: 'x64', 0xb7: 'arm64', 0x28: 'arm', 0x03: 'ia32' }[b.readUInt16LE(18)];
      return { format: 'ELF', arch: machine, os: 'linux' };
    }
    if (b.readUInt32LE(0) === 0xfeedfacf) {
      const cpu = b.readUInt32LE(4);
      return { format: 'Mach-O', arch: cpu === 0x01000007 ? 'x64' : cpu === 0x0100000c ? 'arm64' : String(cpu), os: 'darwin' };
    }
    if (b.subarray(0, 2).toString('latin1') === 'MZ') {
      const pe = b.readUInt32LE(0x3c);
      const machine = { 0x8664: 'x64', 0xaa64: 'arm64' }[b.readUInt16LE(pe + 4)];
      return { format: 'PE', arch: machine, os: 'win32' };
    }
    return { format: 'unknown' };
  }

  test('the tarball carries session-core.node, built for this OS and CPU', () => {
    assert.ok(packed['bindings-node'].files.includes('session-core.node'), packed['bindings-node'].files.join(', '));
    const kind = binaryKind(join(app, 'node_modules', 'session-core', 'session-core.node'));
    assert.deepEqual([kind.os, kind.arch], [process.platform, process.arch], `the addon is ${kind.format} for ${kind.arch}`);
  });

  /** A copy of the installed app without session-core.node; `extra(app2)` lays out the rest. */
  function appWithout(name, extra) {
    const app2 = join(dir, name);
    mkdirSync(join(app2, 'node_modules'), { recursive: true });
    writeFileSync(join(app2, 'package.json'), JSON.stringify({ name, private: true }));
    for (const pkg of ['session-core', 'session-core-driver']) cpSync(join(app, 'node_modules', pkg), join(app2, 'node_modules', pkg), { recursive: true });
    const addon = join(app2, 'node_modules', 'session-core', 'session-core.node');
    const bytes = readFileSync(addon);
    rmSync(addon);
    extra(app2, bytes);
    return app2;
  }

  /** Loads session-core in `app2`: the addon file it loaded, or the error. */
  function load(app2, env = {}) {
    const script = `try {
  const { Sessions } = require('session-core');
  new Sessions();
  console.log(JSON.stringify({ addon: Object.keys(require.cache).find((k) => k.endsWith('.node')) }));
} catch (e) { console.log(JSON.stringify({ error: { code: e.code, message: e.message } })); }`;
    const r = spawnSync(process.execPath, ['-e', script], { cwd: app2, encoding: 'utf8', env: { ...process.env, ...env } });
    assert.equal(r.status, 0, r.stderr);
    return JSON.parse(r.stdout);
  }

  /** The per-platform package napi-rs writes for this platform (`napi create-npm-dirs`). */
  function napiPlatformPackage() {
    const work = join(dir, 'napi-dirs');
    mkdirSync(work);
    const { napi } = JSON.parse(readFileSync(join(root, 'bindings-node', 'package.json'), 'utf8'));
    const targets = ['x86_64-unknown-linux-gnu', 'aarch64-unknown-linux-gnu', 'x86_64-unknown-linux-musl', 'aarch64-apple-darwin', 'x86_64-apple-darwin', 'x86_64-pc-windows-msvc'];
    writeFileSync(join(work, 'package.json'), JSON.stringify({ name: 'session-core', version: '0.1.0', napi: { ...napi, targets } }));
    sh(join(root, 'node_modules', '.bin', 'napi'), ['create-npm-dirs'], work);
    const musl = !process.report.getReport().header.glibcVersionRuntime;
    const fits = (m) => m.os.includes(process.platform) && m.cpu.includes(process.arch) && (m.libc === undefined || m.libc.includes(musl ? 'musl' : 'glibc'));
    const found = readdirSync(join(work, 'npm'))
      .map((d) => ({ dir: join(work, 'npm', d), manifest: JSON.parse(readFileSync(join(work, 'npm', d, 'package.json'), 'utf8')) }))
      .filter((p) => fits(p.manifest));
    assert.equal(found.length, 1, 'napi-rs has one package for this platform');
    return found[0];
  }

  test('from the per-platform package napi-rs lays out (session-core-<platform>, an optional dependency)', () => {
    const platformPkg = napiPlatformPackageCached();
    const app2 = appWithout('app-platform-package', (a, bytes) => {
      const to = join(a, 'node_modules', platformPkg.manifest.name);
      cpSync(platformPkg.dir, to, { recursive: true });
      writeFileSync(join(to, platformPkg.manifest.main), bytes);
    });
    const loaded = load(app2);
    assert.ok(loaded.addon?.endsWith(join('node_modules', platformPkg.manifest.name, platformPkg.manifest.main)), JSON.stringify(loaded));
  });

  test('from session-core.<platform>.node in the package, and from NAPI_RS_NATIVE_LIBRARY_PATH', () => {
    const { manifest } = napiPlatformPackageCached();
    const app2 = appWithout('app-platform-file', (a, bytes) => writeFileSync(join(a, 'node_modules', 'session-core', manifest.main), bytes));
    assert.ok(load(app2).addon?.endsWith(join('session-core', manifest.main)));
    const elsewhere = join(dir, 'elsewhere.node');
    renameSync(join(app2, 'node_modules', 'session-core', manifest.main), elsewhere);
    assert.equal(load(app2, { NAPI_RS_NATIVE_LIBRARY_PATH: elsewhere }).addon, elsewhere);
  });

  test('with none: an error that names the platform package and the build from source', () => {
    const { manifest } = napiPlatformPackageCached();
    const app2 = appWithout('app-no-addon', () => {});
    const { error } = load(app2);
    assert.equal(error.code, 'ERR_SESSION_CORE_NO_ADDON');
    assert.match(error.message, new RegExp(`^session-core: no native addon for ${manifest.name.slice('session-core-'.length)}\\. Tried: `));
    assert.match(error.message, new RegExp(`Install the package ${manifest.name} where it is published, or build the addon from source: `));
    assert.match(error.message, /`npm install && npm run build` \(needs Rust\)/);
  });

  let cached = null;
  function napiPlatformPackageCached() {
    cached ??= napiPlatformPackage();
    return cached;
  }
});
