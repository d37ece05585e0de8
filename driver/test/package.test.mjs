// The package as both npm packages use it: one source (src/*.mjs, each module with a header
// that says what it holds), the same exports from ES modules and from CommonJS, and the
// `driver` entry points of session-core and session-core-wasm re-exporting it (no copy).
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import * as driver from 'session-core-driver';

const require = createRequire(import.meta.url);
const src = new URL('../src/', import.meta.url);

test('every module starts with a comment that says what it holds', () => {
  const modules = readdirSync(src, { recursive: true }).filter((f) => f.endsWith('.mjs'));
  assert.ok(modules.length >= 10, modules.join(', '));
  for (const f of modules) {
    const text = readFileSync(new URL(f, src), 'utf8');
    assert.match(text, /^\/\/ \S.*\n\/\/ /, `${f} starts with a comment of at least two lines`);
  }
});

test('require() gives the same exports as import', () => {
  const cjs = require('session-core-driver');
  assert.deepEqual(Object.keys(cjs).sort(), Object.keys(driver).sort());
  for (const name of ['SessionError', 'MapStore', 'compareMembers', 'makeSessionsClass', 'makeRedisSessionsClass']) {
    assert.equal(typeof driver[name], 'function', name);
  }
});

test('session-core/driver and session-core-wasm/driver are this package, from ESM and CJS', async () => {
  for (const pkg of ['session-core', 'session-core-wasm']) {
    const esm = await import(`${pkg}/driver`);
    const cjs = require(`${pkg}/driver`);
    for (const name of Object.keys(driver)) {
      assert.equal(esm[name], driver[name], `${pkg}/driver ${name} (import)`);
      assert.equal(cjs[name], require('session-core-driver')[name], `${pkg}/driver ${name} (require)`);
    }
  }
});
