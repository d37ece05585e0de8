// The package as published: the .wasm imports only its own glue (no `env`), the API has the
// same names as the Node package's, and the TypeScript declarations cover every export.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
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
  for (const entry of ['index.mjs', 'index.cjs', 'workerd.mjs', 'web.mjs', 'worker/index.mjs']) visit(entry);
  assert.ok(seen.has('worker/openapi.mjs') && seen.has('pkg/session_core_wasm.cjs'));
});
