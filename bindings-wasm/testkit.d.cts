// Types of `require('session-core-wasm/testkit')`. Needs TypeScript 5.3+ (resolution-mode).
import type * as K from 'session-core-driver/testkit' with { 'resolution-mode': 'import' };

declare const testkit: {
  storeKit: K.StoreKit['storeKit'];
  runStoreKit: K.StoreKit['runStoreKit'];
  MAX_BATCH: typeof K.MAX_BATCH;
  MAX_SCORE: typeof K.MAX_SCORE;
};

declare namespace testkit {
  type StoreKit = K.StoreKit;
  type StoreKitOptions = K.StoreKitOptions;
  type StoreKitReport = K.StoreKitReport;
}
export = testkit;
