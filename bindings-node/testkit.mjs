// `session-core/testkit`: the kit for stores written in JavaScript (session-core-driver/testkit),
// bound to this package's engine: every conformance vector, a differential run against
// MapStore, and the store contract checked on `apply`. See the README's store section.
import { makeStoreKit } from 'session-core-driver/testkit';
import { Sessions } from './index.mjs';

const kit = makeStoreKit(Sessions);

/** Registers every check of the kit as a node:test test. */
export const storeKit = kit.storeKit;
/** Runs every check of the kit; resolves to `{ passed, failed }`. */
export const runStoreKit = kit.runStoreKit;
export { MAX_BATCH, MAX_SCORE } from 'session-core-driver/testkit';
