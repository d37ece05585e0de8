// A TypeScript user of the npm package session-core, in an ES module: every documented export
// of every entry point, through the package name and its `exports` map. Type-checked (never
// run) by tests/docs/types.test.mjs with module resolution nodenext, node16 and bundler.
// `@ts-expect-error` lines prove that the types are not `any`.
import DefaultSessions, {
  MapStore,
  SessionError,
  Sessions,
  type ApplyResult,
  type CreateOptions,
  type DataValue,
  type DeltaOptions,
  type DestroyReason,
  type ErrorName,
  type Expect,
  type IdOptions,
  type KillOptions,
  type ListedSession,
  type RedisOptions,
  type RedisClusterOptions,
  type Session,
  type SessionData,
  type SessionEvent,
  type SessionsOptions,
  type SetOptions,
  type SetTtlOptions,
  type Store,
  type StoreCommand,
  type StoreReply,
  type SweepOptions,
  type TokenOptions,
} from 'session-core';
import RedisSessions, {
  type RedisSessionsInstance,
  type RedisSessionsOptions,
  type Session as RedisSession,
  type SessionEvent as RedisSessionEvent,
} from 'session-core/redis-sessions';
import {
  compareMembers,
  makeRedisSessionsClass,
  makeSessionsClass,
  MapStore as DriverMapStore,
  SessionError as DriverSessionError,
  type Answer,
  type Backend,
  type RedisChannel,
  type RedisChannelListener,
  type RedisConnection,
  type RedisReach,
  type RedisSessionsInstance as DriverRedisSessionsInstance,
  type RemoteEngine,
  type SessionsConstructor,
} from 'session-core/driver';

export async function sessionCore(): Promise<void> {
  const options: SessionsOptions = { clock: () => 0, namespace: 'rs', wipe: 0, autoSweep: false };
  const sessions: Sessions = new Sessions(options);
  const same: Sessions = new DefaultSessions();
  const redis = new Sessions({ redis: 'redis://127.0.0.1:6379' });
  const tlsOptions: RedisOptions = {
    url: 'rediss://redis.example:6380',
    username: 'app',
    password: 'secret',
    tls: { ca: ['-----BEGIN CERTIFICATE-----', new Uint8Array(0)], cert: 'PEM', key: new Uint8Array(0) },
  };
  const overTls = new Sessions({ redis: tlsOptions });
  await overTls.quit();
  // @ts-expect-error: tls is true or PEM material
  void new Sessions({ redis: { url: 'rediss://h', tls: 'yes' } });
  const clusterOptions: RedisClusterOptions = { cluster: ['redis://10.0.0.1:6379', 'redis://10.0.0.2:6379'], password: 'secret', tls: true };
  await new Sessions({ redis: clusterOptions }).quit();
  // @ts-expect-error: a cluster's nodes, or one url, not both
  void new Sessions({ redis: { url: 'redis://h', cluster: ['redis://h'] } });
  // @ts-expect-error: node URLs, as text
  void new Sessions({ redis: { cluster: [{ host: 'h', port: 1 }] } });
  const failover: RedisOptions = { url: 'redis+sentinel://10.0.0.1:26379,10.0.0.2:26379/mymaster', waitReplicas: 1, waitTimeout: 500 };
  await new Sessions({ redis: failover }).quit();
  // @ts-expect-error: waitReplicas is a number
  void new Sessions({ redis: { url: 'redis+sentinel://h/m', waitReplicas: '1' } });
  const onStore = new Sessions({ store: new MapStore() });

  const create: CreateOptions = { app: 'shop', id: 'u1', ip: '::1', ttl: 3600, d: { a: 1, b: 'x', c: true } };
  const { token }: { token: string } = await sessions.create(create);
  const tokenOptions: TokenOptions = { app: 'shop', token };
  const got: Session | null = await sessions.get(tokenOptions);
  if (got !== null) {
    const counts: [number, number, number, number] = [got.r, got.w, got.ttl, got.idle];
    const who: [string, string] = [got.id, got.ip];
    const data: SessionData | undefined = got.d;
    const fixed: true | undefined = got.no_resave;
    void [counts, who, data, fixed];
  }
  const value: DataValue = null;
  const set: SetOptions = { app: 'shop', token, d: { theme: 'dark', cart: value } };
  await sessions.set(set);
  await sessions.touch(tokenOptions);
  const ttl: SetTtlOptions = { app: 'shop', token, ttl: '600' };
  await sessions.setTtl(ttl);
  const again: { token: string } | null = await sessions.regenerate(tokenOptions);
  const kill: KillOptions = { app: 'shop', handle: 'h'.repeat(43) };
  const killed: { kill: number } = await sessions.kill(kill);
  const dt: DeltaOptions = { app: 'shop', dt: 600 };
  const older: DeltaOptions = { app: 'shop', deltaTime: '600' };
  const activity: number = (await sessions.activity(dt)).activity;
  const listed: ListedSession[] = (await sessions.soapp(older)).sessions;
  const handles: string[] = listed.map((s) => s.handle);
  const user: IdOptions = { app: 'shop', id: 42 };
  await sessions.soid(user);
  await sessions.killsoid(user);
  await sessions.killall({ app: 'shop' });
  const sweep: SweepOptions = { app: 'shop', limit: 100 };
  const swept: { swept: number; more: boolean } = await sessions.sweep(sweep);
  await sessions.sweep();
  await sessions.ping();
  await sessions.quit();
  void [same, redis, onStore, again, killed, activity, handles, swept];

  sessions.on('created', (e: SessionEvent) => {
    const type: 'created' | 'destroyed' = e.type;
    const reason: DestroyReason | undefined = e.reason;
    void [type, reason, e.app, e.id, e.handle];
  });
  sessions.once('expired', (e) => void e.handle);
  sessions.on('error', (e) => void e);
  // In Node, a Sessions is an EventEmitter of node:events, with all of its methods.
  const emitter: import('node:events').EventEmitter = sessions.setMaxListeners(20).prependListener('created', () => {});
  void emitter;

  try {
    await sessions.get({ app: 'shop', token: 'nope' });
  } catch (e) {
    if (e instanceof SessionError) {
      const name: ErrorName = e.name;
      const code: ErrorName = e.code;
      const field: string | undefined = e.field;
      const message: string = e.message;
      void [name, code, field, message];
    }
  }
  const error: Error = new SessionError('invalidValue', 'ttl must be a positive integer >= 10', 'ttl');
  void error;

  // A store written in TypeScript, synchronous or not.
  const expect: Expect = 'absent';
  const commands: StoreCommand[] = [
    { op: 'get', key: 'k' },
    { op: 'put', key: 'k', value: 'AQ==', ttlMs: 1000, expect },
    { op: 'delete', key: 'k', expect: 3 },
    { op: 'zadd', key: 'z', member: 'm', score: 1 },
    { op: 'zrem', key: 'z', member: 'm' },
    { op: 'zrange', key: 'z', min: 0, max: 10, limit: null, rev: false },
    { op: 'zcount', key: 'z', min: 0, max: 10 },
    { op: 'zremIfEmpty', key: 'z', member: 'm', watched: 'w' },
  ];
  const map = new MapStore();
  const applied: ApplyResult = map.apply(commands);
  const replies: StoreReply[] | null = Array.isArray(applied) ? applied : null;
  const records: Map<string, { value: string; version: number }> = map.records;
  const zsets: Map<string, Map<string, number>> = map.zsets;
  class AsyncStore implements Store {
    readonly shared = true;
    #inner = new MapStore();
    async apply(batch: StoreCommand[]): Promise<ApplyResult> {
      return this.#inner.apply(batch);
    }
    ping(): string {
      return 'PONG';
    }
    quit(): void {}
  }
  new Sessions({ store: new AsyncStore() });
  void [replies, records, zsets];

  // The redis-sessions drop-in.
  const rsOptions: RedisSessionsOptions = {
    host: '127.0.0.1',
    port: 6379,
    namespace: 'rs',
    wipe: 600,
    cachetime: 60,
    cachemax: 1000,
    options: { url: 'redis://127.0.0.1:6379', password: 'secret', database: 2 },
  };
  const rs: RedisSessionsInstance = new RedisSessions(rsOptions);
  const rsCluster: RedisSessionsOptions = { cluster: [{ host: '10.0.0.1', port: 6379 }, 'redis://10.0.0.2:6379'], options: { password: 'secret' } };
  void new RedisSessions(rsCluster);
  // @ts-expect-error: a node is a URL or { host, port }
  void new RedisSessions({ cluster: [6379] });
  rs.setMaxListeners(20); // session-core's is an EventEmitter of node:events
  const viaRs: RedisSession | null = await rs.get({ app: 'myapp', token });
  const listedRs: RedisSession[] = (await rs.soid({ app: 'myapp', id: 'user1' })).sessions;
  const activeRs: number = (await rs.activity({ app: 'myapp', deltaTime: 600 })).activity;
  // @ts-expect-error redis-sessions 4 reads deltaTime, not session-core's dt
  await rs.soapp({ app: 'myapp', dt: 600 });
  rs.on('destroyed', (e: RedisSessionEvent) => void e.reason);
  await rs.quit();
  void [viaRs, listedRs, activeRs];

  // The driver, for backends and shells of your own.
  const SessionsAgain: SessionsConstructor = Sessions;
  const Shell = makeRedisSessionsClass(SessionsAgain, (c: RedisConnection) => ({ store: new DriverMapStore() }));
  new Shell({ port: 6380 });
  const channel: RedisChannel = { subscribe: () => {}, publish: async () => {}, quit: () => {} };
  const reach: RedisReach = {
    store: new DriverMapStore(),
    channel: (_name: string, listener: RedisChannelListener) => (listener.live(), channel),
    handleOf: (t: string) => t.slice(0, 22),
  };
  const Cached = makeRedisSessionsClass(SessionsAgain, () => reach);
  // The driver's class over any Sessions: redis-sessions' methods and the driver's Emitter API.
  const cached: DriverRedisSessionsInstance = new Cached({ cachetime: 30, clock: () => 0 });
  void cached;
  const order: number = compareMembers('a', 'b');
  const driverError: SessionError = new DriverSessionError('conflict', 'changed');
  const engine: RemoteEngine = {
    call: async (): Promise<Answer> => ({ done: null, events: [] }),
    ping: async () => ({ done: 'PONG', events: [] }),
    quit: () => {},
  };
  const backend: Backend = {
    NativeSessions: class {
      constructor(_namespace: string, _autoSweep: boolean) {}
      call(_op: string, _input: string, _now: number): string {
        return '{"done":null,"events":[]}';
      }
    },
    NativeOp: class {
      constructor(_op: string, _input: string, _now: number, _namespace: string) {}
      start(): string {
        return '';
      }
      resume(_replies: string): string {
        return '';
      }
      fail(_message: string): string {
        return '';
      }
      lockKey(): string | null {
        return null;
      }
    },
    NativeSweepPlan: class {
      constructor(_shared: boolean, _wipe: number) {}
      timerMs(): number {
        return 0;
      }
      claim(_now: number): number {
        return 0;
      }
      finished(_now: number, _more: number): void {}
    },
    NativeSweepTick: class {
      step(): number {
        return -1;
      }
      record(_more: number): void {}
      backlog(): boolean {
        return false;
      }
    },
    openRemote: () => engine,
  };
  const Custom: SessionsConstructor = makeSessionsClass(backend);
  void [order, driverError, Custom];

  // The types are not `any`:
  // @ts-expect-error app is required
  await sessions.create({ id: 'u1', ip: '::1' });
  // @ts-expect-error d values are scalars
  await sessions.set({ app: 'shop', token, d: { nested: { no: 1 } } });
  // @ts-expect-error the result of get may be null
  (await sessions.get(tokenOptions)).id;
  // @ts-expect-error not an error name
  const wrong: ErrorName = 'oops';
  // @ts-expect-error not a store command
  const bad: StoreCommand = { op: 'flushall' };
  // @ts-expect-error port is a number
  new RedisSessions({ port: '6379' });
  void [wrong, bad];
}
