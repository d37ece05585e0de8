// A ready Cloudflare Worker: rest-sessions' HTTP API (the routes and answers of the REST
// server, server/README.md) over session-core-wasm, with one Durable Object per app holding
// that app's sessions (records and indexes in the object's storage; expiry swept by alarms).
//
// The Worker itself is stateless: it turns a request into an operation and its option object
// (`{op, input}`), checks the input with the engine (bad input never reaches an object), sends
// it to the app's object, and shapes the answer: `null` -> 200 {}, errors -> their status with
// {"error", "message"}.
//
// Two routes span every app: POST /sweep and GET /metrics. They find the apps in a registry,
// one more Durable Object (AppsObject, binding APPS), where each app's object enters its app
// on its first session.
//
// Environment (wrangler.toml [vars]): RS_NAMESPACE (key prefix, "rs"), SWEEP_INTERVAL_MS
// (alarm period, 60000), BODY_LIMIT (bytes, 262144), TEST_CLOCK ("true" lets the
// x-session-core-now header set the clock, for tests only, as the server's --test-clock; and
// the x-session-core-scope header give a request objects of its own, so that each conformance
// vector runs on empty storage). Secret (`wrangler secret put AUTH_TOKEN`): AUTH_TOKEN, the
// shared secret every request but GET /ping and GET /health must carry as
// `Authorization: Bearer <token>`, as the server's --auth-token.
//
// Every error is JSON {"error", "message"}, with the REST server's statuses and names.
import { DurableObjectStore, Sessions, SessionError } from '../workerd.mjs';
import * as glue from '../pkg/session_core_wasm.js';
import { wasmBackend } from '../backend.mjs';
import { METRIC_ROUTES, openapi } from './server.mjs';

/** The module's classes with the panic guard of backend.mjs (the same as `Sessions` uses). */
const engine = wasmBackend(glue);

const JSON_TYPE = { 'content-type': 'application/json' };
const STATUS = {
  missingParameter: 400,
  invalidFormat: 400,
  invalidValue: 400,
  badRequest: 400,
  unauthorized: 401,
  notFound: 404,
  methodNotAllowed: 405,
  tooLarge: 413,
  conflict: 409,
  storeError: 503,
};

/** `sweep`'s default limit (the core's). */
const SWEEP_LIMIT = 1000;
/** The object's own storage keys, beside the store's ("r", "z" and "s" + "\u0000"). */
const META = 'meta';

const json = (body, status = 200, headers = {}) =>
  new Response(JSON.stringify(body), { status, headers: { ...JSON_TYPE, ...headers } });
const errorResponse = (name, message, headers = {}) =>
  json({ error: name, message }, STATUS[name] ?? 500, headers);
const notFound = () => errorResponse('notFound', 'No such route; see /openapi.json');
/** 405, as the REST server words it, with the methods the route takes in `Allow`. */
const methodNotAllowed = (request, allow) =>
  errorResponse(
    'methodNotAllowed',
    `${request.method} is not allowed on ${new URL(request.url).pathname} (the Allow header lists the methods it takes)`,
    { allow },
  );
/** `PONG`, four bytes of plain text, exactly as rest-sessions answers. */
const pong = () => new Response('PONG', { headers: { 'content-type': 'text/plain; charset=utf-8' } });

/** A path segment that is not UTF-8 once percent-decoded (it matches no literal segment). */
const NOT_UTF8 = Symbol('not UTF-8');

/** Routes open without AUTH_TOKEN: liveness and readiness probes. */
const OPEN_ROUTES = new Set(['/ping', '/health']);

/** SHA-256 of a string, as bytes. */
async function sha256(text) {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text)));
}

/** The digest of AUTH_TOKEN, computed once per isolate (per token). */
let expected = { token: null, digest: null };

/**
 * Whether the request may pass: no AUTH_TOKEN, an open route, or `Authorization: Bearer
 * <token>`. Tokens are compared by their SHA-256, over every byte (no early exit), so timing
 * says nothing about the secret; neither is ever logged.
 */
async function authorized(request, env, path) {
  const token = env.AUTH_TOKEN;
  if (token === undefined || token === '' || OPEN_ROUTES.has(path)) return true;
  if (expected.token !== token) expected = { token, digest: await sha256(token) };
  const header = request.headers.get('authorization') ?? '';
  const match = /^bearer (.*)$/is.exec(header);
  if (match === null) return false;
  const presented = await sha256(match[1].trim());
  let diff = 0;
  for (let i = 0; i < presented.length; i++) diff |= presented[i] ^ expected.digest[i];
  return diff === 0;
}

const unauthorized = () =>
  errorResponse('unauthorized', 'This server requires a token: send the header Authorization: Bearer <token>', {
    'www-authenticate': 'Bearer realm="session-core"',
  });

class HttpError extends Error {
  constructor(name, message) {
    super(message);
    this.name = name;
  }
}

/** The JSON body, `undefined` when empty (or blank); errors as the REST server words them. */
async function bodyJson(request, env) {
  const limit = Number(env.BODY_LIMIT ?? 262144);
  const tooLarge = () => new HttpError('tooLarge', `The request body is larger than ${limit} bytes`);
  // A Content-Length over the limit is refused before a byte is read.
  if (Number(request.headers.get('content-length') ?? 0) > limit) throw tooLarge();
  let text;
  try {
    text = await request.text();
  } catch (e) {
    throw new HttpError('badRequest', `The request body could not be read (${e?.message ?? e})`);
  }
  if (new TextEncoder().encode(text).length > limit) throw tooLarge();
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    // serde_json's wording, from the engine, so the message is the REST server's.
    throw new HttpError('invalidValue', `d must be an object (the body is not JSON: ${engine.jsonError(text)})`);
  }
}

/** Path fields, then the named query parameters, as strings (as the REST server does). */
function fields(pairs, query, names) {
  const o = Object.fromEntries(pairs);
  for (const k of names) if (query.has(k)) o[k] = query.get(k);
  return o;
}

/** [method, pattern, build(params, query, request, env) -> {op, input}] */
const ROUTES = [
  ['PUT', ['app', 'create', ':id'], async (p, q, req, env) => {
    const input = fields([['app', p.app], ['id', p.id]], q, ['ip', 'ttl', 'lifetime']);
    if (q.get('no_resave') === 'true' || q.get('no_resave') === '1') input.no_resave = true;
    const d = await bodyJson(req, env);
    // rest-sessions passes the body as `d` only when it has keys.
    const empty = d !== null && typeof d === 'object' && !Array.isArray(d) && Object.keys(d).length === 0;
    if (d !== undefined && !empty) input.d = d;
    return { op: 'create', input };
  }],
  ['GET', ['app', 'get', ':token'], (p) => ({ op: 'get', input: { app: p.app, token: p.token } })],
  ['POST', ['app', 'set', ':token'], async (p, q, req, env) => {
    const input = { app: p.app, token: p.token };
    const d = await bodyJson(req, env);
    if (d !== undefined) input.d = d;
    return { op: 'set', input };
  }],
  ['POST', ['app', 'touch', ':token'], (p) => ({ op: 'touch', input: { app: p.app, token: p.token } })],
  ['POST', ['app', 'regenerate', ':token'], (p) => ({ op: 'regenerate', input: { app: p.app, token: p.token } })],
  ['PUT', ['app', 'ttl', ':token'], (p, q) => ({ op: 'setTtl', input: fields([['app', p.app], ['token', p.token]], q, ['ttl']) })],
  ['GET', ['app', 'activity'], (p, q) => ({ op: 'activity', input: fields([['app', p.app]], q, ['dt']) })],
  ['GET', ['app', 'soapp'], (p, q) => ({ op: 'soapp', input: fields([['app', p.app]], q, ['dt']) })],
  ['GET', ['app', 'soid', ':id'], (p) => ({ op: 'soid', input: { app: p.app, id: p.id } })],
  ['DELETE', ['app', 'kill', ':token'], (p) => ({ op: 'kill', input: { app: p.app, token: p.token } })],
  ['DELETE', ['app', 'handle', ':handle'], (p) => ({ op: 'kill', route: 'killHandle', input: { app: p.app, handle: p.handle } })],
  ['DELETE', ['app', 'killsoid', ':id'], (p) => ({ op: 'killsoid', input: { app: p.app, id: p.id } })],
  ['DELETE', ['app', 'killall'], (p) => ({ op: 'killall', input: { app: p.app } })],
  ['POST', ['app', 'sweep'], (p, q) => ({ op: 'sweep', input: fields([['app', p.app]], q, ['limit']) })],
];

/** A path parameter that is not UTF-8: `invalidFormat` for its field, as on the REST server. */
function notUtf8(field) {
  return new HttpError('invalidFormat', `Invalid ${field} format: the path segment is not UTF-8`);
}

/** The route for `segments`: `{allowed, match}`, where `match` is `[build, params]` for `method`
 *  (it throws `invalidFormat` when one of its parameters is NOT_UTF8). */
function route(method, segments) {
  const allowed = [];
  let match = null;
  for (const [m, pattern, build] of ROUTES) {
    if (pattern.length !== segments.length) continue;
    const params = {};
    let ok = true;
    for (let i = 0; i < pattern.length && ok; i++) {
      const part = pattern[i];
      if (part === 'app' && i === 0) params.app = segments[0];
      else if (part.startsWith(':')) params[part.slice(1)] = segments[i];
      else ok = part === segments[i];
    }
    if (!ok) continue;
    allowed.push(m);
    if (m === method) match = [build, params];
  }
  if (match !== null) {
    const bad = Object.entries(match[1]).find(([, v]) => v === NOT_UTF8);
    if (bad !== undefined) throw notUtf8(bad[0]);
  }
  return { allowed, match };
}

/** Checks `input` for `op` with the engine (no store work): the error, or null. */
function inputError(op, input) {
  const probe = new engine.NativeOp(op, JSON.stringify(input ?? null), 0, 'rs');
  try {
    const first = JSON.parse(probe.start());
    return first.error ?? null;
  } finally {
    probe.free();
  }
}

/** Tests only (TEST_CLOCK): the x-session-core-scope header, or null. */
const scopeOf = (env, request) => (env.TEST_CLOCK === 'true' ? request.headers.get('x-session-core-scope') : null);

/** The Durable Object named `name` of `namespace`, within the request's test scope if any. */
function object(env, request, namespace, name) {
  const scope = scopeOf(env, request);
  return namespace.get(namespace.idFromName(scope === null ? name : `${scope}/${name}`));
}

/** The answer (`{done}` or `{error}`) of `op` with `input` in the object of app `app`;
 *  `route` names the request in the object's metrics. */
async function callObject(env, request, app, op, input, route) {
  const stub = object(env, request, env.SESSIONS, app);
  const headers = { 'content-type': 'application/json' };
  for (const h of ['x-session-core-now', 'x-session-core-scope']) {
    const v = request.headers.get(h);
    if (v !== null) headers[h] = v;
  }
  const res = await stub.fetch('https://sessions/call', {
    method: 'POST',
    headers,
    body: JSON.stringify({ op, input, route }),
  });
  return res.json();
}

/** Runs `{op, input}` in the object of `input.app`, and shapes the answer. */
async function call(env, request, op, input, route = op) {
  const invalid = inputError(op, input);
  if (invalid !== null) return errorResponse(invalid.name, invalid.message);
  if (op === 'sweep' && input?.app === undefined) return sweepAll(env, request, input);
  const app = typeof input?.app === 'string' ? input.app : '';
  const answer = await callObject(env, request, app, op, input, route);
  if (answer.error !== undefined) return errorResponse(answer.error.name, answer.error.message);
  return json(answer.done ?? {});
}

/** The registry of apps (AppsObject). */
const registry = (env, request) => object(env, request, env.APPS, 'apps');

/** Every app that has had a session here, in name order. */
async function listApps(env, request) {
  return (await registry(env, request).fetch('https://apps/list')).json();
}

/**
 * `sweep` without an app: each app's object in turn, with what is left of `limit` (a total
 * over all apps, as the core's). When the limit runs out before the last app, `more` is true
 * without asking the apps left, so it may be true with nothing left to sweep; `false` is exact.
 */
async function sweepAll(env, request, input) {
  // Absent or null: the default (the engine has accepted `limit` already).
  let budget = input?.limit == null ? SWEEP_LIMIT : Number(input.limit);
  let swept = 0;
  let more = false;
  for (const app of await listApps(env, request)) {
    if (budget === 0) {
      more = true;
      break;
    }
    const answer = await callObject(env, request, app, 'sweep', { app, limit: budget }, 'sweep');
    if (answer.error !== undefined) return errorResponse(answer.error.name, answer.error.message);
    swept += answer.done.swept;
    budget -= answer.done.swept;
    more ||= answer.done.more;
  }
  return json({ swept, more });
}

/** GET /metrics: every app object's counters, summed, in the REST server's text format. */
async function metrics(env, request) {
  const total = { requests: {}, errors: {}, sessions: 0 };
  for (const app of await listApps(env, request)) {
    const m = await (await object(env, request, env.SESSIONS, app).fetch('https://sessions/metrics')).json();
    for (const kind of ['requests', 'errors']) {
      for (const [route, n] of Object.entries(m[kind])) total[kind][route] = (total[kind][route] ?? 0) + n;
    }
    total.sessions += m.sessions;
  }
  const lines = [];
  const counter = (name, help, counts) => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} counter`);
    for (const route of METRIC_ROUTES) lines.push(`${name}{route="${route}"} ${counts[route] ?? 0}`);
  };
  counter('session_core_requests_total', 'Requests per route.', total.requests);
  counter('session_core_errors_total', 'Requests per route that failed.', total.errors);
  lines.push('# HELP session_core_sessions Sessions held by the store.', '# TYPE session_core_sessions gauge');
  lines.push(`session_core_sessions ${total.sessions}`, '');
  return new Response(lines.join('\n'), { headers: { 'content-type': 'text/plain; version=0.0.4' } });
}

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const segments = url.pathname.split('/').slice(1);
    if (segments.at(-1) === '' && segments.length > 1) segments.pop();
    try {
      if (!(await authorized(request, env, url.pathname))) return unauthorized();
      const path = segments.map((s) => {
        try {
          return decodeURIComponent(s);
        } catch {
          return NOT_UTF8;
        }
      });
      const only = (method, answer) => (request.method === method ? answer() : methodNotAllowed(request, method));
      if (path.length === 1 && path[0] === 'ping') return only('GET', pong);
      if (path.length === 1 && path[0] === 'openapi.json') return only('GET', () => json(openapi));
      if (path.length === 1 && path[0] === 'metrics') return await only('GET', () => metrics(env, request));
      if (path.length === 1 && path[0] === 'sweep') {
        return await only('POST', () => call(env, request, 'sweep', fields([], url.searchParams, ['limit'])));
      }
      if (path.length === 1 && path[0] === 'health') {
        return only('GET', () => json({ status: 'ok', store: 'durable-object' }));
      }
      if (path.length === 2 && path[0] === '_bench' && env.BENCH === 'true') {
        // Benchmarks only (bench/edge.mjs): a loop of operations inside one request.
        const stub = env.SESSIONS.get(env.SESSIONS.idFromName(path[1]));
        const input = { ...(await bodyJson(request, env)), app: path[1] };
        return stub.fetch('https://sessions/call', { method: 'POST', body: JSON.stringify({ op: '_bench', input }) });
      }
      if (path.length === 2 && path[0] === 'v1') {
        if (request.method !== 'POST') return methodNotAllowed(request, 'POST');
        if (path[1] === NOT_UTF8) throw notUtf8('op');
        const input = await bodyJson(request, env);
        return await call(env, request, path[1], input ?? null, METRIC_ROUTES.includes(path[1]) ? path[1] : 'other');
      }
      const { allowed, match } = route(request.method, path);
      if (match === null) return allowed.length > 0 ? methodNotAllowed(request, allowed.join(', ')) : notFound();
      const [build, params] = match;
      const { op, input, route: name } = await build(params, url.searchParams, request, env);
      return await call(env, request, op, input, name);
    } catch (e) {
      if (e instanceof HttpError) return errorResponse(e.name, e.message);
      return errorResponse('storeError', `Store error: ${e?.message ?? e}`);
    }
  },
};

/**
 * One app's sessions: a Durable Object whose storage is the store. Expired sessions are swept
 * by the object's alarm, every SWEEP_INTERVAL_MS while it holds sessions.
 *
 * It also keeps, under its own key META, its metrics (requests and errors per route; sessions
 * held, from the engine's created and destroyed events) and whether its app is in the
 * registry. META is written after each request without an `await`: the object's output gate
 * holds the response until that write is durable.
 */
export class SessionsObject {
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
    this.#env = env;
    this.#benchOn = env.BENCH === 'true';
    this.#storage = state.storage;
    state.blockConcurrencyWhile(async () => {
      this.#meta = (await state.storage.get(META)) ?? this.#meta;
    });
    this.#interval = Number(env.SWEEP_INTERVAL_MS ?? 60000);
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
      return new Response(JSON.stringify({ requests, errors, sessions }), { headers: JSON_TYPE });
    }
    const { op, input, route = 'other' } = await request.json();
    if (op === '_bench' && this.#benchOn) return new Response(JSON.stringify(await this.#bench(input)), { headers: JSON_TYPE });
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
    if (created && !this.#alarmSet) await this.#schedule(false);
    this.#count(route, answer.error === undefined);
    return new Response(JSON.stringify(answer), { headers: JSON_TYPE });
  }

  #count(route, ok) {
    const m = this.#meta;
    m.requests[route] = (m.requests[route] ?? 0) + 1;
    if (!ok) m.errors[route] = (m.errors[route] ?? 0) + 1;
    // No await: see the class comment.
    this.#storage.put(META, m);
  }

  /** Enters this object's app in the registry, once (the registry's put is idempotent). */
  async #register(app, request) {
    await registry(this.#env, request).fetch('https://apps/add', { method: 'PUT', body: JSON.stringify({ app }) });
    this.#meta.registered = true;
  }

  async alarm() {
    this.#alarmSet = false;
    this.#now = null;
    let more = true;
    for (let round = 0; more && round < 10; round++) ({ more } = await this.#sessions.sweep({ limit: SWEEP_LIMIT }));
    this.#storage.put(META, this.#meta);
    const left = await this.#storage.list({ prefix: 'r\u0000', limit: 1 });
    if (more || left.size > 0) await this.#schedule(more);
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

/** The registry's key of an app: APP_KEY + app. */
const APP_KEY = 'a\u0000';

/**
 * The registry of apps: one object (named "apps") that lists every app with an object, for
 * the routes that span all apps (POST /sweep, GET /metrics).
 */
export class AppsObject {
  #storage;

  constructor(state) {
    this.#storage = state.storage;
  }

  async fetch(request) {
    if (request.method === 'PUT') {
      const { app } = await request.json();
      await this.#storage.put(APP_KEY + app, true);
      return new Response(null, { status: 204 });
    }
    const apps = [];
    const page = 1000;
    for (let startAfter; ;) {
      const keys = [...(await this.#storage.list({ prefix: APP_KEY, startAfter, limit: page })).keys()];
      for (const k of keys) apps.push(k.slice(APP_KEY.length));
      if (keys.length < page) break;
      startAfter = keys.at(-1);
    }
    return json(apps);
  }
}
