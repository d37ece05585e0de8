// A TypeScript user of session-core-wasm in a CommonJS module (`require`): the package's
// `require` entry, its durable-object-store and its driver. Type-checked, never run.
import wasm = require('session-core-wasm');
import { DurableObjectStore, MapStore, SessionError, Sessions } from 'session-core-wasm';
import type { Session, Store } from 'session-core-wasm';
import dos = require('session-core-wasm/durable-object-store');
import driver = require('session-core-wasm/driver');

declare const storage: dos.DurableObjectStorageLike;

export async function sessionCoreWasmCjs(): Promise<void> {
  const sessions: wasm.Sessions = new Sessions({ store: new MapStore() });
  const other: Sessions = new wasm.default();
  const { token } = await sessions.create({ app: 'shop', id: 'u1', ip: '::1' });
  const got: Session | null = await other.get({ app: 'shop', token });
  const store: Store = new DurableObjectStore(storage);
  const again: wasm.DurableObjectStore = new dos.DurableObjectStore(storage);
  const e: wasm.SessionError = new SessionError('storeError', 'down');
  const order: number = driver.compareMembers('a', 'b');
  // Loaded by require(): init() and initSync() do nothing, and take what web.mjs's take.
  const source: wasm.InitInput = new Uint8Array(8);
  await wasm.init(source);
  await wasm.init();
  wasm.initSync(new ArrayBuffer(8));
  void [got, store, again, e, order];
  // @ts-expect-error not an export
  wasm.Nope;
}
