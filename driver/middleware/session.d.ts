// Types shared by the middleware of session-core-driver (express, fastify, hono): the
// request's session object and the options every middleware takes.
import type { Sessions, SessionsConstructor } from '../index.js';

/** What a binding gives the middleware factories: its Sessions class, and whether it reaches Redis by URL. */
export interface MiddlewareBinding {
  Sessions: SessionsConstructor;
  /** True for session-core (napi): `options.redis` is then accepted. */
  redis?: boolean;
}

/** The session cookie's attributes (it is always HttpOnly). */
export interface SessionCookieOptions {
  /** Default true. Browsers accept Secure cookies from http://localhost; turn it off for other plain-HTTP hosts. */
  secure?: boolean;
  /** Default 'Lax'. 'None' needs `secure`. */
  sameSite?: 'Lax' | 'Strict' | 'None';
  /** Default '/'. */
  path?: string;
  domain?: string;
  /** Seconds: a persistent cookie. Default: none (the cookie lasts until the browser closes). */
  maxAge?: number;
}

/** The options of every middleware; `Ctx` is what the framework hands it per request. */
export interface MiddlewareOptions<Ctx> {
  /**
   * The Sessions to use: an instance, or a function of the request's context that returns
   * one (in a Worker, the store's binding is known per request). Default: one embedded
   * Sessions per package, shared by every middleware without this option.
   */
  sessions?: Sessions | ((ctx: Ctx) => Sessions);
  /** A Redis URL (session-core only): one Sessions per URL. Not with `sessions`. */
  redis?: string;
  /** The app name sessions are kept under: 3–20 characters of [A-Za-z0-9_-]. Default "app". */
  app?: string;
  /** A new session's idle TTL in seconds, 10–31536000. Default 7200. */
  ttl?: number;
  /** The session cookie's name. Default "session". */
  cookieName?: string;
  cookie?: SessionCookieOptions;
  /** The client's address for a request (default: the framework's idea of it). */
  ip?: (ctx: Ctx) => string | undefined;
  /** Where a failed save is reported (default: console.error). */
  onError?: (error: unknown, ctx: Ctx) => void;
}

/** One of a user's live sessions, as `activeSessions()` lists them. */
export interface ActiveSession {
  /** The session's handle: its public name (`logOut(id)` ends it). */
  id: string;
  authenticatableID: string;
  /** When the session was created (at login). */
  firstAccessed: Date | null;
  /** Its last access. */
  lastAccessed: Date;
  /** The client's address at login. */
  firstIp: string;
  /** The client's last address. */
  lastIp: string;
  /** The user agent at login. */
  userAgent: string | null;
  r: number;
  w: number;
  ttl: number;
  d: Record<string, string | number | boolean>;
  /** True for the session of the request that asked. */
  current: boolean;
}

/** `req.session` (Express), `request.session` (Fastify), `c.get('session')` (Hono). */
export interface RequestSession {
  /** True when the request came with the token of a live session (or after logIn). */
  readonly authenticated: boolean;
  /** The token (null when not authenticated). A secret: never log it. */
  readonly token: string | null;
  /** The session's handle: its public, non-secret name (null when not authenticated). */
  readonly id: string | null;
  /** The user id given to logIn. */
  readonly authenticatableID: string | null;
  /** The same, as @universal-packages/express-session spells it. */
  readonly authenticatableId: string | null;
  /** When the session was created, at login. */
  readonly firstAccessed: Date | null;
  /** Now: this request's use of the session. */
  readonly lastAccessed: Date | null;
  /** The client's address at login. */
  readonly firstIp: string | null;
  /** This request's client address. */
  readonly lastIp: string | null;
  /** The user agent at login. */
  readonly userAgent: string | null;
  /** Reads before this one. */
  readonly r: number;
  /** Writes. */
  readonly w: number;
  /** The idle TTL in seconds. */
  readonly ttl: number | null;
  /**
   * The session's data: strings, finite numbers, booleans. Change it (or delete keys), and
   * the changed keys are saved once when the response ends. The keys "sc.at", "sc.ua" and
   * "sc.ip" are reserved.
   */
  d: Record<string, string | number | boolean | null | undefined>;
  /** Creates a session for `userId` (with data `d`), kills the one the request came with, sets the cookie and an Authorization header (and Cache-Control: no-store); resolves to the token. */
  logIn(userId: string | number, d?: Record<string, string | number | boolean>): Promise<string>;
  /** Ends this session (and clears the cookie), or another of this user's sessions by token or handle; another user's session is never ended (false). */
  logOut(tokenOrHandle?: string): Promise<boolean>;
  /** Ends every session of this user; resolves to how many. */
  logOutEverywhere(): Promise<number>;
  /** The live sessions of `userId` (default: this session's user), oldest first. */
  activeSessions(userId?: string | number): Promise<ActiveSession[]>;
  /** The keys that would be saved now (null: nothing to save). */
  changes(): Record<string, string | number | boolean | null> | null;
  /** Saves the changes now (the middleware does it when the response ends). */
  save(): Promise<void>;
  toJSON(): Record<string, unknown>;
}
