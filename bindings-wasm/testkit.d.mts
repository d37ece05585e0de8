// Types of `session-core-wasm/testkit` (ES modules).
import type { StoreKit } from 'session-core-driver/testkit';

export type { StoreKit, StoreKitOptions, StoreKitReport } from 'session-core-driver/testkit';
export { MAX_BATCH, MAX_SCORE } from 'session-core-driver/testkit';
/** Registers every check of the kit as a node:test test. */
export declare const storeKit: StoreKit['storeKit'];
/** Runs every check of the kit; resolves to `{ passed, failed }`. */
export declare const runStoreKit: StoreKit['runStoreKit'];
