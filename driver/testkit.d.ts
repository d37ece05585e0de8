// Types of session-core-driver/testkit (ES modules): the kit for stores written in JavaScript.
import type { SessionsConstructor, Store } from './index.js';

/** What the kit needs to know about the store under test. */
export interface StoreKitOptions<S extends Store = Store> {
  /** A name for the report (and the node:test suite). */
  name?: string;
  /** A fresh, empty store for one check (each check gets its own). May return a Promise. */
  makeStore(): S | Promise<S>;
  /** Called after each check with its store, whatever the outcome (close it, drop its tables). */
  cleanup?(store: S): unknown;
  /** The differential run's seeds (default [1, 2, 3, 4]): one check per seed. */
  seeds?: number[];
  /** Operations per differential run (default 300). */
  steps?: number;
}

/** What `runStoreKit` resolves to. */
export interface StoreKitReport {
  /** Every check that passed, as `group › name`. */
  passed: string[];
  /** Every check that failed, with its error (an AssertionError names the step). */
  failed: Array<{ name: string; error: unknown }>;
}

/** The kit bound to one engine. */
export interface StoreKit {
  /** Registers every check as a node:test test (call it at the top level of a test file). */
  storeKit<S extends Store>(options: StoreKitOptions<S>): void;
  /** Runs every check, one after another, and reports. */
  runStoreKit<S extends Store>(options: StoreKitOptions<S>): Promise<StoreKitReport>;
}

/** The kit over a `Sessions` class (session-core's or session-core-wasm's). */
export declare function makeStoreKit(sessions: SessionsConstructor): StoreKit;

/** The largest batch a store must accept: 50,000 commands (the core's `store::MAX_BATCH`). */
export declare const MAX_BATCH: 50000;
/** The largest score, and the range bound that means "no bound": 2^53 − 1. */
export declare const MAX_SCORE: 9007199254740991;

/** One conformance-vector case (tests/vectors/README.md). */
export interface VectorCase {
  name: string;
  steps: Array<{
    op: string;
    now?: number;
    in?: unknown;
    out?: unknown;
    err?: { name: string; message?: string };
    save?: string;
    events?: unknown[];
    unordered?: boolean;
  }>;
}

/** Every vector file, bundled from tests/vectors when the package was built. */
export declare const VECTORS: Array<{ file: string; description: string; cases: VectorCase[] }>;

/**
 * Runs one vector case on a fresh Sessions from `factory(clock)`; rejects with an
 * AssertionError naming the step at the first difference.
 */
export declare function runCase(
  testCase: VectorCase,
  factory: (clock: () => number) => import('./index.js').Sessions,
  options?: { events?: boolean },
): Promise<void>;

/** The vectors' matchers: deep equality where `$token`, `$handle` and `$saved` match classes. */
export declare function matches(want: unknown, got: unknown, vars: Map<string, unknown>, unordered?: boolean): boolean;

/** Replaces `"$name"` strings with saved variables. */
export declare function substitute<T>(value: T, vars: Map<string, unknown>): T;
