// The README shows MapStore in full: it must be the code that ships (in the shared driver,
// session-core-driver's src/map-store.mjs).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { test } from 'node:test';

const driverDir = dirname(createRequire(import.meta.url).resolve('session-core-driver/package.json'));

test("the README shows MapStore exactly as the driver's map-store.mjs has it", () => {
  const source = readFileSync(join(driverDir, 'src', 'map-store.mjs'), 'utf8');
  const region = /\/\/ #region MapStore[^\n]*\n([\s\S]*?)\/\/ #endregion MapStore/.exec(source);
  assert.ok(region, 'map-store.mjs marks the MapStore region');
  const code = region[1].trim();
  assert.ok(code.includes('export class MapStore'));
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  assert.ok(readme.includes(code), 'README.md has the MapStore region verbatim');
});
