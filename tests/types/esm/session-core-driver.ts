// A TypeScript user of session-core-driver, the JS driver that session-core and
// session-core-wasm share, in an ES module: every export, through the package name and its
// `exports` map. Type-checked, never run.
import {
  compareMembers,
  makeRedisSessionsClass,
  makeSessionsClass,
  MapStore,
  SessionError,
  type Backend,
  type SessionsConstructor,
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
}
