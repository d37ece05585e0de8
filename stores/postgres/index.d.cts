// Types of session-core-postgres for CommonJS: the same as index.d.ts.
// Needs TypeScript 5.3+ (resolution-mode).
import type * as P from './index.js' with { 'resolution-mode': 'import' };

declare const postgres: {
  PostgresStore: typeof P.PostgresStore;
};

declare namespace postgres {
  type PostgresStore = P.PostgresStore;
  type PostgresStoreOptions = P.PostgresStoreOptions;
  type PoolLike = P.PoolLike;
}
export = postgres;
