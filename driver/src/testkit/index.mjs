// session-core's kit for stores written in JavaScript (`apply(batch)`): everything a new store
// must pass, in three parts, each check on a fresh store from the caller's `makeStore()`:
//
//   vectors       every conformance vector (tests/vectors, bundled at build time) through
//                 `new Sessions({ store, clock, wipe: 0 })`;
//   differential  seeded random sequences of operations and clock advances, answered by the
//                 store and by MapStore through the same engine, every answer compared;
//   contract      the store contract straight on `apply`: all or nothing, versions, order,
//                 ties, zremIfEmpty, the largest batch, the score range, concurrent writers.
//
// `makeStoreKit(Sessions)` binds it to an engine: session-core/testkit and
// session-core-wasm/testkit export the kit bound to theirs. `storeKit(options)` registers the
// checks as node:test tests; `runStoreKit(options)` runs them and resolves to a report.
import { describe, test } from 'node:test';
import { CONTRACT, MAX_BATCH, MAX_SCORE } from './contract.mjs';
import { runDifferential } from './differential.mjs';
import { VECTORS } from './vectors-data.mjs';
import { matches, runCase, substitute } from './vectors.mjs';

export { MAX_BATCH, MAX_SCORE, VECTORS, matches, runCase, substitute };

/** The seeds the differential run uses unless told otherwise. */
const SEEDS = [1, 2, 3, 4];

/** Every check of the kit: `{ group, name, run(store) }`. */
function checks(Sessions, { seeds = SEEDS, steps = 300 } = {}) {
  const out = [];
  for (const { file, cases } of VECTORS) {
    for (const c of cases) {
      out.push({
        group: `vectors: ${file}`,
        name: c.name,
        run: (store) => runCase(c, (clock) => new Sessions({ store, clock, wipe: 0 })),
      });
    }
  }
  for (const seed of seeds) {
    out.push({
      group: 'differential (against MapStore)',
      name: `seed ${seed}: ${steps} operations`,
      run: (store) => runDifferential({ Sessions, store, seed, steps }),
    });
  }
  for (const [name, run] of CONTRACT) out.push({ group: 'store contract (apply)', name, run });
  return out;
}

/** Checks the kit's options: `makeStore` is required. */
function options(o) {
  if (typeof o?.makeStore !== 'function') throw new TypeError('the store kit needs options.makeStore: () => store');
  return { name: 'store', cleanup: async () => {}, ...o };
}

/** Runs one check on a fresh store, then cleans it up (whatever the outcome). */
async function runOne(check, { makeStore, cleanup }) {
  const store = await makeStore();
  if (typeof store?.apply !== 'function') throw new TypeError('makeStore() must return a store: an object with apply(batch)');
  try {
    await check.run(store);
  } finally {
    await cleanup(store);
  }
}

/** The kit bound to a `Sessions` class (an engine). */
export function makeStoreKit(Sessions) {
  return {
    /**
     * Registers every check as a node:test test, grouped under `name`. Options: `name`,
     * `makeStore()` (a fresh, empty store; may return a Promise), `cleanup(store)`, `seeds`,
     * `steps` (the differential run's).
     */
    storeKit(o) {
      const opts = options(o);
      const all = checks(Sessions, opts);
      describe(`store kit: ${opts.name}`, () => {
        for (const group of new Set(all.map((c) => c.group))) {
          describe(group, () => {
            for (const check of all.filter((c) => c.group === group)) test(check.name, () => runOne(check, opts));
          });
        }
      });
    },

    /**
     * Runs every check, one after another; resolves to `{ passed, failed }`: the names of the
     * checks that passed, and `{ name, error }` for each that failed.
     */
    async runStoreKit(o) {
      const opts = options(o);
      const passed = [];
      const failed = [];
      for (const check of checks(Sessions, opts)) {
        const name = `${check.group} › ${check.name}`;
        try {
          await runOne(check, opts);
          passed.push(name);
        } catch (error) {
          failed.push({ name, error });
        }
      }
      return { passed, failed };
    },
  };
}
