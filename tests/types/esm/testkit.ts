// A TypeScript user of the store kits in an ES module: session-core/testkit,
// session-core-wasm/testkit and session-core-driver/testkit. Type-checked, never run.
import { MapStore, type Store } from 'session-core';
import { MAX_BATCH, MAX_SCORE, runStoreKit, storeKit, type StoreKitOptions, type StoreKitReport } from 'session-core/testkit';
import { runStoreKit as runWasmKit, storeKit as wasmStoreKit } from 'session-core-wasm/testkit';
import { makeStoreKit, matches, runCase, substitute, VECTORS, type VectorCase } from 'session-core-driver/testkit';
import { Sessions } from 'session-core';

export async function testkits(): Promise<void> {
  class MyStore implements Store {
    #inner = new MapStore();
    readonly shared = false;
    async apply(batch: Parameters<Store['apply']>[0]) {
      return this.#inner.apply(batch);
    }
  }
  const options: StoreKitOptions<MyStore> = {
    name: 'MyStore',
    makeStore: () => new MyStore(),
    cleanup: async (store: MyStore) => void store,
    seeds: [1, 2],
    steps: 100,
  };
  storeKit(options);
  wasmStoreKit({ makeStore: async () => new MyStore() });
  const report: StoreKitReport = await runStoreKit(options);
  const failures: string[] = report.failed.map((f) => f.name);
  await runWasmKit({ makeStore: () => new MapStore() });
  const biggest: 50000 = MAX_BATCH;
  const top: number = MAX_SCORE;
  const kit = makeStoreKit(Sessions);
  const first: VectorCase = VECTORS[0].cases[0];
  await runCase(first, (clock) => new Sessions({ clock, wipe: 0 }));
  const same: boolean = matches('$token', 'x', new Map());
  const input: { a: string } = substitute({ a: '$t' }, new Map([['t', 'v']]));
  await kit.runStoreKit({ makeStore: () => new MapStore() });
  void [failures, biggest, top, same, input, report.passed];
  // @ts-expect-error makeStore is required
  storeKit({ name: 'x' });
}
