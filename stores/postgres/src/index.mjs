// session-core-postgres: a store for session-core in PostgreSQL, through the JS store
// interface (`apply(batch)`) and the `pg` package. Each batch is one call of the SQL function
// that sql.mjs creates: one round trip and one transaction per batch, versions checked by the
// rows each write touched, and a lock per app (see sql.mjs and the README for why).
import { Pool } from 'pg';
import { checkPrefix, dropSchema, schema } from './sql.mjs';

/** The store: `new PostgresStore({ connectionString })` (or `{ pool }`), then `migrate()`. */
export class PostgresStore {
  /**
   * Shared by every process that uses the same database: session-core sweeps it on a timer
   * (every `wipe` seconds), not inside calls.
   */
  shared = true;
  #pool;
  #ownPool;
  #ended = false;
  #prefix;
  #apply;

  /**
   * @param {object} options
   * @param {import('pg').Pool} [options.pool] a pool of your own (quit() leaves it open)
   * @param {string} [options.connectionString] or a URL: the store opens (and closes) a pool
   * @param {number} [options.max] that pool's size (default 10)
   * @param {string} [options.prefix] the prefix of the table and function names ("session_core")
   */
  constructor({ pool, connectionString, max = 10, prefix = 'session_core' } = {}) {
    this.#prefix = checkPrefix(prefix);
    if (pool !== undefined) {
      this.#pool = pool;
      this.#ownPool = false;
    } else if (typeof connectionString === 'string') {
      this.#pool = new Pool({ connectionString, max });
      this.#ownPool = true;
    } else {
      throw new TypeError('PostgresStore needs options.pool or options.connectionString');
    }
    // The pool reports an idle client's failure (the server went away) as an 'error' event;
    // the next query reports it to its caller, so the event only needs a listener.
    if (this.#ownPool) this.#pool.on('error', () => {});
    this.#apply = { name: `${prefix}_apply`, text: `SELECT ${prefix}_apply($1::jsonb) AS r` };
  }

  /** Creates the tables and the function if they do not exist (safe to run from many processes). */
  async migrate() {
    const client = await this.#pool.connect();
    try {
      await client.query('BEGIN');
      // One migration at a time: concurrent CREATE OR REPLACE of one function fails.
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`session-core migrate ${this.#prefix}`]);
      for (const statement of schema(this.#prefix)) await client.query(statement);
      await client.query('COMMIT');
    } catch (e) {
      await client.query('ROLLBACK').catch(() => {});
      throw e;
    } finally {
      client.release();
    }
    return this;
  }

  /** Drops the tables and the function (every session in them is gone). */
  async drop() {
    for (const statement of dropSchema(this.#prefix)) await this.#pool.query(statement);
  }

  /** Applies one batch, all or nothing: its replies, or `{conflict: true}`. */
  async apply(batch) {
    const { rows } = await this.#pool.query({ ...this.#apply, values: [JSON.stringify(batch)] });
    return rows[0].r;
  }

  /** "PONG" once the database answers. */
  async ping() {
    await this.#pool.query('SELECT 1');
    return 'PONG';
  }

  /** Closes the pool the store opened (a pool passed in is left to its owner); once. */
  async quit() {
    if (!this.#ownPool || this.#ended) return;
    this.#ended = true;
    await this.#pool.end();
  }
}
