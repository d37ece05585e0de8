// Types of session-core-driver/jwt-redis-session: jwt-redis-session's middleware over a binding.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Sessions, SessionsConstructor } from '../index.js';

/** A Node-style callback. */
export type JwtSessionCallback<T> = (err: Error | null, result?: T) => void;

export interface JwtRedisSessionOptions {
  /** A Redis URL (session-core's napi package) or any session-core `Sessions`. */
  client: string | Sessions;
  /** HS256/384/512: the shared secret (text or bytes); RS256: a PKCS#8 PEM private key. */
  secret: string | Uint8Array;
  /** Names the core's app: its characters of [A-Za-z0-9_-] (default "sess:", so "sess"). */
  keyspace?: string;
  /** The session's idle TTL in seconds (default 86400). */
  maxAge?: number;
  /** 'HS256' (default), 'HS384', 'HS512' or 'RS256'. */
  algorithm?: 'HS256' | 'HS384' | 'HS512' | 'RS256';
  /** Where the session goes on the request (default "session"). */
  requestKey?: string;
  /** The body and query field of the token (default "accessToken"; header x-access-token). */
  requestArg?: string;
  /** The clock in ms (default Date.now): JWT expiry (`exp`) and `iat` follow it. */
  clock?: () => number;
}

/**
 * `req.session`: the session data as its own fields; `id` (the JWT's `jti`), `claims` and
 * `jwt` once the request has a session. Each method takes a callback, or returns a Promise.
 */
export interface JwtSession {
  id?: string;
  claims?: Record<string, unknown>;
  jwt?: string;
  [key: string]: unknown;
  create(callback: JwtSessionCallback<string>): void;
  create(claims: Record<string, unknown>, callback: JwtSessionCallback<string>): void;
  create(claims?: Record<string, unknown>): Promise<string>;
  update(callback: JwtSessionCallback<void>): void;
  update(): Promise<void>;
  reload(callback: JwtSessionCallback<void>): void;
  reload(): Promise<void>;
  destroy(callback: JwtSessionCallback<void>): void;
  destroy(): Promise<void>;
  touch(callback: JwtSessionCallback<void>): void;
  touch(): Promise<void>;
  toJSON(): Record<string, unknown>;
}

/** A Connect-style middleware (Express accepts it as a RequestHandler). */
export type JwtSessionMiddleware = (req: IncomingMessage, res: ServerResponse, next: (err?: any) => void) => void;

export type JWTRedisSessionFactory = (options: JwtRedisSessionOptions) => JwtSessionMiddleware;

/** The middleware factory over a binding's `Sessions` (`redis`: it reaches Redis by URL). */
export declare function makeJwtRedisSession(binding: { Sessions: SessionsConstructor; redis?: boolean }): JWTRedisSessionFactory;
