// How the Worker reaches its Durable Objects: one SessionsObject per app (binding SESSIONS)
// and the registry of apps, AppsObject (binding APPS), for the routes that span every app.
import { engine } from './engine.mjs';

/** Tests only (TEST_CLOCK): the x-session-core-scope header, or null (also without a request:
 *  a Cron Trigger's sweep). */
const scopeOf = (env, request) => (env.TEST_CLOCK === 'true' && request ? request.headers.get('x-session-core-scope') : null);

/** The Durable Object named `name` of `namespace`, within the request's test scope if any
 *  (tests give each case objects of its own, so that each runs on empty storage). */
export function object(env, request, namespace, name) {
  const scope = scopeOf(env, request);
  return namespace.get(namespace.idFromName(scope === null ? name : `${scope}/${name}`));
}

/** The test headers an object call carries on. */
const FORWARDED = ['x-session-core-now', 'x-session-core-scope'];

/**
 * The answer of `op` with `input` in the object of `app`, as the JSON text the object wrote
 * (`{"done": ...}` or `{"error": {name, message}}`); `metric` names the request in the
 * object's metrics.
 */
export async function callApp(env, request, app, op, input, metric) {
  const headers = { 'content-type': 'application/json' };
  for (const h of FORWARDED) {
    const v = request?.headers.get(h) ?? null;
    if (v !== null) headers[h] = v;
  }
  const res = await object(env, request, env.SESSIONS, app).fetch('https://sessions/call', {
    method: 'POST',
    headers,
    body: JSON.stringify({ op, input, metric }),
  });
  return res.text();
}

/** The registry of apps. */
export const registry = (env, request) => object(env, request, env.APPS, 'apps');

/** Every app that has had a session here, in name order. */
export async function listApps(env, request) {
  return (await registry(env, request).fetch('https://apps/list')).json();
}

/**
 * `sweep` without an app: each app's object in turn, as the core's `sweep::Spread` says (its
 * share of `limit`, then probes), so `{swept, more}` means what the core's own answer means.
 */
export async function sweepAll(env, request, input) {
  const spread = new engine.NativeSweepSpread(JSON.stringify(input ?? {}));
  for (const app of await listApps(env, request)) {
    const text = await callApp(env, request, app, 'sweep', { app, limit: spread.limit() }, 'sweep');
    const answer = JSON.parse(text);
    if (answer.error !== undefined) return text;
    if (!spread.record(answer.done.swept, answer.done.more)) break;
  }
  return `{"done":${spread.result()}}`;
}

/**
 * One tick of the core's timed sweep policy (`sweep::Tick`) over every app: steps of `sweep`
 * across all apps (each as `sweepAll` spreads it) while they report more work, bounded by the
 * tick. What a Cron Trigger runs; `request` is null there. Returns whether the tick stopped
 * with work left (the next tick carries on).
 */
export async function sweepTick(env, request = null) {
  const tick = new engine.NativeSweepTick();
  for (let limit = tick.step(); limit >= 0; limit = tick.step()) {
    try {
      const answer = JSON.parse(await sweepAll(env, request, { limit }));
      tick.record(answer.error !== undefined ? -1 : answer.done.more ? 1 : 0);
    } catch {
      tick.record(-1);
    }
  }
  return { backlog: tick.backlog() };
}

/** Every app object's counters, summed: `{requests, errors, sessions}` for `/metrics`. */
export async function countAll(env, request) {
  const total = { requests: {}, errors: {}, sessions: 0 };
  for (const app of await listApps(env, request)) {
    const m = await (await object(env, request, env.SESSIONS, app).fetch('https://sessions/metrics')).json();
    for (const kind of ['requests', 'errors']) {
      for (const [route, n] of Object.entries(m[kind])) total[kind][route] = (total[kind][route] ?? 0) + n;
    }
    total.sessions += m.sessions;
  }
  return total;
}
