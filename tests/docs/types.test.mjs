// The TypeScript declarations of the npm packages, as a user meets them: `tsc --noEmit` on
// small consumer projects (tests/types/esm: ES modules, tests/types/cjs: CommonJS) that import
// session-core, session-core-wasm and their shared driver session-core-driver by package
// name, through the workspace links in node_modules and the packages' `exports` maps, with
// module resolution nodenext, node16 and bundler (and the `workerd` condition). The consumers use every export of every entry point;
// this test also checks that they still do when an export or an entry point is added.
// tests/types/worker is a Worker project (`session-core-wasm/worker` and the rest of the
// package as a Worker uses it) checked under the Workers runtime's types alone
// (@cloudflare/workers-types; no @types/node, no skipLibCheck).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const typesDir = join(root, 'tests', 'types');
const tsc = createRequire(join(root, 'package.json')).resolve('typescript/bin/tsc');
const require = createRequire(join(typesDir, 'cjs', 'package.json'));

const projects = ['esm', 'cjs', 'worker'].flatMap((kind) =>
  readdirSync(join(typesDir, kind))
    .filter((f) => /^tsconfig\..+\.json$/.test(f))
    .map((f) => `${kind}/${f}`),
);

const source = (kind) =>
  readdirSync(join(typesDir, kind))
    .filter((f) => f.endsWith('.ts'))
    .map((f) => readFileSync(join(typesDir, kind, f), 'utf8'))
    .join('\n');

test('the consumer projects cover ESM and CommonJS with nodenext, node16 and bundler', () => {
  for (const kind of ['esm', 'cjs']) {
    for (const resolution of ['nodenext', 'node16', 'bundler']) {
      assert.ok(projects.includes(`${kind}/tsconfig.${resolution}.json`), `${kind} with ${resolution}`);
    }
  }
});

for (const project of projects) {
  test(`tsc --noEmit -p tests/types/${project}`, () => {
    const r = spawnSync(process.execPath, [tsc, '--noEmit', '--pretty', 'false', '-p', join(typesDir, project)], {
      cwd: root,
      encoding: 'utf8',
    });
    assert.equal(r.status, 0, `tsc failed on tests/types/${project}:\n${r.stdout}${r.stderr}`);
  });
}

/** Every subpath of a package's `exports` (but ./package.json), with its conditions. */
function entryPoints(pkgDir) {
  const { name, exports } = JSON.parse(readFileSync(join(root, pkgDir, 'package.json'), 'utf8'));
  return Object.entries(exports)
    .filter(([subpath]) => subpath !== './package.json')
    .map(([subpath, target]) => ({
      specifier: subpath === '.' ? name : `${name}/${subpath.slice(2)}`,
      conditions: JSON.stringify(target),
    }));
}

const packages = ['driver', 'bindings-node', 'bindings-wasm', 'stores/postgres'];

test('the Worker project type-checks under the Workers types alone: strict, no @types/node, no skipLibCheck', () => {
  const { compilerOptions: o } = JSON.parse(readFileSync(join(typesDir, 'worker', 'tsconfig.workers-types.json'), 'utf8'));
  assert.deepEqual([o.strict, o.skipLibCheck, o.types], [true, false, ['@cloudflare/workers-types']]);
  assert.ok(!o.lib.some((l) => /dom/i.test(l)), 'no DOM types either');
  assert.match(source('worker'), /^export \{ default, SessionsObject, AppsObject \} from 'session-core-wasm\/worker';$/m);
});

test('the consumers import every entry point, ESM through import and CommonJS through require', () => {
  // The Worker entry is imported by the Worker project (it needs the Workers types).
  const esm = source('esm') + source('worker');
  const cjs = source('cjs');
  for (const pkg of packages) {
    for (const { specifier, conditions } of entryPoints(pkg)) {
      assert.ok(esm.includes(`from '${specifier}'`), `tests/types/esm imports ${specifier}`);
      if (conditions.includes('"require"')) {
        assert.ok(cjs.includes(`require('${specifier}')`), `tests/types/cjs requires ${specifier}`);
      }
    }
  }
});

test('the consumers name every runtime export of each entry point that loads in Node', async () => {
  const esm = source('esm');
  const cjs = source('cjs');
  // workerd.mjs and the Worker import the .wasm as a module (and the Worker cloudflare:workers),
  // and the .wasm is no module: not loadable here. workerd.mjs exports the same names as web.mjs.
  const loadable = (s) => !/\/(workerd|worker|session_core_wasm_bg\.wasm)$/.test(s);
  for (const pkg of packages) {
    for (const { specifier, conditions } of entryPoints(pkg).filter((e) => loadable(e.specifier))) {
      for (const name of Object.keys(await import(specifier))) {
        assert.match(esm, new RegExp(`\\b${name}\\b`), `tests/types/esm uses ${name} of ${specifier}`);
      }
      if (!conditions.includes('"require"')) continue;
      for (const name of Object.keys(require(specifier))) {
        assert.match(cjs, new RegExp(`\\b${name}\\b`), `tests/types/cjs uses ${name} of ${specifier}`);
      }
    }
  }
});
