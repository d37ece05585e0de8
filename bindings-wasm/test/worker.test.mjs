// The ready Worker (worker/index.mjs) inside a real workerd, through miniflare 3: the
// rest-sessions routes over HTTP, answers and error JSON as the REST server gives them, one
// Durable Object per app whose storage keeps the sessions across requests and across the
// object (and the whole runtime) being dropped and started again, and expiry swept by alarms.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { startWorker as startWorkerd, wranglerConfig } from './workerd.mjs';

const persist = mkdtempSync(join(tmpdir(), 'session-core-worker-'));
after(() => rmSync(persist, { recursive: true, force: true }));

/** The Worker with wrangler.toml's variables (and `vars` over them), over `dir`. */
function startWorker(vars = {}, dir = persist) {
  const bindings = { RS_NAMESPACE: 'rs', SWEEP_INTERVAL_MS: '60000', BODY_LIMIT: '262144', ...vars };
  return startWorkerd({ persist: dir, bindings });
}

/** A Worker over storage of its own (empty), for tests that span every app. */
function startFreshWorker(vars = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'session-core-worker-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  return startWorker(vars, dir);
}

/** [status, the body as JSON, or as text when it is not JSON (`/ping`), or null when empty] */
async function send(mf, method, path, body, headers = {}) {
  const res = await mf.dispatchFetch(`http://localhost${path}`, { method, body, headers });
  const text = await res.text();
  if (text === '') return [res.status, null];
  try {
    return [res.status, JSON.parse(text)];
  } catch {
    return [res.status, text];
  }
}

/**
 * One request over a plain socket to the Worker's HTTP port (`await mf.ready`), written byte
 * for byte as given; the answer as it came: `{ status, headers, body }` (headers in lower
 * case, a chunked body decoded).
 */
async function raw(url, request) {
  const bytes = await new Promise((resolve, reject) => {
    const chunks = [];
    const socket = connect(Number(url.port), url.hostname, () => socket.end(request));
    socket.on('data', (c) => chunks.push(c));
    socket.on('end', () => resolve(Buffer.concat(chunks)));
    socket.on('error', reject);
  });
  const headEnd = bytes.indexOf('\r\n\r\n');
  const [statusLine, ...lines] = bytes.subarray(0, headEnd).toString('latin1').split('\r\n');
  const headers = Object.fromEntries(lines.map((l) => {
    const i = l.indexOf(':');
    return [l.slice(0, i).trim().toLowerCase(), l.slice(i + 1).trim()];
  }));
  let body = bytes.subarray(headEnd + 4);
  if (headers['transfer-encoding'] === 'chunked') {
    const parts = [];
    for (let at = 0; ;) {
      const lineEnd = body.indexOf('\r\n', at);
      const size = parseInt(body.subarray(at, lineEnd).toString('latin1'), 16);
      if (size === 0) break;
      parts.push(body.subarray(lineEnd + 2, lineEnd + 2 + size));
      at = lineEnd + 2 + size + 2;
    }
    body = Buffer.concat(parts);
  } else if (headers['content-length'] !== undefined) {
    body = body.subarray(0, Number(headers['content-length']));
  }
  return { status: Number(statusLine.split(' ')[1]), headers, body };
}

/** A request with `Connection: close`, and a JSON body with its length if given. */
function request(method, path, headers = {}, body = undefined) {
  let r = `${method} ${path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n`;
  for (const [k, v] of Object.entries(headers)) r += `${k}: ${v}\r\n`;
  if (body !== undefined) r += `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n`;
  return `${r}\r\n${body ?? ''}`;
}

/**
 * Matches `actual` against `template` (tests/http/rest-sessions-flow.json): `{tokenN}` and
 * `{handleN}` stand for values of the run; a known one must be equal, a new one matches its
 * shape (64 of [A-Za-z0-9], 22 of [A-Za-z0-9_-]) and is remembered in `vars`.
 */
function matchesTemplate(template, actual, vars) {
  let pattern = '';
  const names = [];
  let last = 0;
  for (const m of template.matchAll(/\{(token\d*|handle\d*|cursor\d*)\}/g)) {
    pattern += template.slice(last, m.index).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const name = m[1];
    if (vars[name] !== undefined) pattern += vars[name];
    else if (names.includes(name)) pattern += `\\k<${name}>`;
    else {
      names.push(name);
      const shape = name.startsWith('token') ? '[A-Za-z0-9]{64}' : name.startsWith('cursor') ? '[A-Za-z0-9_-]+' : '[A-Za-z0-9_-]{22}';
      pattern += `(?<${name}>${shape})`;
    }
    last = m.index + m[0].length;
  }
  pattern += template.slice(last).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const found = new RegExp(`^${pattern}$`).exec(actual);
  if (found === null) return false;
  Object.assign(vars, found.groups ?? {});
  return true;
}

/** Checks that an answer is an error as JSON `{error, message}` with `status` and `name`. */
async function assertJsonError(what, res, status, name) {
  assert.equal(res.status, status, what);
  assert.match(res.headers.get('content-type') ?? '', /^application\/json/, `${what}: content-type`);
  const body = JSON.parse(await res.text());
  assert.deepEqual(Object.keys(body).sort(), ['error', 'message'], what);
  assert.equal(body.error, name, what);
  assert.ok(typeof body.message === 'string' && body.message.length > 0, what);
  return body;
}

const TOKEN = /^[A-Za-z0-9]{64}$/;

/** GET /metrics as `{ 'name{labels}': value }`. */
async function metrics(mf) {
  const res = await mf.dispatchFetch('http://localhost/metrics');
  assert.equal(res.headers.get('content-type'), 'text/plain; version=0.0.4');
  const text = await res.text();
  return Object.fromEntries(text.split('\n').filter((l) => l && !l.startsWith('#')).map((l) => {
    const i = l.lastIndexOf(' ');
    return [l.slice(0, i), Number(l.slice(i + 1))];
  }));
}

describe('the Worker in workerd (miniflare 3)', () => {
  test('/openapi.json describes the routes it serves, from the REST server\'s document', async () => {
    const mf = startWorker();
    try {
      const [status, doc] = await send(mf, 'GET', '/openapi.json');
      assert.equal(status, 200);
      for (const p of ['/{app}/create/{id}', '/{app}/get/{token}', '/{app}/set/{token}', '/{app}/killall', '/ping', '/v1/{op}']) {
        assert.ok(doc.paths[p], `${p} is documented`);
      }
      assert.ok(doc.paths['/metrics'] && doc.paths['/sweep'], 'the routes that span every app too');
    } finally {
      await mf.dispose();
    }
  });

  test('rest-sessions routes: create, get, set, activity, soapp, soid, kill, killsoid, killall', async () => {
    const mf = startWorker();
    try {
      assert.deepEqual(await send(mf, 'GET', '/ping'), [200, 'PONG']);
      let [status, body] = await send(mf, 'PUT', '/shop/create/ann%40example.com?ip=10.0.0.1&ttl=3600', '{"theme":"dark"}');
      assert.equal(status, 200);
      assert.match(body.token, TOKEN);
      const t = body.token;
      [status, body] = await send(mf, 'GET', `/shop/get/${t}`);
      assert.equal(status, 200);
      assert.deepEqual(
        { id: body.id, r: body.r, w: body.w, ttl: body.ttl, ip: body.ip, d: body.d },
        { id: 'ann@example.com', r: 1, w: 1, ttl: 3600, ip: '10.0.0.1', d: { theme: 'dark' } },
      );
      [status, body] = await send(mf, 'POST', `/shop/set/${t}`, '{"theme":null,"cart":2}');
      assert.deepEqual([status, body.w, body.r, body.d], [200, 2, 2, { cart: 2 }]);
      const [, bob] = await send(mf, 'PUT', '/shop/create/bob?ip=10.0.0.2');
      await send(mf, 'PUT', '/shop/create/bob?ip=10.0.0.3');
      assert.deepEqual(await send(mf, 'GET', '/shop/activity?dt=600'), [200, { activity: 2 }]);
      [status, body] = await send(mf, 'GET', '/shop/soapp?dt=600');
      assert.equal(body.sessions.length, 3);
      [status, body] = await send(mf, 'GET', '/shop/soid/bob');
      assert.deepEqual([status, body.sessions.map((s) => s.ip).sort()], [200, ['10.0.0.2', '10.0.0.3']]);
      // Beyond rest-sessions: touch, ttl, regenerate, kill by handle.
      [status, body] = await send(mf, 'POST', `/shop/touch/${bob.token}`);
      assert.deepEqual([status, body.r], [200, 1]);
      [status, body] = await send(mf, 'PUT', `/shop/ttl/${bob.token}?ttl=60`);
      assert.deepEqual([status, body.ttl], [200, 60]);
      // Another app is another object, with its own sessions.
      await send(mf, 'PUT', '/other/create/bob?ip=10.0.0.9');
      assert.deepEqual(await send(mf, 'GET', '/other/activity?dt=600'), [200, { activity: 1 }]);
      assert.deepEqual(await send(mf, 'DELETE', `/shop/kill/${t}`), [200, { kill: 1 }]);
      assert.deepEqual(await send(mf, 'GET', `/shop/get/${t}`), [200, {}]);
      assert.deepEqual(await send(mf, 'POST', `/shop/set/${t}`, '{"a":1}'), [200, {}]);
      assert.deepEqual(await send(mf, 'DELETE', '/shop/killsoid/bob'), [200, { kill: 2 }]);
      assert.deepEqual(await send(mf, 'GET', `/shop/get/${bob.token}`), [200, {}]);
      assert.deepEqual(await send(mf, 'GET', '/other/activity?dt=600'), [200, { activity: 1 }]);
      assert.deepEqual(await send(mf, 'DELETE', '/other/killall'), [200, { kill: 1 }]);
      assert.deepEqual(await send(mf, 'GET', '/other/soapp?dt=600'), [200, { sessions: [] }]);
      // The JSON-typed route takes any operation, as the REST server's does.
      [status, body] = await send(mf, 'POST', '/v1/create', '{"app":"shop","id":"v","ip":"::1","d":{"n":1}}');
      assert.match(body.token, TOKEN);
      [status, body] = await send(mf, 'POST', '/v1/regenerate', JSON.stringify({ app: 'shop', token: body.token }));
      const [, listed] = await send(mf, 'GET', '/shop/soid/v');
      assert.deepEqual(listed.sessions.map((s) => s.d), [{ n: 1 }]);
      assert.deepEqual(await send(mf, 'DELETE', `/shop/handle/${listed.sessions[0].handle}`), [200, { kill: 1 }]);
      assert.deepEqual(await send(mf, 'GET', `/shop/get/${body.token}`), [200, {}]);
    } finally {
      await mf.dispose();
    }
  });

  test('bad input gets the REST server\'s statuses and error JSON', async () => {
    const mf = startWorker({ BODY_LIMIT: '200' });
    try {
      assert.deepEqual(await send(mf, 'PUT', '/ab/create/u1?ip=1.2.3.4'), [
        400,
        { error: 'invalidFormat', message: 'Invalid app format' },
      ]);
      assert.deepEqual(await send(mf, 'PUT', '/shop/create/u1'), [
        400,
        { error: 'missingParameter', message: 'No ip supplied' },
      ]);
      assert.deepEqual(await send(mf, 'GET', '/shop/get/short'), [
        400,
        { error: 'invalidFormat', message: 'Invalid token format' },
      ]);
      assert.deepEqual(await send(mf, 'GET', '/shop/activity?dt=5'), [
        400,
        { error: 'invalidValue', message: 'dt must be a positive integer >= 10' },
      ]);
      const [, { token }] = await send(mf, 'PUT', '/shop/create/u1?ip=10.0.0.1&ttl=3600');
      assert.deepEqual(await send(mf, 'POST', `/shop/set/${token}`, '[1,2]'), [
        400,
        { error: 'invalidValue', message: 'd must be an object' },
      ]);
      assert.deepEqual(await send(mf, 'POST', `/shop/set/${token}`, '{not json'), [
        400,
        { error: 'invalidValue', message: 'd must be an object (the body is not JSON: key must be a string at line 1 column 2)' },
      ]);
      const big = JSON.stringify({ k: 'x'.repeat(300) });
      assert.deepEqual(await send(mf, 'POST', `/shop/set/${token}`, big), [
        413,
        { error: 'tooLarge', message: 'The request body is larger than 200 bytes' },
      ]);
      assert.equal((await send(mf, 'GET', `/shop/get/${token}`))[1].w, 1, 'nothing changed');
      // A chunked body announces no length: the 413 comes once the limit is passed, without
      // waiting for (and holding) the rest, which here never comes.
      const url = await mf.ready;
      const status = await new Promise((resolve, reject) => {
        const socket = connect(Number(url.port), url.hostname, () => {
          socket.write(`POST /shop/set/${token} HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n`);
          socket.write(`${(150).toString(16)}\r\n${'x'.repeat(150)}\r\n`.repeat(2));
        });
        let head = '';
        socket.on('data', (c) => {
          head += c.toString('latin1');
          if (head.includes('\r\n')) {
            socket.destroy();
            resolve(Number(head.split(' ')[1]));
          }
        });
        socket.on('error', reject);
        setTimeout(() => {
          socket.destroy();
          resolve('no answer in 15 s');
        }, 15_000).unref();
      });
      assert.equal(status, 413);
      assert.equal((await send(mf, 'GET', `/shop/get/${token}`))[1].w, 1, 'nothing changed');
      assert.deepEqual(await send(mf, 'GET', '/nope'), [
        404,
        { error: 'notFound', message: 'No such route; see /openapi.json' },
      ]);
      assert.equal((await send(mf, 'GET', '/shop/create/u1'))[0], 405);
    } finally {
      await mf.dispose();
    }
  });

  test('POST /sweep sweeps every app, within one limit over all of them', async () => {
    const mf = startFreshWorker({ TEST_CLOCK: 'true' });
    try {
      const t0 = 1_700_000_000_000;
      const at = (ms) => ({ 'x-session-core-now': String(ms) });
      for (const app of ['app1', 'app2', 'app3']) {
        await send(mf, 'PUT', `/${app}/create/gone?ip=10.0.0.1&ttl=10`, undefined, at(t0));
        await send(mf, 'PUT', `/${app}/create/kept?ip=10.0.0.1&ttl=3600`, undefined, at(t0));
      }
      const later = at(t0 + 60_000);
      assert.deepEqual(await send(mf, 'POST', '/sweep?limit=0', undefined, later), [200, { swept: 0, more: true }]);
      assert.deepEqual(await send(mf, 'POST', '/sweep?limit=10001', undefined, later), [
        400,
        { error: 'invalidValue', message: 'limit must be an integer from 0 to 10000' },
      ]);
      assert.deepEqual(await send(mf, 'POST', '/sweep?limit=2', undefined, later), [200, { swept: 2, more: true }]);
      assert.deepEqual(await send(mf, 'POST', '/sweep', undefined, later), [200, { swept: 1, more: false }]);
      assert.deepEqual(await send(mf, 'POST', '/v1/sweep', '{}', later), [200, { swept: 0, more: false }]);
      for (const app of ['app1', 'app2', 'app3']) {
        const [, { sessions }] = await send(mf, 'GET', `/${app}/soapp?dt=600`, undefined, at(t0 + 1000));
        assert.deepEqual(sessions.map((s) => s.id), ['kept'], `${app} kept its live session`);
      }
      assert.equal((await send(mf, 'GET', '/sweep'))[0], 405);
      // The swept sessions left every object's gauge; each object counted its sweeps.
      const text = await (await mf.dispatchFetch('http://localhost/metrics')).text();
      assert.match(text, /^session_core_sessions 3$/m);
      // Object calls: the probe stops at app1 (more); limit 2: app1, app2 with the last 1, then
      // a probe of app3 (more); then 3 and 3.
      assert.match(text, /^session_core_requests_total\{route="sweep"\} 10$/m, 'object calls: 1, 3, 3, 3');
      assert.match(text, /^session_core_requests_total\{route="create"\} 6$/m);
    } finally {
      await mf.dispose();
    }
  });

  test('GET /metrics counts requests, errors and sessions of every app, across restarts', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'session-core-worker-'));
    after(() => rmSync(dir, { recursive: true, force: true }));
    let mf = startWorker({}, dir);
    try {
      const [, a] = await send(mf, 'PUT', '/shop/create/ann?ip=10.0.0.1');
      await send(mf, 'PUT', '/shop/create/bob?ip=10.0.0.1');
      const [, c] = await send(mf, 'PUT', '/blog/create/cat?ip=10.0.0.1');
      await send(mf, 'GET', `/shop/get/${a.token}`);
      await send(mf, 'DELETE', `/shop/kill/${a.token}`);
      await send(mf, 'POST', '/v1/set', JSON.stringify({ app: 'blog', token: c.token, d: { big: 'x'.repeat(70_000) } }));
    } finally {
      await mf.dispose();
    }
    mf = startWorker({}, dir);
    try {
      const m = await metrics(mf);
      assert.equal(m['session_core_requests_total{route="create"}'], 3);
      assert.equal(m['session_core_requests_total{route="get"}'], 1);
      assert.equal(m['session_core_requests_total{route="kill"}'], 1);
      assert.equal(m['session_core_requests_total{route="set"}'], 1);
      assert.equal(m['session_core_errors_total{route="set"}'], 1, 'the tooLarge set');
      assert.equal(m['session_core_errors_total{route="create"}'], 0);
      assert.equal(m['session_core_sessions'], 2, 'bob and cat');
      assert.equal((await send(mf, 'POST', '/metrics'))[0], 405);
    } finally {
      await mf.dispose();
    }
  });

  test('sessions survive the object and the runtime being dropped and started again', async () => {
    let mf = startWorker();
    let token;
    try {
      [, { token }] = await send(mf, 'PUT', '/keep/create/u1?ip=10.0.0.1', '{"cart":3}');
      await send(mf, 'GET', `/keep/get/${token}`);
    } finally {
      await mf.dispose();
    }
    mf = startWorker();
    try {
      const [status, s] = await send(mf, 'GET', `/keep/get/${token}`);
      assert.deepEqual([status, s.id, s.r, s.d], [200, 'u1', 2, { cart: 3 }]);
      assert.deepEqual(await send(mf, 'GET', '/keep/activity?dt=600'), [200, { activity: 1 }]);
    } finally {
      await mf.dispose();
    }
  });

  test('expired sessions are swept by the object\'s alarm', async () => {
    const mf = startWorker({ TEST_CLOCK: 'true', SWEEP_INTERVAL_MS: '200' });
    try {
      // Created a minute ago (the test clock) with a 10 s TTL: expired by the real clock,
      // which is the one alarms sweep with. A read at the creation time still finds it until
      // the sweep has removed it from the store.
      const t0 = Date.now() - 60_000;
      const at = (ms) => ({ 'x-session-core-now': String(ms) });
      const [, { token }] = await send(mf, 'PUT', '/exp/create/u1?ip=10.0.0.1&ttl=10', undefined, at(t0));
      const [, live] = await send(mf, 'PUT', '/exp/create/u2?ip=10.0.0.1&ttl=3600');
      assert.equal((await send(mf, 'GET', `/exp/get/${token}`, undefined, at(t0 + 1000)))[1].id, 'u1');
      let swept = false;
      for (let i = 0; i < 50 && !swept; i++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        swept = Object.keys((await send(mf, 'GET', `/exp/get/${token}`, undefined, at(t0 + 2000)))[1]).length === 0;
      }
      assert.ok(swept, 'the alarm swept the expired session');
      assert.equal((await send(mf, 'GET', `/exp/get/${live.token}`))[1].id, 'u2', 'and kept the live one');
      assert.deepEqual(await send(mf, 'GET', '/exp/soid/u1', undefined, at(t0 + 2000)), [200, { sessions: [] }]);
    } finally {
      await mf.dispose();
    }
  });
  test("a Cron Trigger sweeps every app, one tick of the core's policy; SWEEP_INTERVAL_MS \"0\" sets no alarm", async () => {
    const mf = startFreshWorker({ TEST_CLOCK: 'true', SWEEP_INTERVAL_MS: '0' });
    try {
      // As in the alarm test: created a minute ago by the test clock, with a 10 s TTL.
      const t0 = Date.now() - 60_000;
      const at = (ms) => ({ 'x-session-core-now': String(ms) });
      const expired = [];
      for (const app of ['cron1', 'cron2']) {
        for (const id of ['u1', 'u2']) expired.push([app, (await send(mf, 'PUT', `/${app}/create/${id}?ip=::1&ttl=10`, undefined, at(t0)))[1].token]);
      }
      const [, live] = await send(mf, 'PUT', '/cron1/create/u3?ip=::1&ttl=3600');
      // No alarm sweeps them (with alarms, an interval of 0 would have fired at once).
      await new Promise((resolve) => setTimeout(resolve, 500));
      for (const [app, token] of expired) assert.equal((await send(mf, 'GET', `/${app}/get/${token}`, undefined, at(t0 + 1000)))[1].id !== undefined, true, `${app} kept until the cron`);
      const worker = await mf.getWorker();
      const result = await worker.scheduled({ cron: '*/15 * * * *', scheduledTime: new Date() });
      assert.equal(result.outcome, 'ok');
      for (const [app, token] of expired) assert.deepEqual(await send(mf, 'GET', `/${app}/get/${token}`, undefined, at(t0 + 2000)), [200, {}], `${app}: swept`);
      assert.equal((await send(mf, 'GET', `/cron1/get/${live.token}`))[1].id, 'u3', 'the live session stays');
      const m = await metrics(mf);
      assert.equal(m['session_core_requests_total{route="sweep"}'], 2, 'one sweep step in each app');
    } finally {
      await mf.dispose();
    }
  });

  test('SWEEP_INTERVAL_MS that is not a number of milliseconds: every call says so', async () => {
    const mf = startFreshWorker({ SWEEP_INTERVAL_MS: 'soon' });
    try {
      const [status, body] = await send(mf, 'PUT', '/shop/create/u1?ip=::1');
      assert.equal(status, 503);
      assert.equal(body.error, 'storeError');
      assert.match(body.message, /SWEEP_INTERVAL_MS must be a number of milliseconds \(0: no alarms\), not "soon"/);
    } finally {
      await mf.dispose();
    }
  });

  test("the template's wrangler.toml: SQLite-backed objects (new_sqlite_classes), no nodejs_compat; these tests run them so", () => {
    const config = wranglerConfig();
    assert.deepEqual(config.sqliteClasses.sort(), ['AppsObject', 'SessionsObject']);
    assert.deepEqual(config.keyValueClasses, []);
    assert.deepEqual(config.compatibilityFlags, []);
    assert.deepEqual(config.durableObjects, {
      SESSIONS: { className: 'SessionsObject', useSQLite: true },
      APPS: { className: 'AppsObject', useSQLite: true },
    });
    assert.equal(config.main, 'src/index.js');
  });

  test('/ping answers PONG exactly, four bytes of plain text; /health stays JSON', async () => {
    const mf = startWorker();
    try {
      const res = await mf.dispatchFetch('http://localhost/ping');
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type'), /^text\/plain/);
      assert.deepEqual(Buffer.from(await res.arrayBuffer()), Buffer.from('PONG'));
      assert.deepEqual(await send(mf, 'GET', '/health'), [200, { status: 'ok', store: 'durable-object' }]);
      const [, doc] = await send(mf, 'GET', '/openapi.json');
      assert.deepEqual(doc.paths['/ping'].get.responses['200'].content['text/plain'].schema.enum, ['PONG']);
    } finally {
      await mf.dispose();
    }
  });

  test('the shared HTTP flows (tests/http) over raw HTTP, byte for byte as the REST server answers them', async () => {
    const dir = new URL('../../tests/http/', import.meta.url);
    const files = readdirSync(dir).filter((f) => f.endsWith('.json')).sort();
    assert.ok(files.length >= 3, 'the flows of tests/http');
    for (const file of files) {
      const flow = JSON.parse(readFileSync(new URL(file, dir), 'utf8'));
      // A fresh Worker per flow: each starts on empty storage.
      const mf = startFreshWorker({ TEST_CLOCK: 'true', MAX_LIST: String(flow.max_list ?? 10000) });
      try {
        const url = await mf.ready;
        const vars = {};
        for (const step of flow.steps) {
          const name = `${file}: ${step.name}`;
          const path = step.path.replace(/\{(\w+)\}/g, (m, v) => vars[v] ?? m);
          const now = { 'x-session-core-now': String(flow.start + step.at) };
          const res = await raw(url, request(step.method, path, now, step.request));
          const text = res.body.toString('utf8');
          assert.equal(res.status, step.status, `${name}: ${text}`);
          assert.ok((res.headers['content-type'] ?? '').startsWith(step.type), `${name}: ${res.headers['content-type']}`);
          for (const [h, v] of Object.entries(step.headers ?? {})) assert.equal(res.headers[h], v, `${name}: header ${h}`);
          assert.ok(matchesTemplate(step.body, text, vars), `${name}:\n  expected ${step.body}\n  got      ${text}`);
        }
      } finally {
        await mf.dispose();
      }
    }
  });

  test('every error status answers JSON {error, message}', async () => {
    const mf = startWorker({ BODY_LIMIT: '200' });
    const fetch = (method, path, body, headers = {}) =>
      mf.dispatchFetch(`http://localhost${path}`, { method, body, headers });
    try {
      await assertJsonError('validation', await fetch('PUT', '/ab/create/u1?ip=::1'), 400, 'invalidFormat');
      const utf8 = await assertJsonError('a path segment that is not UTF-8', await fetch('GET', '/shop/get/%FF%FE'), 400, 'invalidFormat');
      assert.equal(utf8.message, 'Invalid token format: the path segment is not UTF-8');
      await assertJsonError('an op that is not UTF-8', await fetch('POST', '/v1/%FF', '{}'), 400, 'invalidFormat');
      await assertJsonError('a body that is not JSON', await fetch('POST', '/v1/get', '{no'), 400, 'invalidValue');
      await assertJsonError('no route', await fetch('GET', '/nope'), 404, 'notFound');
      await assertJsonError('a single segment that is not UTF-8', await fetch('GET', '/%FF'), 404, 'notFound');
      const res = await fetch('GET', '/shop/create/u1');
      assert.equal(res.headers.get('allow'), 'PUT');
      const body = await assertJsonError('a method the route does not take', res, 405, 'methodNotAllowed');
      assert.equal(body.message, 'GET is not allowed on /shop/create/u1 (the Allow header lists the methods it takes)');
      await assertJsonError('POST /ping', await fetch('POST', '/ping'), 405, 'methodNotAllowed');
      await assertJsonError('GET /sweep', await fetch('GET', '/sweep'), 405, 'methodNotAllowed');
      await assertJsonError('GET /v1/get', await fetch('GET', '/v1/get'), 405, 'methodNotAllowed');
      await assertJsonError('a body over the limit', await fetch('POST', '/v1/get', '1'.repeat(300)), 413, 'tooLarge');
    } finally {
      await mf.dispose();
    }
    const locked = startWorker({ AUTH_TOKEN: 't0ken-for-tests' });
    try {
      const res = await locked.dispatchFetch('http://localhost/shop/activity?dt=60');
      await assertJsonError('no token', res, 401, 'unauthorized');
    } finally {
      await locked.dispose();
    }
  });

  test('HEAD on /ping, /health, /metrics and /openapi.json answers as GET without a body; not on session routes', async () => {
    const mf = startWorker();
    try {
      const url = await mf.ready;
      for (const path of ['/ping', '/ping/', '/health', '/metrics', '/openapi.json']) {
        const got = await raw(url, request('GET', path));
        const head = await raw(url, request('HEAD', path));
        assert.equal(head.status, 200, `HEAD ${path}`);
        assert.equal(head.body.length, 0, `HEAD ${path}: ${head.body}`);
        assert.equal(head.headers['content-type'], got.headers['content-type'], `HEAD ${path}`);
      }
      const refused = await raw(url, request('HEAD', '/shop/get/x'));
      assert.deepEqual([refused.status, refused.headers.allow, refused.body.length], [405, 'GET', 0]);
      const post = await raw(url, request('POST', '/ping'));
      assert.deepEqual([post.status, post.headers.allow], [405, 'GET, HEAD']);
    } finally {
      await mf.dispose();
    }
  });

  test('a body over BODY_LIMIT gets its 413 with Node\'s fetch, 20 tries of 2 MB', async () => {
    const mf = startWorker();
    try {
      const url = await mf.ready;
      const created = await (await fetch(new URL('/shop/create/u1?ip=::1', url), { method: 'PUT' })).json();
      const body = 'x'.repeat(2 << 20);
      const got = {};
      for (let i = 0; i < 20; i++) {
        let line;
        try {
          const res = await fetch(new URL(`/shop/set/${created.token}`, url), { method: 'POST', body, headers: { 'content-type': 'application/json' } });
          line = `${res.status} ${(await res.json()).error}`;
        } catch (e) {
          line = `error ${e.cause?.code ?? e.message}`;
        }
        got[line] = (got[line] ?? 0) + 1;
      }
      assert.deepEqual(got, { '413 tooLarge': 20 }, JSON.stringify(got));
    } finally {
      await mf.dispose();
    }
  });

  test('AUTH_TOKEN: every route but /ping and /health needs Authorization: Bearer <token>', async () => {
    const token = 's3cret-t0ken-for-the-tests';
    const mf = startFreshWorker({ AUTH_TOKEN: token });
    const fetch = (method, path, headers = {}) => mf.dispatchFetch(`http://localhost${path}`, { method, headers });
    try {
      // The probes, as the router reads their paths (a trailing slash too), with GET or HEAD.
      for (const path of ['/ping', '/health', '/ping/', '/health/']) {
        for (const method of ['GET', 'HEAD']) assert.equal((await fetch(method, path)).status, 200, `${method} ${path}`);
      }
      const closed = [
        ['PUT', '/shop/create/u1?ip=::1'],
        ['GET', '/shop/activity?dt=60'],
        ['GET', '/metrics'],
        ['GET', '/metrics/'],
        ['GET', '/openapi.json'],
        ['GET', '/ping/x'],
        ['POST', '/sweep'],
        ['POST', '/v1/get'],
        ['GET', '/nope'],
      ];
      for (const [method, path] of closed) {
        for (const authorization of [undefined, 'Bearer wrong', token, 'Basic czNjcmV0', `Bearer ${token}x`]) {
          const res = await fetch(method, path, authorization === undefined ? {} : { authorization });
          await assertJsonError(`${method} ${path} with ${authorization}`, res, 401, 'unauthorized');
          assert.equal(res.headers.get('www-authenticate'), 'Bearer realm="session-core"');
        }
      }
      assert.equal((await fetch('HEAD', '/metrics')).status, 401);
      const auth = { authorization: `Bearer ${token}` };
      const created = await fetch('PUT', '/shop/create/u1?ip=::1', auth);
      assert.equal(created.status, 200);
      const { token: t } = await created.json();
      const [status, s] = await send(mf, 'GET', `/shop/get/${t}`, undefined, { authorization: `bearer ${token}` });
      assert.deepEqual([status, s.id], [200, 'u1']);
      assert.equal((await fetch('GET', '/metrics', auth)).status, 200);
      assert.equal((await fetch('GET', '/nope', auth)).status, 404);
    } finally {
      await mf.dispose();
    }
    // Without the secret (the default), nothing is asked.
    const open = startFreshWorker();
    try {
      assert.deepEqual(await send(open, 'GET', '/shop/activity?dt=60'), [200, { activity: 0 }]);
    } finally {
      await open.dispose();
    }
  });
});
