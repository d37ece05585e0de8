// The routes of the test app, written once with no framework in sight: each is
// `(session, query) => body`. apps.mjs mounts them on Express, Fastify and Hono on Node;
// workerd/worker.mjs on Hono inside workerd.

/** What GET /me shows of the session (the token only as whether it is there). */
export function view(s) {
  return {
    authenticated: s.authenticated,
    hasToken: s.token !== null,
    id: s.id,
    authenticatableID: s.authenticatableID,
    authenticatableId: s.authenticatableId,
    firstAccessed: s.firstAccessed?.getTime() ?? null,
    lastAccessed: s.lastAccessed?.getTime() ?? null,
    firstIp: s.firstIp,
    lastIp: s.lastIp,
    userAgent: s.userAgent,
    r: s.r,
    w: s.w,
    ttl: s.ttl,
    d: s.d,
  };
}

/**
 * A gate: requests wait at it until `n` of them have arrived (to make requests overlap). This
 * one lives in the process; in workerd, where one request may not resolve another's
 * promise, the test Worker keeps its gates in a Durable Object.
 */
const gates = new Map();
export function localGate(name, n) {
  let g = gates.get(name);
  if (g === undefined) {
    let open;
    g = { arrived: 0, opened: new Promise((resolve) => (open = resolve)), open };
    gates.set(name, g);
  }
  if (++g.arrived >= n) {
    gates.delete(name);
    g.open();
  }
  return g.opened;
}

/** The routes, `'METHOD /path': (session, query) => body`, with `gate(name, n)` as their gate. */
export const makeRoutes = (gate) => ({
  'GET /me': (s) => view(s),
  'POST /login': async (s, q) => ({ token: await s.logIn(q.user, q.role === undefined ? undefined : { role: q.role }) }),
  'POST /set': (s, q) => {
    s.d[q.key] = q.value;
    return view(s);
  },
  'POST /delete': (s, q) => {
    delete s.d[q.key];
    return view(s);
  },
  'POST /incr': (s) => {
    s.d.count = (typeof s.d.count === 'number' ? s.d.count : 0) + 1;
    return { count: s.d.count };
  },
  /**
   * Sets a key once `n` requests have reached gate `gate` (so that they all read the session
   * before any saves); with `hold`, it then waits until POST /open opens that gate, so the
   * test decides which request saves last.
   */
  'POST /gate-set': async (s, q) => {
    await gate(q.gate, Number(q.n));
    s.d[q.key] = q.value;
    if (q.hold !== undefined) await gate(q.hold, 2);
    return { ok: true };
  },
  'POST /open': async (s, q) => {
    await gate(q.gate, 2);
    return { ok: true };
  },
  /** A value `d` cannot hold: the save fails (the response must not claim success). */
  'POST /bad-set': (s) => {
    s.d.bad = { nested: true };
    return { ok: true };
  },
  'POST /logout': async (s, q) => ({ killed: await s.logOut(q.target) }),
  'POST /logout-everywhere': async (s) => ({ killed: await s.logOutEverywhere() }),
  'GET /sessions': async (s, q) => ({ sessions: await s.activeSessions(q.user) }),
});

export const routes = makeRoutes(localGate);

/**
 * A Sessions that counts the calls made to it, by method (`calls.set` is the writes the
 * middleware asked for), and otherwise passes each call on.
 */
export function counting(sessions) {
  const calls = {};
  const wrapper = {
    calls,
    inner: sessions,
  };
  for (const op of ['create', 'get', 'set', 'touch', 'setTtl', 'regenerate', 'kill', 'activity', 'soapp', 'soid', 'killsoid', 'killall']) {
    wrapper[op] = (options) => {
      calls[op] = (calls[op] ?? 0) + 1;
      return sessions[op](options);
    };
  }
  return wrapper;
}
