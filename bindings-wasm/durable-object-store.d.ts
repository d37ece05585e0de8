// Types of durable-object-store.mjs.
import type { ApplyResult, Store, StoreCommand } from 'session-core-driver';

/** The part of a Durable Object's `state.storage` that the store uses. */
export interface DurableObjectStorageLike {
  get(key: string): Promise<unknown>;
  get(keys: string[]): Promise<Map<string, unknown>>;
  put(key: string, value: unknown): Promise<void>;
  put(entries: Record<string, unknown>): Promise<void>;
  delete(key: string): Promise<boolean>;
  delete(keys: string[]): Promise<number>;
  list(options?: {
    start?: string;
    end?: string;
    prefix?: string;
    reverse?: boolean;
    limit?: number;
  }): Promise<Map<string, unknown>>;
}

/**
 * A session-core store over a Durable Object's storage: `new Sessions({ store: new
 * DurableObjectStore(state.storage) })`. Each batch is checked, then written as one atomic
 * write (no await between its puts and deletes).
 */
export declare class DurableObjectStore implements Store {
  constructor(storage: DurableObjectStorageLike);
  apply(batch: StoreCommand[]): Promise<ApplyResult>;
  ping(): 'PONG';
}
