// SessionsObject: one app's sessions, in a Durable Object whose storage is the store (a
// SQLite-backed object, `new_sqlite_classes`, or a key-value one: the store uses the storage
// API both have). Expired sessions are swept by the object's alarm, every SWEEP_INTERVAL_MS
// while it holds sessions, each alarm a tick of the core's timed policy (bounded steps while
// there is more; a tick that stops with work left sets the next alarm at once). With
// SWEEP_INTERVAL_MS = "0" the object sets no alarm: sweeping is the Cron Trigger's (see
// index.mjs).
//
// The object also keeps, under its own key META, its metrics (requests and errors per route;
// sessions held, from the engine's created and destroyed events) and whether its app is in
// the registry. META is written after each request without an `await`: the object's output
// gate holds the response until that write is durable.
import { DurableObject } from 'cloudflare:workers';
import { DurableObjectStore, engine, json, Sessions, SessionError } from './engine.mjs';
import { registry } from './objects.mjs';

/** The object's own storage key, beside the store's. */
const META = 'meta';

export class SessionsObject extends DurableObject {
  #storage;
  #sessions;
  #interval;
  #testClock;
  #now = null;
  #alarmSet = false;
  #benchOn;
  #env;
  /** { requests: {route: n}, errors: {route: n}, sessions: n, registered: bool } */
  #meta = { requests: {}, errors: {}, sessions: 0, registered: false };

  constructor(state, env) {
    super(state, env);
    this.#env = env;
    this.#benchOn = env.BENCH === 'true';
    this.#storage = state.storage;
    state.blockConcurrencyWhile(async () => {
      this.#meta = (await state.storage.get(META)) ?? this.#meta;
    });
    this.#interval = Number(env.SWEEP_INTERVAL_MS ?? 60000);
    if (!Number.isFinite(this.#interval) || this.#interval < 0) {
      throw new TypeError(`SWEEP_INTERVAL_MS must be a number of milliseconds (0: no alarms), not ${JSON.stringify(env.SWEEP_INTERVAL_MS)}`);
    }
    this.#testClock = env.TEST_CLOCK === 'true';
    this.#sessions = new Sessions({
      store: new DurableObjectStore(state.storage),
      namespace: env.RS_NAMESPACE ?? 'rs',
      clock: () => this.#now ?? Date.now(),
      // Sweeping is the alarm's job, not the requests'.
      autoSweep: false,
    });
    this.#sessions.on('created', () => this.#meta.sessions++);
    this.#sessions.on('destroyed', () => this.#meta.sessions--);
  }

  async fetch(request) {
    if (new URL(request.url).pathname === '/metrics') {
      const { requests, errors, sessions } = this.#meta;
      return json({ requests, errors, sessions });
    }
    const { op, input, metric = 'other' } = await request.json();
    if (op === '_bench' && this.#benchOn) return json(await this.#bench(input));
    const now = this.#testClock ? Number(request.headers.get('x-session-core-now') ?? NaN) : NaN;
    this.#now = Number.isFinite(now) ? now : null;
    let answer;
    try {
      answer = { done: await this.#sessions[op](input) };
    } catch (e) {
      if (!(e instanceof SessionError)) throw e;
      answer = { error: { name: e.name, message: e.message } };
    }
    const created = (op === 'create' || op === 'regenerate') && answer.done;
    if (created && !this.#meta.registered) await this.#register(input.app, request);
    if (created && !this.#alarmSet && this.#interval > 0) await this.#schedule(false);
    this.#count(metric, answer.error === undefined);
    return json(answer);
  }

  #count(route, ok) {
    const m = this.#meta;
    m.requests[route] = (m.requests[route] ?? 0) + 1;
    if (!ok) m.errors[route] = (m.errors[route] ?? 0) + 1;
    // No await: see the module comment.
    this.#storage.put(META, m);
  }

  /** Enters this object's app in the registry, once (the registry's put is idempotent). */
  async #register(app, request) {
    await registry(this.#env, request).fetch('https://apps/add', { method: 'PUT', body: JSON.stringify({ app }) });
    this.#meta.registered = true;
  }

  /** One tick of the core's timed sweep policy; the next alarm while sessions are held. */
  async alarm() {
    this.#alarmSet = false;
    this.#now = null;
    const tick = new engine.NativeSweepTick();
    for (let limit = tick.step(); limit >= 0; limit = tick.step()) {
      try {
        const { more } = await this.#sessions.sweep({ limit });
        tick.record(more ? 1 : 0);
      } catch {
        tick.record(-1);
      }
    }
    this.#storage.put(META, this.#meta);
    if (this.#interval > 0 && (tick.backlog() || this.#meta.sessions > 0)) await this.#schedule(tick.backlog());
  }

  /** `n` gets then `n` sets of one session, on this object's store or on the in-module memory
   *  store, timed by the runtime's clocks (which workerd may hold still between I/O). */
  async #bench({ app, n, store }) {
    const s = store === 'memory' ? new Sessions({ autoSweep: false }) : this.#sessions;
    const { token } = await s.create({ app, id: 'bench', ip: '::1', d: { theme: 'dark' } });
    const out = {};
    for (const op of ['get', 'set']) {
      const p0 = performance.now();
      const d0 = Date.now();
      for (let i = 0; i < n; i++) {
        if (op === 'get') await s.get({ app, token });
        else await s.set({ app, token, d: { i } });
      }
      out[op] = { performanceNowMs: performance.now() - p0, dateNowMs: Date.now() - d0 };
    }
    await s.kill({ app, token });
    return out;
  }

  async #schedule(soon) {
    if ((await this.#storage.getAlarm()) === null) {
      await this.#storage.setAlarm(Date.now() + (soon ? 0 : this.#interval));
    }
    this.#alarmSet = true;
  }
}
