// The packages install as the READMEs say when they are not on the registry: `npm pack` in
// bindings-node and bindings-wasm (after a build), then `npm install <tarball>` in an app
// outside this repository (no registry: --offline). The app then imports and requires every
// entry point, and the TypeScript consumers of tests/types type-check against the installed
// copies, which proves that each tarball carries its addon or .wasm and every file its entry
// points and declarations need.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
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
  const tarballs = ['bindings-node', 'bindings-wasm'].map((pkg) => {
    const [{ filename }] = JSON.parse(sh('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], join(root, pkg)));
    return join(dir, filename);
  });
  sh('npm', ['install', '--offline', '--ignore-scripts', '--no-audit', '--no-fund', ...tarballs], app);
});

after(() => rmSync(dir, { recursive: true, force: true }));

test('the installed packages run from ES modules and from CommonJS', () => {
  writeFileSync(
    join(app, 'esm.mjs'),
    `import { Sessions } from 'session-core';
import RedisSessions from 'session-core/redis-sessions';
import { makeSessionsClass } from 'session-core/driver';
import { Sessions as WasmSessions, DurableObjectStore } from 'session-core-wasm';
import { DurableObjectStore as Dos } from 'session-core-wasm/durable-object-store';
import { compareMembers } from 'session-core-wasm/driver';
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
