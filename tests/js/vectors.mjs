// The conformance-vector runner for JavaScript bindings (node:test). It knows the vector format
// of tests/vectors/README.md and nothing of any binding: the caller passes a factory that makes
// a fresh, empty `Sessions` (redis-sessions-style methods that return Promises and emit
// 'created' / 'destroyed' events) on the clock it is given, with automatic sweeping off.
//
//   import { runVectors } from '../../tests/js/vectors.mjs';
//   runVectors('memory store', (clock) => new Sessions({ clock, wipe: 0 }));
//
// It is the JS twin of tests/conformance (Rust): same substitution, same matchers. The runner
// itself (substitute, matches, runCase) is the store kit's (session-core-driver/testkit), so
// that the repository's tests and a store author's run the vectors the same way; this module
// reads the vector files of this folder directly (the kit carries a bundle of them).
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { matches, runCase, substitute } from 'session-core-driver/testkit';

export { matches, runCase, substitute };

export const vectorsDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'vectors');

/** Every vector file: `[{ file, description, cases }]`, sorted by file name. */
export function loadVectors(dir = vectorsDir) {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((file) => ({ file, ...JSON.parse(readFileSync(join(dir, file), 'utf8')) }));
}

/**
 * Registers every vector case as a node:test test under `label`. `factory(clock)` must return
 * a fresh Sessions with an empty store, reading time from `clock()` and not sweeping on its
 * own (e.g. `new Sessions({ clock, wipe: 0 })`). `options` go to `runCase`.
 */
export function runVectors(label, factory, dir = vectorsDir, options = {}) {
  const files = loadVectors(dir);
  describe(`conformance vectors: ${label}`, () => {
    test('the vectors are there', () => {
      const cases = files.reduce((n, f) => n + f.cases.length, 0);
      assert.ok(cases > 0, `no vector cases in ${dir}`);
    });
    for (const { file, cases } of files) {
      describe(file, () => {
        for (const c of cases) test(c.name, () => runCase(c, factory, options));
      });
    }
  });
}
