// Types of session-core-postgres (ES modules).
/** What the store uses of a `pg` Pool (`new Pool()` from the pg package is one). */
export interface PoolLike {
  query(query: { name?: string; text: string; values?: unknown[] } | string, values?: unknown[]): Promise<{ rows: any[] }>;
  connect(): Promise<{
    query(text: string, values?: unknown[]): Promise<{ rows: any[] }>;
    release(): void;
  }>;
  end(): Promise<void>;
}

export interface PostgresStoreOptions {
  /** A pg Pool of your own; `quit()` leaves it open. */
  pool?: PoolLike;
  /** Or a connection URL (`postgres://user:password@host:5432/db`): the store opens a pool. */
  connectionString?: string;
  /** The size of the pool the store opens (default 10). */
  max?: number;
  /** The prefix of the table and function names: `[a-z_][a-z0-9_]*` (default "session_core"). */
  prefix?: string;
}

/** A store for session-core in PostgreSQL: `new Sessions({ store })`. */
export declare class PostgresStore {
  constructor(options: PostgresStoreOptions);
  /** Always true: session-core sweeps a shared store on a timer (every `wipe` seconds). */
  readonly shared: true;
  /** Creates the tables and the function if they are missing; resolves to the store. */
  migrate(): Promise<this>;
  /** Drops the tables and the function: every session in them is gone. */
  drop(): Promise<void>;
  /** Applies one batch in one transaction: its replies, or `{conflict: true}`. */
  apply(batch: Array<{ op: string; key: string; [field: string]: unknown }>): Promise<unknown[] | { conflict: true }>;
  /** "PONG" once the database answers. */
  ping(): Promise<'PONG'>;
  /** Closes the pool the store opened. */
  quit(): Promise<void>;
}
