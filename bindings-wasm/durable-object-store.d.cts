// Types of durable-object-store.cjs (CommonJS: `require('session-core-wasm/durable-object-store')`),
// the same as durable-object-store.d.ts. Needs TypeScript 5.3+ (resolution-mode).
import type * as DO from './durable-object-store.js' with { 'resolution-mode': 'import' };

declare const durableObjectStore: {
  DurableObjectStore: typeof DO.DurableObjectStore;
};

declare namespace durableObjectStore {
  type DurableObjectStore = DO.DurableObjectStore;
  type DurableObjectStorageLike = DO.DurableObjectStorageLike;
}
export = durableObjectStore;
