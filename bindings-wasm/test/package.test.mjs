// The package as published: the .wasm imports only its own glue (no `env`), the API has the
// same names as the Node package's, and the TypeScript declarations cover every export.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { builtinModules, createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import * as wasm from 'session-core-wasm';

const read = (f) => readFileSync(new URL(`../${f}`, import.meta.url));

test('the .wasm imports nothing but its wasm-bindgen glue (no env)', () => {
  const imports = WebAssembly.Module.imports(new WebAssembly.Module(read('pkg/session_core_wasm_bg.wasm')));
  assert.ok(imports.length > 0);
  assert.deepEqual([...new Set(imports.map((i) => i.module))], ['./session_core_wasm_bg.js']);
});

test('the same classes, methods and errors as session-core (napi)', async () => {
  const napi = await import('session-core');
  for (const name of ['Sessions', 'MapStore', 'SessionError']) assert.equal(typeof wasm[name], 'function', name);
  const methods = (C) => Object.getOwnPropertyNames(C.prototype).sort();
  assert.deepEqual(methods(wasm.Sessions), methods(napi.Sessions));
  assert.deepEqual(methods(wasm.MapStore), methods(napi.MapStore));
  const e = await new wasm.Sessions().get({ app: 'x' }).catch((x) => x);
  const f = await new napi.Sessions().get({ app: 'x' }).catch((x) => x);
  assert.deepEqual({ ...e, message: e.message, name: e.name }, { ...f, message: f.message, name: f.name });
});

test('every export is declared in index.d.ts', () => {
  const dts = read('index.d.ts').toString();
  for (const name of Object.keys(wasm)) {
    if (name === 'default') continue;
    assert.match(dts, new RegExp(`\\b${name}\\b`), name);
  }
});

test('package.json lists every file the entry points and the Worker load', () => {
  const { files } = JSON.parse(read('package.json'));
  for (const f of files) assert.doesNotThrow(() => read(f), `${f} is listed but missing`);
  // The relative imports of each shipped module, followed from the entry points.
  const seen = new Set();
  const visit = (file) => {
    if (seen.has(file)) return;
    seen.add(file);
    assert.ok(files.includes(file), `${file} is loaded but not in package.json's files`);
    if (!/\.(mjs|cjs|js)$/.test(file)) return;
    const dir = file.includes('/') ? file.slice(0, file.lastIndexOf('/') + 1) : '';
    for (const [, spec] of read(file).toString().matchAll(/(?:from |require\()'(\.{1,2}\/[^']+)'/g)) {
      visit(new URL(spec, `file:///pkg/${dir}`).pathname.slice('/pkg/'.length));
    }
  };
  // Every file the exports map names (modules and declarations), and what they load.
  const targets = [];
  const walk = (v) => {
    if (typeof v === 'string') targets.push(v.replace(/^\.\//, ''));
    else if (v !== null && typeof v === 'object') Object.values(v).forEach(walk);
  };
  walk(JSON.parse(read('package.json')).exports);
  // (package.json itself is in every tarball, listed or not.)
  for (const entry of targets.filter((t) => t !== 'package.json')) visit(entry);
  for (const entry of ['index.mjs', 'index.cjs', 'workerd.mjs', 'web.mjs', 'worker/index.mjs']) assert.ok(seen.has(entry), entry);
  assert.ok(seen.has('worker/openapi.mjs') && seen.has('pkg/session_core_wasm.cjs') && seen.has('pkg/session_core_wasm_bg.wasm'));
  // The Worker project template and the license.
  for (const f of ['LICENSE', 'worker/template/package.json', 'worker/template/wrangler.toml', 'worker/template/src/index.js']) {
    assert.ok(files.includes(f), `${f} is in package.json's files`);
  }
});

/**
 * The module graph from `entry` (a file of this package), across packages: relative imports,
 * and package imports resolved through their `exports` with `conditions` (as a bundler for
 * that platform resolves them). Returns `[{file, spec}]` for every import statement.
 */
function importGraph(entry, conditions) {
  const out = [];
  const seen = new Set();
  const resolvePackage = (spec, from) => {
    const parts = spec.split('/');
    const name = spec.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
    const manifest = createRequire(from).resolve(`${name}/package.json`);
    const { exports } = JSON.parse(readFileSync(manifest, 'utf8'));
    const pick = (e) => {
      if (typeof e === 'string') return e;
      for (const c of [...conditions, 'default']) if (e?.[c] !== undefined) return pick(e[c]);
      return undefined;
    };
    const target = pick(exports[`.${spec.slice(name.length)}`]);
    assert.ok(target, `${from}: ${spec} resolves for ${conditions}`);
    return join(dirname(manifest), target);
  };
  const visit = (file) => {
    if (seen.has(file) || !/\.(mjs|js|ts|cts|mts)$/.test(file)) return;
    seen.add(file);
    const text = readFileSync(file, 'utf8');
    const statements = /^\s*(?:import|export)\s[^'";]*?\sfrom\s*['"]([^'"]+)['"]|^\s*import\s*['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]\s*\)/gm;
    for (const m of text.matchAll(statements)) {
      const spec = m[1] ?? m[2] ?? m[3];
      out.push({ file, spec });
      if (/^[a-z]+:/.test(spec)) continue;
      if (spec.startsWith('.')) {
        let target = join(dirname(file), spec);
        // A declaration's `./x.js` names `./x.d.ts`.
        if (file.endsWith('.d.ts') && spec.endsWith('.js')) target = target.replace(/\.js$/, '.d.ts');
        visit(target);
      } else {
        visit(resolvePackage(spec, file));
      }
    }
  };
  visit(join(fileURLToPath(new URL('..', import.meta.url)), entry));
  return { imports: out, files: [...seen] };
}

test('no node: module in the web and Worker entries, in what they import, or in their declarations', () => {
  const graphs = [
    ['web.mjs', ['browser', 'import']],
    ['workerd.mjs', ['workerd', 'worker', 'import']],
    ['worker/index.mjs', ['workerd', 'worker', 'import']],
    ['index.d.ts', ['types', 'browser', 'import']],
    ['wasm.d.ts', ['types', 'import']],
    ['worker/index.d.ts', ['types', 'workerd', 'import']],
  ];
  const builtins = new Set(builtinModules);
  for (const [entry, conditions] of graphs) {
    const { imports, files } = importGraph(entry, conditions);
    // The walk crosses into the driver package (its Sessions class, its declarations).
    const driverFile = entry.endsWith('.mjs') ? 'sessions.mjs' : 'index.d.ts';
    if (!entry.startsWith('worker/index.d') && entry !== 'wasm.d.ts') {
      assert.ok(files.some((f) => f.endsWith(join('driver', entry.endsWith('.mjs') ? 'src' : '', driverFile))), `${entry} reaches the driver: ${files.join(', ')}`);
    }
    for (const { file, spec } of imports) {
      assert.ok(!spec.startsWith('node:') && !builtins.has(spec), `${file} imports ${spec} (reached from ${entry})`);
    }
    for (const f of files) {
      const text = readFileSync(f, 'utf8');
      assert.doesNotMatch(text, /reference types=["']node["']|\bNodeJS\.|\brequire\(['"]node:/, `${f} (reached from ${entry})`);
    }
  }
  // And the check sees one where there is one: the Node entry.
  assert.ok(importGraph('index.mjs', ['node', 'import']).imports.some((i) => i.spec === 'node:fs'));
});
