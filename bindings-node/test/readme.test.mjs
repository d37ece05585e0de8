// The README shows MapStore in full: it must be the code that ships.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

const read = (f) => readFileSync(new URL(`../${f}`, import.meta.url), 'utf8');

test('the README shows MapStore exactly as driver.mjs has it', () => {
  const driver = read('driver.mjs');
  const region = /\/\/ #region MapStore[^\n]*\n([\s\S]*?)\/\/ #endregion MapStore/.exec(driver);
  assert.ok(region, 'driver.mjs marks the MapStore region');
  const code = region[1].trim();
  assert.ok(code.includes('export class MapStore'));
  assert.ok(read('README.md').includes(code), 'README.md has the MapStore region verbatim');
});
