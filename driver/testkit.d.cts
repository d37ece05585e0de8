// Types of session-core-driver/testkit for CommonJS: the same as testkit.d.ts.
// Needs TypeScript 5.3+ (resolution-mode).
import type * as D from './index.js' with { 'resolution-mode': 'import' };
import type * as K from './testkit.js' with { 'resolution-mode': 'import' };

declare const testkit: {
  makeStoreKit: typeof K.makeStoreKit;
  MAX_BATCH: typeof K.MAX_BATCH;
  MAX_SCORE: typeof K.MAX_SCORE;
  VECTORS: typeof K.VECTORS;
  runCase: typeof K.runCase;
  matches: typeof K.matches;
  substitute: typeof K.substitute;
};

declare namespace testkit {
  type StoreKit = K.StoreKit;
  type StoreKitOptions<S extends D.Store = D.Store> = K.StoreKitOptions<S>;
  type StoreKitReport = K.StoreKitReport;
  type VectorCase = K.VectorCase;
}
export = testkit;
