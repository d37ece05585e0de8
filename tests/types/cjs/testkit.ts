// A TypeScript user of the store kits in a CommonJS module (`require`). Type-checked, never run.
import kit = require('session-core/testkit');
import wasmKit = require('session-core-wasm/testkit');
import driverKit = require('session-core-driver/testkit');
import { MapStore, Sessions } from 'session-core';

export async function testkitsCjs(): Promise<void> {
  const options: kit.StoreKitOptions = { name: 'MapStore', makeStore: () => new MapStore() };
  kit.storeKit(options);
  const report: kit.StoreKitReport = await kit.runStoreKit(options);
  await wasmKit.runStoreKit({ makeStore: () => new MapStore() });
  wasmKit.storeKit({ makeStore: () => new MapStore() });
  const made: driverKit.StoreKit = driverKit.makeStoreKit(Sessions);
  const n: number = kit.MAX_BATCH + kit.MAX_SCORE + wasmKit.MAX_BATCH + wasmKit.MAX_SCORE + driverKit.MAX_BATCH + driverKit.MAX_SCORE;
  const c: driverKit.VectorCase = driverKit.VECTORS[0].cases[0];
  await driverKit.runCase(c, (clock) => new Sessions({ clock }));
  const m: boolean = driverKit.matches(1, 1, new Map());
  const s: string = driverKit.substitute('$x', new Map());
  void [report, made, n, m, s];
  // @ts-expect-error not an export
  kit.nope;
}
