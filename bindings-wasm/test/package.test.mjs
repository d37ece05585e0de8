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
