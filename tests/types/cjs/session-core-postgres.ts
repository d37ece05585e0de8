// A TypeScript user of session-core-postgres in a CommonJS module (`require`). Never run.
import postgres = require('session-core-postgres');
import { PostgresStore } from 'session-core-postgres';
import { Sessions } from 'session-core';

export async function postgresStoreCjs(): Promise<void> {
  const options: postgres.PostgresStoreOptions = { connectionString: 'postgres://127.0.0.1/db' };
  const store: postgres.PostgresStore = await new PostgresStore(options).migrate();
  const other = new postgres.PostgresStore({ connectionString: 'postgres://127.0.0.1/db', prefix: 'other' });
  const pool: postgres.PoolLike | undefined = undefined;
  new Sessions({ store });
  void [other, pool];
  // @ts-expect-error not an export
  postgres.Nope;
}
