// A TypeScript user of session-core-postgres in an ES module. Type-checked, never run.
import { Sessions, type Store } from 'session-core';
import { PostgresStore, type PoolLike, type PostgresStoreOptions } from 'session-core-postgres';

export async function postgresStore(pool: PoolLike): Promise<void> {
  const options: PostgresStoreOptions = { connectionString: 'postgres://postgres@127.0.0.1:5432/postgres', max: 4, prefix: 'sessions' };
  const store: PostgresStore = await new PostgresStore(options).migrate();
  const asStore: Store = store;
  const shared: true = store.shared;
  const sessions = new Sessions({ store, wipe: 600 });
  const pong: 'PONG' = await store.ping();
  const replies = await store.apply([{ op: 'zcount', key: 'rs:{shop}:_users', min: 0, max: 1 }]);
  new PostgresStore({ pool });
  await store.drop();
  await store.quit();
  void [asStore, shared, sessions, pong, replies];
  // @ts-expect-error max is a number
  new PostgresStore({ connectionString: 'x', max: '4' });
}
