// Types of session-core-driver (ES modules): the backend-agnostic JavaScript driver of session-core.
// No import of node: modules (and no Node types needed): the driver runs on any runtime.

/** A value of `d`: strings, finite numbers, booleans; `null` deletes the key in `set`. */
export type DataValue = string | number | boolean | null;

/** Session data as stored (no `null` values). */
export type SessionData = Record<string, string | number | boolean>;

/** A session, as `get`, `set`, `touch` and `setTtl` return it. */
export interface Session {
  /** The user id. */
  id: string;
  /** Reads: for `get`, as it was before this read. */
  r: number;
  /** Writes. */
  w: number;
  /** The TTL in seconds; for a `no_resave` session, what remains (rounded up). */
  ttl: number;
  /** Whole seconds since the last access before this call. */
  idle: number;
  /** The client address given to `create`. */
  ip: string;
  /** The data; absent when the session has none. */
  d?: SessionData;
  /** Present (and true) only for sessions whose expiry does not slide. */
  no_resave?: true;
}

/** A session in a listing (`soapp`, `soid`), with its non-secret handle. */
export interface ListedSession extends Session {
  /** A name for the session that is not its token: `kill({app, handle})` accepts it. */
  handle: string;
}

export interface CreateOptions {
  /** `[A-Za-z0-9_-]`, 3–20 characters. */
  app: string;
  /** The user id: 1–128 characters, no control characters (an integer is taken as text). */
  id: string | number;
  /** The client address: 1–39 characters. */
  ip: string;
  /** Idle TTL in seconds, 10–31536000 (default 7200). */
  ttl?: number | string;
  /** Initial data. */
  d?: Record<string, DataValue>;
  /** When true, the session ends `ttl` seconds after creation, however active. */
  no_resave?: boolean;
  /** An absolute lifetime in seconds (10–31536000): the session ends then at the latest. */
  lifetime?: number | string;
}

export interface TokenOptions {
  app: string;
  /** 64 characters of `[A-Za-z0-9]`. */
  token: string;
}

export interface SetOptions extends TokenOptions {
  /** Merged into the stored data: a `null` value deletes its key. At least one key. */
  d: Record<string, DataValue>;
}

export interface SetTtlOptions extends TokenOptions {
  /** The new TTL in seconds, 10–31536000. */
  ttl: number | string;
}

export type KillOptions = TokenOptions | { app: string; handle: string };

/** `dt` (or redis-sessions' older `deltaTime`): whole seconds, at least 10. */
export type DeltaOptions =
  | { app: string; dt: number | string }
  | { app: string; deltaTime: number | string };

export interface IdOptions {
  app: string;
  id: string | number;
}

/**
 * One page of a listing (`soapp`, `soid`): at most `limit` sessions (1–10000), after `cursor`
 * (the `cursor` of the previous page of the same listing). A cursor alone continues in pages
 * of 10000.
 */
export interface PageOptions {
  limit?: number | string;
  cursor?: string;
}

/**
 * A listing's answer. With a `limit`, `cursor` is present when more sessions remain: pass it
 * back for the next page. A page may be short, even empty, and still have one.
 */
export interface Listing {
  sessions: ListedSession[];
  cursor?: string;
}

export interface SweepOptions {
  /** Only this app (default: every app). */
  app?: string;
  /** At most this many index entries examined, 0–10000 (default 1000); 0 is a probe: nothing is removed, `more` says whether a sweep has work. */
  limit?: number;
}

/** The error names: redis-sessions' three, and session-core's own. */
export type ErrorName =
  | 'missingParameter'
  | 'invalidFormat'
  | 'invalidValue'
  | 'storeError'
  | 'conflict'
  | 'tooLarge';

/** The error every operation rejects with. */
export declare class SessionError extends Error {
  constructor(name: ErrorName, message: string, field?: string);
  name: ErrorName;
  /** The same as `name`. */
  code: ErrorName;
  /** The input field at fault, when there is one (e.g. "app", "d"). */
  field?: string;
}

/** Why a session ended. */
export type DestroyReason = 'kill' | 'killsoid' | 'killall' | 'regenerate' | 'expired';

/** What listeners of 'created', 'destroyed' and 'expired' receive. */
export interface SessionEvent {
  type: 'created' | 'destroyed';
  app: string;
  id: string;
  /** The session's handle (never its token). */
  handle: string;
  /** On `destroyed` only. */
  reason?: DestroyReason;
}

// ---- The store interface (the wire format of the core's wire.rs) ----------------------------

/** `"any"`, `"absent"`, or the version the record must be at. */
export type Expect = 'any' | 'absent' | number;

export type StoreCommand =
  | { op: 'get'; key: string }
  | { op: 'put'; key: string; value: string; ttlMs: number; expect: Expect }
  | { op: 'delete'; key: string; expect: Expect }
  | { op: 'zadd'; key: string; member: string; score: number }
  | { op: 'zrem'; key: string; member: string }
  | { op: 'zrange'; key: string; min: number; max: number; limit: number | null; rev: boolean }
  | { op: 'zcount'; key: string; min: number; max: number }
  | { op: 'zremIfEmpty'; key: string; member: string; watched: string };

/**
 * One reply per command, in order: `get` → `null` or `{value, version}`; `put`, `zadd` →
 * anything; `delete`, `zrem`, `zremIfEmpty` → whether something was removed; `zrange` →
 * `[[member, score], …]`; `zcount` → a number.
 */
export type StoreReply =
  | null
  | boolean
  | number
  | { value: string; version: number }
  | Array<[string, number]>
  | unknown;

export type ApplyResult = StoreReply[] | { conflict: true };

/** A store written in JavaScript. */
export interface Store {
  /**
   * Applies a batch all or nothing: if any `put` or `delete` expectation fails, apply nothing
   * and return `{conflict: true}`; otherwise run the commands in order and return one reply
   * each. Throwing (or rejecting) fails the operation with `storeError`.
   */
  apply(batch: StoreCommand[]): ApplyResult | Promise<ApplyResult>;
  /** Optional: what `sessions.ping()` answers. */
  ping?(): unknown;
  /** Optional: called by `sessions.quit()`. */
  quit?(): unknown;
  /**
   * Optional: `true` when other processes use the same store (a database, a shared service).
   * session-core then sweeps it on a timer, every `wipe` seconds, as it sweeps Redis; otherwise
   * (a store only this process uses) in small steps inside calls.
   */
  readonly shared?: boolean;
}

/** Code-point order (= UTF-8 byte order): how stores sort sorted-set members of equal score. */
export declare function compareMembers(a: string, b: string): number;

/** The reference store: records and sorted sets in Maps. */
export declare class MapStore implements Store {
  records: Map<string, { value: string; version: number }>;
  zsets: Map<string, Map<string, number>>;
  apply(batch: StoreCommand[]): ApplyResult;
}

// ---- Sessions ----------------------------------------------------------------------------

/** Where Redis is and how to reach it, beyond a URL (session-core's napi package only). */
export interface RedisOptions {
  /**
   * `redis://[username:password@]host:port[/db]`, `rediss://…` for TLS, or
   * `redis+sentinel://[username:password@]host:port[,host:port…]/master-name[/db]` for the
   * master the sentinels name (followed across failovers).
   */
  url: string;
  /** Not with `url`: see `RedisClusterOptions`. */
  cluster?: never;
  /** The user (a Redis 6 ACL user), instead of the URL's. */
  username?: string;
  /** The password, instead of the URL's: it then stays out of URLs that may be logged. */
  password?: string;
  /**
   * TLS (a `redis://` URL becomes `rediss://`). `true`: verify the server against the
   * system's root certificates. Or PEM text or Buffers, as node:tls takes them: `ca`, the
   * only CAs trusted (a private CA, a self-signed certificate); `cert` and `key`, a client
   * certificate for servers that require one (`tls-auth-clients yes`).
   */
  tls?:
    | true
    | {
        ca?: string | Uint8Array | Array<string | Uint8Array>;
        cert?: string | Uint8Array;
        key?: string | Uint8Array;
      };
  /**
   * After each write, wait until this many replicas have acknowledged it (Redis's `WAIT`);
   * fewer within `waitTimeout` fail the call with `storeError`. With 1, a write that
   * succeeded survives a Sentinel failover to that replica. Default 0: no wait.
   */
  waitReplicas?: number;
  /** How long `waitReplicas` may wait, in milliseconds (default 1000). */
  waitTimeout?: number;
  /**
   * How many shards each app's keys spread over: 1 (the default) to 64. On a Redis Cluster,
   * one shard keeps an app on one master; 16 spread it over all of them (each shard's hash
   * tag is chosen to land on evenly spaced slots). Every process sharing the Redis must use
   * the same count: sessions stored under another count are not found.
   */
  shards?: number;
}

/**
 * A Redis Cluster, instead of one server (session-core's napi package only): found through
 * any of its nodes, with the same credentials and TLS settings for every node.
 */
export interface RedisClusterOptions extends Omit<RedisOptions, 'url' | 'cluster'> {
  /** Node URLs (`redis://host:port`, `rediss://…` for TLS): at least one. */
  cluster: string[];
  url?: never;
}

export interface SessionsOptions {
  /**
   * Sessions in Redis (or Valkey), shared by every process that uses the same Redis:
   * `redis://[username:password@]host:port[/db]`, `rediss://…` for TLS,
   * `redis+sentinel://host:port[,host:port…]/master-name` through Sentinel, or
   * `{ url, username, password, tls, waitReplicas, waitTimeout, shards }`, or a Redis Cluster:
   * `{ cluster: [urls], shards: 16, ... }`. The first call connects (a refused password or certificate is
   * a `storeError` then). Not with `store`. (session-core's napi package only.)
   */
  redis?: string | RedisOptions | RedisClusterOptions;
  /** A store written in JavaScript; without one (or `redis`), the embedded memory store is used. */
  store?: Store;
  /** The clock, in milliseconds since the epoch (default `Date.now`): tests move it. */
  clock?: () => number;
  /** The key prefix for Redis and for stores with string keys (default "rs"). */
  namespace?: string;
  /**
   * 0 turns automatic sweeping off (as in redis-sessions). For a store shared by many
   * processes (`redis`, or a `store` with `shared: true`), the seconds between timed sweeps
   * (default 600, at least 10); other stores sweep in small steps inside calls instead.
   */
  wipe?: number;
  /** false turns automatic sweeping off. */
  autoSweep?: boolean;
}

// ---- Events --------------------------------------------------------------------------------

/** A listener's arguments, by event name. */
export type EventMap = { [event: string]: unknown[] };

/**
 * The event emitter `Sessions` extends where node:events is not used (browsers, Workers): the
 * part of node:events' EventEmitter that session-core's users call, with its semantics (a
 * listener that throws stops `emit`; `emit('error', e)` with no 'error' listener throws `e`).
 * In Node (session-core, and session-core-wasm's Node entries), `Sessions` extends
 * node:events' EventEmitter itself.
 */
export declare class Emitter<Events extends EventMap = EventMap> {
  on<K extends keyof Events & string>(event: K, listener: (...args: Events[K]) => void): this;
  addListener<K extends keyof Events & string>(event: K, listener: (...args: Events[K]) => void): this;
  /** Calls `listener` the next time `event` is emitted, then removes it. */
  once<K extends keyof Events & string>(event: K, listener: (...args: Events[K]) => void): this;
  /** Removes the most recently added `listener` of `event` (also one added with `once`). */
  off<K extends keyof Events & string>(event: K, listener: (...args: Events[K]) => void): this;
  removeListener<K extends keyof Events & string>(event: K, listener: (...args: Events[K]) => void): this;
  removeAllListeners(event?: keyof Events & string): this;
  /** Calls the listeners of `event` in order; whether it had any. */
  emit<K extends keyof Events & string>(event: K, ...args: Events[K]): boolean;
  listenerCount(event: keyof Events & string): number;
  listeners<K extends keyof Events & string>(event: K): Array<(...args: Events[K]) => void>;
  eventNames(): Array<keyof Events & string>;
}

/** The events of a `Sessions` and what their listeners receive. */
export interface SessionsEvents {
  created: [event: SessionEvent];
  destroyed: [event: SessionEvent];
  /** Also emitted for every 'destroyed' whose reason is 'expired'. */
  expired: [event: SessionEvent];
  /** An exception thrown by a listener of the events above. */
  error: [error: unknown];
  [event: string]: unknown[];
}

export interface Sessions extends Emitter<SessionsEvents> {
  create(options: CreateOptions): Promise<{ token: string }>;
  get(options: TokenOptions): Promise<Session | null>;
  set(options: SetOptions): Promise<Session | null>;
  touch(options: TokenOptions): Promise<Session | null>;
  setTtl(options: SetTtlOptions): Promise<Session | null>;
  regenerate(options: TokenOptions): Promise<{ token: string } | null>;
  kill(options: KillOptions): Promise<{ kill: number }>;
  activity(options: DeltaOptions): Promise<{ activity: number }>;
  /** Sessions accessed within `dt`: all of them (most recent first), or a page with `limit`. */
  soapp(options: DeltaOptions & PageOptions): Promise<Listing>;
  /** One user's sessions: all of them (oldest first), or a page with `limit`. */
  soid(options: IdOptions & PageOptions): Promise<Listing>;
  killsoid(options: IdOptions): Promise<{ kill: number }>;
  killall(options: { app: string }): Promise<{ kill: number }>;
  sweep(options?: SweepOptions): Promise<{ swept: number; more: boolean }>;
  /** "PONG"; with `redis`, once Redis answered (it connects first if needed). */
  ping(): Promise<unknown>;
  /** Stops timed sweeping and closes the store (with `redis`, the connection: later calls reject). */
  quit(): Promise<void>;
}

/** A `Sessions` class (`S`: what its instances are, e.g. `Sessions & EventEmitter` in Node). */
export interface SessionsConstructor<S extends Sessions = Sessions> {
  new (options?: SessionsOptions): S;
  readonly prototype: S;
}

// ---- Backends and factories ----------------------------------------------------------------

/** An answer of the native engine: a result and its events, or an error and its events. */
export type Answer =
  | { done: unknown; events: SessionEvent[] }
  | { error: { name: ErrorName; message: string; field?: string }; events: SessionEvent[] };

/** An engine that reaches its store by itself and runs whole operations asynchronously. */
export interface RemoteEngine {
  /** Resolves to the parsed answer (it rejects only if the engine itself fails). */
  call(op: string, inputJson: string, now: number): Promise<Answer>;
  /** Resolves to the answer of a ping (`{done: "PONG", events: []}`). */
  ping(): Promise<Answer>;
  quit(): void;
}

/** The native backend interface (the napi addon, or the wasm module). */
export interface Backend {
  NativeSessions: new (namespace: string, autoSweep: boolean) => {
    call(op: string, inputJson: string, now: number): string;
  };
  NativeOp: new (op: string, inputJson: string, now: number, namespace: string) => {
    start(): string;
    resume(repliesJson: string): string;
    fail(message: string): string;
    /**
     * The handle of the one session the operation updates (the driver queues operations with
     * the same key behind each other), or null/undefined.
     */
    lockKey(): string | null | undefined;
  };
  /** The core's sweep policy for one Sessions: `shared` store or not, `wipe` (-1: not given, 0: off). */
  NativeSweepPlan: new (shared: boolean, wipe: number) => {
    /** The period of timed sweeps in ms; 0: no timer. */
    timerMs(): number;
    /** The `limit` of an in-call step due at `now`; 0: none. */
    claim(now: number): number;
    /** The outcome of a claimed step: 1 more work, 0 none, -1 failed. */
    finished(now: number, more: number): void;
  };
  /** One tick of timed sweeping. */
  NativeSweepTick: new () => {
    /** The next step's `limit`, or -1 when the tick is over. */
    step(): number;
    /** The step's outcome: 1 more work, 0 none, -1 failed. */
    record(more: number): void;
    /** True when the tick ran out of steps with work left: run the next one soon. */
    backlog(): boolean;
  };
  /**
   * Optional: for options that name a store the engine reaches by itself (the napi
   * package's `redis`), that engine; `undefined` for any other options.
   */
  openRemote?: (options: SessionsOptions) => RemoteEngine | undefined;
}

export interface MakeSessionsOptions {
  /**
   * The class `Sessions` extends: the driver's `Emitter` by default; session-core passes
   * node:events' `EventEmitter`. It needs `emit` and `listenerCount`.
   */
  EventEmitter?: new () => { emit(event: string, ...args: any[]): boolean; listenerCount(event: string): number };
}

export declare function makeSessionsClass(backend: Backend, options?: MakeSessionsOptions): SessionsConstructor;

/** redis-sessions' constructor options. */
export interface RedisSessionsOptions {
  host?: string;
  port?: number;
  namespace?: string;
  /** Seconds between wipes of expired sessions (default 600, at least 10); 0 turns them off. */
  wipe?: number;
  /**
   * Seconds `get` keeps each session it read in a process-local cache, answering from it
   * without Redis (default 0: no cache). `set` and `kill` evict in every process.
   */
  cachetime?: number;
  /** The most sessions in that cache (default 5000). */
  cachemax?: number;
  /**
   * session-core's own: a Redis Cluster's nodes (URLs or `{ host, port }`, at least one),
   * instead of `host`/`port`/`options.url`; `options`' credentials and TLS apply to each.
   */
  cluster?: Array<string | { host: string; port: number }>;
  /**
   * session-core's own: each app's keys over this many shards (1 to 64, default 1), so that
   * one app spreads over a cluster's masters. Every process must use the same count.
   */
  shards?: number;
  /** session-core's own: the clock, in milliseconds since the epoch (tests move it). */
  clock?: () => number;
  /** node-redis' options: `url`, or `username`, `password`, `database` with `host`/`port`. */
  options?: {
    url?: string;
    username?: string;
    password?: string;
    database?: number;
    socket?: { tls?: boolean; [key: string]: unknown };
    [key: string]: unknown;
  };
}

/** What the connect function of the compatibility shell receives. */
export type RedisConnection =
  | { url: string; options: Record<string, unknown> }
  | { cluster: Array<string | { host: string; port: number }>; options: Record<string, unknown> }
  | { host: string; port: number; options: Record<string, unknown> };

/** What a pub/sub channel tells the shell's cache. */
export interface RedisChannelListener {
  /** A message on the channel. */
  message(text: string): void;
  /** Subscribed (again): every message from now on arrives. */
  live(): void;
  /** Not subscribed (messages may be missed until `live` again). */
  lost(reason: string): void;
}

/** A pub/sub channel, as the shell's cache uses one. */
export interface RedisChannel {
  /** Starts the subscription (once); the listener hears how it goes. */
  subscribe(): void;
  /** Publishes the messages in order; resolves once the channel took them. */
  publish(messages: string[]): Promise<void>;
  quit(): void;
}

/**
 * What the connect function of the compatibility shell returns: the `Sessions` options that
 * reach that Redis, and, for the cache, the channel `name` of that Redis (without one the
 * cache evicts in this process only) and a token's handle (without it, sessions ended by
 * handle are evicted by their user).
 */
export type RedisReach = SessionsOptions & {
  channel?: (name: string, listener: RedisChannelListener) => RedisChannel;
  handleOf?: (token: string) => string;
};

/**
 * An instance of the compatibility shell: redis-sessions 4's methods, option objects, results
 * and errors (its messages, and its error objects: an `Error` whose `name` is the error's
 * name), and session-core's methods beyond them.
 */
export interface RedisSessionsInstance extends Emitter<SessionsEvents> {
  activity(options: { app: string; deltaTime: number | string }): Promise<{ activity: number }>;
  create(options: {
    app: string;
    id: string;
    ip: string;
    ttl?: number | string;
    d?: Record<string, DataValue>;
    no_resave?: boolean;
  }): Promise<{ token: string }>;
  /** `_nocache`: read Redis even if the session is cached (redis-sessions' switch). */
  get(options: TokenOptions & { _nocache?: boolean }): Promise<Session | null>;
  set(options: SetOptions & { no_resave?: boolean }): Promise<Session | null>;
  kill(options: TokenOptions): Promise<{ kill: number }>;
  killall(options: { app: string }): Promise<{ kill: number }>;
  killsoid(options: { app: string; id: string }): Promise<{ kill: number }>;
  /** Sessions accessed within `deltaTime` seconds, most recent first. */
  soapp(options: { app: string; deltaTime: number | string }): Promise<{ sessions: Session[] }>;
  soid(options: { app: string; id: string }): Promise<{ sessions: Session[] }>;
  ping(): Promise<unknown>;
  /** Stops the wipe and closes the connections; later calls reject ("The client is closed"). */
  quit(): Promise<void>;
  /** Beyond redis-sessions (session-core's). */
  touch(options: TokenOptions): Promise<Session | null>;
  setTtl(options: SetTtlOptions): Promise<Session | null>;
  regenerate(options: TokenOptions): Promise<{ token: string } | null>;
  sweep(options?: SweepOptions): Promise<{ swept: number; more: boolean }>;
}

/** The compatibility class (`I`: what its instances are, e.g. with node:events' EventEmitter in Node). */
export interface RedisSessionsConstructor<I extends RedisSessionsInstance = RedisSessionsInstance> {
  new (options?: RedisSessionsOptions): I;
  readonly prototype: I;
}

/**
 * The redis-sessions class over `sessions`: `connect(connection)` returns the `Sessions`
 * options that reach that Redis (`{ redis: url }` in the napi package, or `{ store }`), with
 * the cache's channel and handles when it has them.
 */
export declare function makeRedisSessionsClass(
  sessions: SessionsConstructor,
  connect?: (connection: RedisConnection) => RedisReach,
): RedisSessionsConstructor;

// ---- SessionsSync --------------------------------------------------------------------------

/** The options of `SessionsSync`: those of `Sessions` without a store (embedded only). */
export interface SessionsSyncOptions {
  /** The clock, in milliseconds since the epoch (default `Date.now`): tests move it. */
  clock?: () => number;
  /** The key prefix (the memory store keeps structured keys, so it changes nothing there). */
  namespace?: string;
  /** 0 turns automatic sweeping off; otherwise the store sweeps in small steps inside calls. */
  wipe?: number;
  /** false turns automatic sweeping off. */
  autoSweep?: boolean;
  /** Refused: SessionsSync runs on the embedded memory store only. */
  store?: never;
  /** Refused: SessionsSync runs on the embedded memory store only. */
  redis?: never;
}

/**
 * The methods of `Sessions`, returning their results (and throwing their `SessionError`s)
 * instead of Promises, on the embedded memory store. Same answers, errors and events.
 */
export interface SessionsSync extends Emitter<SessionsEvents> {
  create(options: CreateOptions): { token: string };
  get(options: TokenOptions): Session | null;
  set(options: SetOptions): Session | null;
  touch(options: TokenOptions): Session | null;
  setTtl(options: SetTtlOptions): Session | null;
  regenerate(options: TokenOptions): { token: string } | null;
  kill(options: KillOptions): { kill: number };
  activity(options: DeltaOptions): { activity: number };
  soapp(options: DeltaOptions & PageOptions): Listing;
  soid(options: IdOptions & PageOptions): Listing;
  killsoid(options: IdOptions): { kill: number };
  killall(options: { app: string }): { kill: number };
  sweep(options?: SweepOptions): { swept: number; more: boolean };
  /** "PONG". */
  ping(): 'PONG';
  /** Nothing to close. */
  quit(): void;
}

/** A `SessionsSync` class (`S`: what its instances are, e.g. `SessionsSync & EventEmitter` in Node). */
export interface SessionsSyncConstructor<S extends SessionsSync = SessionsSync> {
  new (options?: SessionsSyncOptions): S;
  readonly prototype: S;
}

/** The `SessionsSync` class over a backend's embedded engine (`options.EventEmitter` as for `makeSessionsClass`). */
export declare function makeSessionsSyncClass(
  backend: Pick<Backend, 'NativeSessions' | 'NativeSweepPlan'>,
  options?: MakeSessionsOptions,
): SessionsSyncConstructor;

// ---- token-session -------------------------------------------------------------------------

/** A token-session session's data: any JSON value under each key. */
export type TokenSessionData = Record<string, unknown>;

/** What `new` and `newWttl` give. */
export interface TokenSessionResult {
  /** The session ID: the core's 64-character token. */
  sessionId: string;
  /** The data as stored (a JSON round trip of what was given). */
  data: TokenSessionData;
}

/** A Node-style callback. */
export type TokenSessionCallback<T> = (err: Error | null, result?: T) => void;

export interface TokenSessionOptions {
  /** Names the session's owner (the core's user id, listed by `soid`); IDs are always the core's tokens. */
  genid?: (req?: unknown) => string;
  /** Accepted; every read slides the expiry (as with the default, true). */
  autoTouch?: boolean;
  /** A session-core `Sessions` (any store: `new Sessions({ redis: url })`...), or a store with `apply(batch)`. Default: the embedded memory store. */
  store?: Sessions | Store;
  /** The TTL of new sessions in seconds, 10–31536000 (default 7200). */
  ttl?: number;
  /** The core's app name (default "token-session"). */
  app?: string;
}

/** token-session 1.0's class: each method takes a callback, or returns a Promise without one. */
export interface TokenSession {
  /** The `Sessions` underneath. */
  readonly sessions: Sessions;
  'new'(data: TokenSessionData | undefined, callback: TokenSessionCallback<TokenSessionResult>): void;
  'new'(data?: TokenSessionData): Promise<TokenSessionResult>;
  newWttl(data: TokenSessionData | undefined, ttl: number, callback: TokenSessionCallback<TokenSessionResult>): void;
  newWttl(data: TokenSessionData | undefined, ttl: number): Promise<TokenSessionResult>;
  get(sid: string, callback: TokenSessionCallback<TokenSessionData | null>): void;
  get(sid: string): Promise<TokenSessionData | null>;
  getNtouch(sid: string, callback: TokenSessionCallback<TokenSessionData | null>): void;
  getNtouch(sid: string): Promise<TokenSessionData | null>;
  set(sid: string, data: TokenSessionData, callback: TokenSessionCallback<boolean>): void;
  set(sid: string, data: TokenSessionData): Promise<boolean>;
  setWttl(sid: string, data: TokenSessionData, ttl: number, callback: TokenSessionCallback<boolean>): void;
  setWttl(sid: string, data: TokenSessionData, ttl?: number): Promise<boolean>;
  destroy(sid: string, callback: TokenSessionCallback<boolean>): void;
  destroy(sid: string): Promise<boolean>;
  regenerate(sid: string, callback: TokenSessionCallback<string | null>): void;
  regenerate(sid: string, session: unknown, callback: TokenSessionCallback<string | null>): void;
  regenerate(sid: string, session?: unknown): Promise<string | null>;
  touch(sid: string, callback: TokenSessionCallback<boolean>): void;
  touch(sid: string, session: unknown, callback: TokenSessionCallback<boolean>): void;
  touch(sid: string, session?: unknown): Promise<boolean>;
}

export interface TokenSessionConstructor {
  new (options?: TokenSessionOptions): TokenSession;
  readonly prototype: TokenSession;
}

/** The token-session class over a binding's `Sessions`. */
export declare function makeTokenSessionClass(sessions: SessionsConstructor): TokenSessionConstructor;

// ---- users-session-manager -----------------------------------------------------------------

export interface SessionManagerOptions {
  /** The clock in ms since the epoch (default `Date.now`): tests move it. */
  clock?: () => number;
}

/** What `getSessionDetails` gives. */
export interface SessionDetails {
  username: string;
  /** When the session was created (ms since the epoch, by the clock). */
  createdAt: number;
  data: unknown;
}

export type SessionManagerEvents = {
  sessionCreated: [key: string];
  sessionDeleted: [key: string];
  activeUserDeleted: [key: string];
  notifyClientToLogout: [io: unknown, key: string];
  [event: string]: unknown[];
};

/**
 * users-session-manager's singleton: synchronous methods over `SessionsSync`. Events:
 * `sessionCreated`, `sessionDeleted` and `activeUserDeleted` (key), and on expiry
 * `notifyClientToLogout` (io, key) first.
 */
export interface SessionManager extends Emitter<SessionManagerEvents> {
  setSessionTimeOut(sessionTimeout: number): boolean;
  getSessionTimeOut(): number;
  getLoggedUsers(): string[];
  initSocketReference(ioRef: unknown): boolean;
  initSocketReferences(ioRef: unknown): boolean;
  getSocketReference(): unknown;
  loadNewSession(username: string): string;
  addSession(username: string): string;
  setSessionData(key: string, data: unknown): boolean;
  getSessionData(key: string): unknown;
  restartSessionTimer(key: string): boolean;
  getSessionDetails(key: string): SessionDetails | false;
  deleteSession(key: string): boolean;
  deleteAllSessions(): boolean;
  sendLogoutMessage(key: string): boolean;
  checkSessionStatus(key: string): boolean;
  getUsernameFromSessionKey(key: string | undefined): string | false;
}

/** The singleton's class (`M`: what its instance is, e.g. `SessionManager & EventEmitter` in Node). */
export interface SessionManagerConstructor<M extends SessionManager = SessionManager> {
  /** The singleton: the first call creates it (with `options`), later ones return it. */
  new (options?: SessionManagerOptions): M;
  readonly prototype: M;
}

/** users-session-manager's class over a binding's `SessionsSync` (its own singleton; `options.EventEmitter` as for `makeSessionsClass`). */
export declare function makeSessionManagerClass(
  sessionsSync: SessionsSyncConstructor<any>,
  options?: MakeSessionsOptions,
): SessionManagerConstructor;
