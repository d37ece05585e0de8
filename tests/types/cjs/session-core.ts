// A TypeScript user of session-core in a CommonJS module (`require`): every export of
// `session-core`, `session-core/redis-sessions` and `session-core/driver`, through the
// package name and the `require` branch of its `exports` map. Type-checked, never run.
import sessionCore = require('session-core');
import { MapStore, SessionError, Sessions } from 'session-core';
import type { CreateOptions, ListedSession, RedisClusterOptions, RedisOptions, Session, SessionEvent, SessionsOptions, Store, StoreCommand } from 'session-core';
import RedisSessions = require('session-core/redis-sessions');
import driver = require('session-core/driver');

export async function sessionCoreCjs(): Promise<void> {
  const options: SessionsOptions = { wipe: 0 };
  const redisOptions: RedisOptions = { url: 'rediss://redis.example:6380', tls: true };
  void new Sessions({ redis: redisOptions });
  const clusterOptions: RedisClusterOptions = { cluster: ['redis://10.0.0.1:6379'], username: 'app' };
  void new Sessions({ redis: clusterOptions });
  void new Sessions({ redis: { url: 'redis+sentinel://10.0.0.1:26379/mymaster', waitReplicas: 1 } });
  const sessions: Sessions = new Sessions(options);
  const viaNamespace: sessionCore.Sessions = new sessionCore.Sessions();
  const viaDefault: sessionCore.Sessions = new sessionCore.default({ store: new sessionCore.MapStore() });
  const create: CreateOptions = { app: 'shop', id: 'u1', ip: '::1' };
  const { token } = await sessions.create(create);
  const got: Session | null = await sessions.get({ app: 'shop', token });
  const listed: ListedSession[] = (await sessions.soid({ app: 'shop', id: 'u1' })).sessions;
  sessions.on('created', (e: SessionEvent) => void e.handle);
  const emitter: import('node:events').EventEmitter = viaDefault.setMaxListeners(20);
  void emitter;
  const error: sessionCore.SessionError = new SessionError('invalidFormat', 'Invalid app format', 'app');
  const store: Store = new MapStore();
  const batch: StoreCommand[] = [{ op: 'get', key: 'k' }];
  store.apply(batch);
  void [viaNamespace, viaDefault, got, listed, error];

  const rs: RedisSessions.RedisSessionsInstance = new RedisSessions({ host: '127.0.0.1', port: 6379, namespace: 'rs', wipe: 600 });
  rs.setMaxListeners(20); // an EventEmitter of node:events
  const rs2 = new RedisSessions.default({ options: { url: 'redis://127.0.0.1:6379' }, cachetime: 60 });
  void new RedisSessions({ cluster: [{ host: '10.0.0.1', port: 6379 }] });
  const fromRs: RedisSessions.Session | null = await rs.get({ app: 'myapp', token });
  await rs2.quit();
  void fromRs;

  const Custom = driver.makeRedisSessionsClass(sessionCore.Sessions, () => ({ store: new driver.MapStore() }));
  new Custom();
  const order: number = driver.compareMembers('a', 'b');
  const Made: driver.SessionsConstructor = driver.makeSessionsClass({} as driver.Backend);
  const e: Error = new driver.SessionError('tooLarge', 'd is too large');
  void [order, Made, e];

  // @ts-expect-error app is required
  await sessions.get({ token });
  // @ts-expect-error not an export
  sessionCore.Nope;
}
