// A TypeScript user of session-core-driver, the JS driver that session-core and
// session-core-wasm share, in an ES module: every export, through the package name and its
// `exports` map. Type-checked, never run.
import {
  compareMembers,
  Emitter,
  makeRedisSessionsClass,
  makeSessionsClass,
  MapStore,
  SessionError,
  type Backend,
  type EventMap,
  type MakeSessionsOptions,
  type SessionEvent,
  type SessionsConstructor,
  type SessionsEvents,
  type Store,
} from 'session-core-driver';
import { Sessions } from 'session-core';

export function sessionCoreDriver(backend: Backend): void {
  const Made: SessionsConstructor = makeSessionsClass(backend);
  const Shell = makeRedisSessionsClass(Sessions, () => ({ store: new MapStore() }));
  const store: Store = new MapStore();
  const order: number = compareMembers('b', 'a');
  const e: SessionError = new SessionError('conflict', 'changed');
  void [Made, Shell, store, order, e];
  // @ts-expect-error not an error name
  new SessionError('nope', 'x');

  // The driver's typed Emitter, and the class Sessions extends.
  interface Ticks extends EventMap {
    tick: [n: number, label: string];
  }
  const ticks = new Emitter<Ticks>();
  ticks.on('tick', (n, label) => void [n.toFixed(), label.trim()]).once('tick', () => {});
  const listened: boolean = ticks.emit('tick', 1, 'one');
  // @ts-expect-error the listener's arguments are typed
  ticks.on('tick', (n: string) => void n);
  // @ts-expect-error so are emit's
  ticks.emit('tick', 'one');
  const count: number = ticks.off('tick', () => {}).removeAllListeners().listenerCount('tick');
  const options: MakeSessionsOptions = { EventEmitter: Emitter };
  const OnEmitter: SessionsConstructor = makeSessionsClass(backend, options);
  const s = new OnEmitter();
  s.on('created', (e: SessionEvent) => void e.handle);
  s.on('error', (err) => void err);
  const created: SessionsEvents['created'] = [{ type: 'created', app: 'a', id: 'u', handle: 'h' }];
  s.emit('created', ...created);
  void [listened, count];
}
