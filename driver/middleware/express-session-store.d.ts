// Types of session-core-driver/express-session-store. The class is declared structurally
// (it extends express-session's Store at run time), so that these types need neither
// express-session's types nor Express's; it is assignable to express-session's `store`.
import { EventEmitter } from 'node:events';
import type { Sessions } from '../index.js';
import type { MiddlewareBinding } from './session.js';

export type { MiddlewareBinding } from './session.js';

export interface SessionCoreStoreOptions {
  /** The Sessions to keep sessions in (default: the package's embedded one). */
  sessions?: Sessions;
  /** A Redis URL (session-core only). Not with `sessions`. */
  redis?: string;
  /** The app name: 3–20 characters of [A-Za-z0-9_-]. Default "express". */
  app?: string;
  /** Seconds, for sessions whose cookie never expires (no `expires`, or one that is not a date). Default 86400. */
  ttl?: number;
  /** The `ip` recorded with each session (express-session does not give the store the request). Default "express-session". */
  ip?: string;
}

/** An express-session session as the store sees it: its data, with `cookie`. */
export interface StoredSession {
  cookie: { maxAge?: number | null; originalMaxAge?: number | null; expires?: Date | string | null };
  [key: string]: any;
}

export declare class SessionCoreStore extends EventEmitter {
  constructor(options?: SessionCoreStoreOptions);
  /** The Sessions this store keeps its sessions in. */
  readonly sessions: Sessions;
  get(sid: string, callback: (err: any, session?: StoredSession | null) => void): void;
  get(sid: string): Promise<StoredSession | null>;
  set(sid: string, session: StoredSession, callback?: (err?: any) => void): void;
  set(sid: string, session: StoredSession): Promise<void>;
  touch(sid: string, session: StoredSession, callback?: (err?: any) => void): void;
  touch(sid: string, session: StoredSession): Promise<void>;
  destroy(sid: string, callback?: (err?: any) => void): void;
  destroy(sid: string): Promise<void>;
  /** Every live session, as an array (sids are not kept, only their hashes). */
  all(callback: (err: any, sessions?: StoredSession[] | null) => void): void;
  all(): Promise<StoredSession[]>;
  length(callback: (err: any, length?: number) => void): void;
  length(): Promise<number>;
  clear(callback?: (err?: any) => void): void;
  clear(): Promise<void>;
  /** express-session's own Store methods (inherited). */
  regenerate(req: any, callback: (err?: any) => any): void;
  load(sid: string, callback: (err: any, session?: any) => any): void;
  createSession(req: any, session: any): any;
}

export declare function makeExpressSessionStore(binding: MiddlewareBinding): { SessionCoreStore: typeof SessionCoreStore };
