// A TypeScript user of session-core-driver in a CommonJS module (`require`): every export,
// through the `require` branch of its `exports` map. Type-checked, never run.
import driver = require('session-core-driver');
import { compareMembers, Emitter, makeRedisSessionsClass, makeSessionsClass, MapStore, SessionError } from 'session-core-driver';

export function sessionCoreDriverCjs(backend: driver.Backend): void {
  const Made: driver.SessionsConstructor = makeSessionsClass(backend);
  const Shell = makeRedisSessionsClass(Made, () => ({ store: new MapStore() }));
  const store: driver.Store = new driver.MapStore();
  const order: number = compareMembers('b', 'a');
  const e: driver.SessionError = new SessionError('conflict', 'changed');
  void [Shell, store, order, e];
  // @ts-expect-error not an export
  driver.Nope;

  const events: driver.Emitter<driver.SessionsEvents> = new Emitter<driver.SessionsEvents>();
  const options: driver.MakeSessionsOptions = { EventEmitter: driver.Emitter };
  events.on('expired', (e: driver.SessionEvent) => void e.id);
  void makeSessionsClass(backend, options);
}
