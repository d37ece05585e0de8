// A TypeScript user of the npm package session-core-wasm, in an ES module: every entry point
// of its `exports` map (the default one, whichever condition picks it: Node, workerd, browser;
// `/web`, `/workerd`, `/durable-object-store`, `/driver`). Type-checked, never run.
import DefaultSessions, {
  DurableObjectStore,
  init,
  initSync,
  MapStore,
  SessionError,
  Sessions,
  type ApplyResult,
  type CreateOptions,
  type DataValue,
  type DeltaOptions,
  type DestroyReason,
  type ErrorName,
  type Expect,
  type IdOptions,
  type InitInput,
  type WasmModule,
  type WasmResponse,
  type KillOptions,
  type ListedSession,
  type Session,
  type SessionData,
  type SessionEvent,
  type SessionsOptions,
  type SetOptions,
  type SetTtlOptions,
  type Store,
  type StoreCommand,
  type StoreReply,
  type SweepOptions,
  type TokenOptions,
} from 'session-core-wasm';
import WebSessions, {
  DurableObjectStore as WebStore,
  init as initWeb,
  initSync as initWebSync,
  MapStore as WebMapStore,
  SessionError as WebError,
  Sessions as WebSessionsNamed,
} from 'session-core-wasm/web';
import WorkerdSessions, {
  init as initWorkerd,
  initSync as initWorkerdSync,
  MapStore as WorkerdMapStore,
  SessionError as WorkerdError,
} from 'session-core-wasm/workerd';
import wasmFile from 'session-core-wasm/session_core_wasm_bg.wasm';
import {
  DurableObjectStore as Store2,
  type DurableObjectStorageLike,
} from 'session-core-wasm/durable-object-store';
import { compareMembers, makeRedisSessionsClass, makeSessionsClass, type Backend } from 'session-core-wasm/driver';

declare const storage: DurableObjectStorageLike;

export async function sessionCoreWasm(): Promise<void> {
  const options: SessionsOptions = { clock: () => 0, autoSweep: false };
  const sessions: Sessions = new Sessions(options);
  const create: CreateOptions = { app: 'shop', id: 'u1', ip: '10.0.0.1' };
  const { token } = await sessions.create(create);
  const got: Session | null = await sessions.get({ app: 'shop', token } satisfies TokenOptions);
  const set: SetOptions = { app: 'shop', token, d: { cart: 2 as DataValue } };
  const data: SessionData | undefined = (await sessions.set(set))?.d;
  const ttl: SetTtlOptions = { app: 'shop', token, ttl: 60 };
  await sessions.setTtl(ttl);
  const kill: KillOptions = { app: 'shop', token };
  await sessions.kill(kill);
  const dt: DeltaOptions = { app: 'shop', dt: 60 };
  const listed: ListedSession[] = (await sessions.soapp(dt)).sessions;
  const user: IdOptions = { app: 'shop', id: 'u1' };
  await sessions.soid(user);
  const sweep: SweepOptions = { limit: 10 };
  await sessions.sweep(sweep);
  sessions.on('destroyed', (e: SessionEvent) => {
    const reason: DestroyReason | undefined = e.reason;
    void reason;
  });
  const name: ErrorName = new SessionError('storeError', 'down').name;
  void [got, data, listed, name];

  // A Durable Object's storage as the store.
  const dos: Store = new DurableObjectStore(storage);
  const inDo = new Sessions({ store: new Store2(storage), autoSweep: false });
  const pong: 'PONG' = new WebStore(storage).ping();
  const expect: Expect = 2;
  const batch: StoreCommand[] = [{ op: 'delete', key: 'k', expect }];
  const result: ApplyResult = await new DurableObjectStore(storage).apply(batch);
  const reply: StoreReply = Array.isArray(result) ? result[0] : null;
  const map: Store = new MapStore();
  void [dos, inDo, pong, reply, map];

  // Every entry point has the same API.
  const all: Sessions[] = [
    new DefaultSessions(),
    new WebSessions(),
    new WebSessionsNamed(),
    new WorkerdSessions({ store: new WorkerdMapStore() }),
  ];
  const e: Error = new WorkerdError('conflict', 'changed');
  const Made = makeSessionsClass({} as Backend);
  const Shell = makeRedisSessionsClass(Made, () => ({ store: new MapStore() }));
  const order: number = compareMembers('a', 'b');
  void [all, e, Shell, order];

  // Loading the module by hand: every kind of source, from every entry.
  const sources: InitInput[] = [
    wasmFile,
    'https://example.com/session_core_wasm_bg.wasm',
    new URL('https://example.com/session_core_wasm_bg.wasm'),
    new Uint8Array(8),
    new ArrayBuffer(8),
    await fetch('https://example.com/session_core_wasm_bg.wasm'),
  ];
  for (const source of sources) await initWeb(source);
  await initWeb(fetch('https://example.com/session_core_wasm_bg.wasm'));
  await initWeb();
  await init();
  await initWorkerd();
  const compiled: WasmModule = {} as WasmModule;
  const response: WasmResponse = { ok: true, status: 200, url: '', arrayBuffer: async () => new ArrayBuffer(0) };
  initSync(new Uint8Array(8));
  initWebSync(compiled);
  initWorkerdSync(new ArrayBuffer(8));
  await initWeb(response);
  const webStore: Store = new WebMapStore();
  const webError: Error = new WebError('conflict', 'changed');
  void [webStore, webError];
  // @ts-expect-error not a source of the .wasm
  await initWeb(null);
  // @ts-expect-error initSync needs the module or its bytes, not a URL
  initWebSync('https://example.com/session_core_wasm_bg.wasm');

  // @ts-expect-error the store needs apply()
  new Sessions({ store: {} });
  // @ts-expect-error DurableObjectStore needs a storage
  new DurableObjectStore();
}
