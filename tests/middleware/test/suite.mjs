// The behaviour every middleware promises, as tests over HTTP: `behaviour(start)` registers
// them (inside the caller's describe) for a server that `start()` brings up, fresh for each
// test. `start()` resolves to
//
//   { url, close(), calls(), peek(token), errors() }
//
// calls(): how many times the middleware called each method of its Sessions (a counting
// wrapper); peek(token): the session as the core has it (null when dead); errors(): what went
// to onError, as [{name, field}].
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';

/** One request: `{ status, headers, body }` (body parsed as JSON when it is JSON). */
export async function call(url, method, path, { cookie, bearer, accessToken, headers = {} } = {}) {
  const h = { ...headers };
  if (cookie !== undefined) h.cookie = cookie;
  if (bearer !== undefined) h.authorization = `Bearer ${bearer}`;
  if (accessToken !== undefined) h['x-access-token'] = accessToken;
  const res = await fetch(url + path, { method, headers: h });
  const text = await res.text();
  let body = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON
  }
  return { status: res.status, headers: res.headers, body };
}

async function login(server, user, opts = {}) {
  const r = await call(server.url, 'POST', `/login?user=${encodeURIComponent(user)}`, opts);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r;
}

const me = (server, token) => call(server.url, 'GET', '/me', { bearer: token });

/** Registers the behaviour tests for servers made by `start`. */
export function behaviour(start, { ip = '127.0.0.1' } = {}) {
  test('logIn sets the session cookie and an Authorization header, and returns the token', async () => {
    const s = await start();
    try {
      const r = await login(s, 'u1', { headers: { 'user-agent': 'test-agent/1' } });
      const { token } = r.body;
      assert.match(token, /^[A-Za-z0-9]{64}$/);
      assert.equal(r.headers.get('authorization'), `Bearer ${token}`);
      const cookies = r.headers.getSetCookie();
      assert.equal(cookies.length, 1, cookies.join(' | '));
      const parts = cookies[0].split(/;\s*/);
      assert.equal(parts[0], `session=${token}`);
      for (const attr of ['Path=/', 'HttpOnly', 'SameSite=Lax', 'Secure']) assert.ok(parts.includes(attr), `${attr} in ${cookies[0]}`);
      // The response carries the token: no cache may keep it (OWASP's session guidance).
      assert.equal(r.headers.get('cache-control'), 'no-store');
      const v = (await me(s, token)).body;
      assert.equal(v.authenticated, true);
      assert.equal(v.authenticatableID, 'u1');
      assert.equal(v.authenticatableId, 'u1');
      assert.equal(v.userAgent, 'test-agent/1');
      assert.equal(v.firstIp, ip);
      assert.equal(v.lastIp, ip);
      assert.equal(typeof v.firstAccessed, 'number');
      assert.ok(v.lastAccessed >= v.firstAccessed);
      assert.equal(v.ttl, 7200);
      assert.deepEqual(v.d, {});
    } finally {
      await s.close();
    }
  });

  test('the cookie, the bearer token and x-access-token each authenticate; the URL never does', async () => {
    const s = await start();
    try {
      const { token } = (await login(s, 'u1')).body;
      const listed = (await call(s.url, 'GET', '/sessions', { bearer: token })).body.sessions;
      assert.equal(listed.length, 1);
      for (const how of [{ cookie: `other=1; session=${token}; x=y` }, { bearer: token }, { accessToken: token }]) {
        const r = await call(s.url, 'GET', '/me', how);
        assert.equal(r.status, 200);
        assert.equal(r.body.authenticated, true, JSON.stringify(how));
        assert.equal(r.body.authenticatableID, 'u1');
        assert.equal(r.body.id, listed[0].id, 'id is the handle the listing shows');
        assert.equal(r.body.id.length, 22);
      }
      for (const path of [`/me?token=${token}`, `/me?session=${token}`, `/me?access_token=${token}`]) {
        assert.equal((await call(s.url, 'GET', path)).body.authenticated, false, path);
      }
    } finally {
      await s.close();
    }
  });

  test('the lookup order is Authorization: Bearer, then x-access-token, then the cookie', async () => {
    const s = await start();
    try {
      const a = (await login(s, 'alice')).body.token;
      const b = (await login(s, 'bob')).body.token;
      const c = (await login(s, 'carol')).body.token;
      const who = async (opts) => (await call(s.url, 'GET', '/me', opts)).body.authenticatableID;
      assert.equal(await who({ bearer: a, accessToken: b, cookie: `session=${c}` }), 'alice');
      assert.equal(await who({ accessToken: b, cookie: `session=${c}` }), 'bob');
      assert.equal(await who({ cookie: `session=${c}` }), 'carol');
      // Another scheme is not ours: the next source is used.
      assert.equal(await who({ headers: { authorization: 'Basic dXNlcjpwYXNz' }, cookie: `session=${c}` }), 'carol');
    } finally {
      await s.close();
    }
  });

  test('a changed d is saved (only the changed keys, once); an unchanged d causes no write', async () => {
    const s = await start();
    try {
      const { token } = (await login(s, 'u1')).body;
      assert.equal((await s.calls()).set ?? 0, 0, 'logIn writes with create only');
      await call(s.url, 'POST', '/set?key=theme&value=dark', { bearer: token });
      assert.equal((await s.calls()).set, 1);
      const w = (await me(s, token)).body.w;
      assert.deepEqual((await me(s, token)).body.d, { theme: 'dark' });
      for (let i = 0; i < 3; i++) await me(s, token);
      assert.equal((await s.calls()).set, 1, 'reads wrote nothing');
      assert.equal((await me(s, token)).body.w, w, "the core's write counter did not move");
      // Setting a key to the value it has is no change either.
      await call(s.url, 'POST', '/set?key=theme&value=dark', { bearer: token });
      assert.equal((await s.calls()).set, 1);
      await call(s.url, 'POST', '/delete?key=theme', { bearer: token });
      assert.equal((await s.calls()).set, 2);
      assert.deepEqual((await me(s, token)).body.d, {});
      // The core saw exactly the changed keys: what it stores is what the app set.
      const stored = await s.peek(token);
      assert.equal(stored.d.theme, undefined);
      assert.equal(typeof stored.d['sc.at'], 'number', 'the reserved keys stay');
      // An unauthenticated request with a changed d writes nothing.
      await call(s.url, 'POST', '/set?key=a&value=b');
      assert.equal((await s.calls()).set, 2);
    } finally {
      await s.close();
    }
  });

  test('a counter in d counts across requests', async () => {
    const s = await start();
    try {
      const { token } = (await login(s, 'u1')).body;
      for (let i = 1; i <= 5; i++) {
        assert.deepEqual((await call(s.url, 'POST', '/incr', { cookie: `session=${token}` })).body, { count: i });
      }
      assert.equal((await me(s, token)).body.d.count, 5);
    } finally {
      await s.close();
    }
  });

  test('logOut kills the session and clears the cookie', async () => {
    const s = await start();
    try {
      const { token } = (await login(s, 'u1')).body;
      const r = await call(s.url, 'POST', '/logout', { cookie: `session=${token}` });
      assert.deepEqual(r.body, { killed: true });
      const cleared = r.headers.getSetCookie().find((c) => c.startsWith('session='));
      assert.ok(cleared?.startsWith('session=;') && cleared.includes('Max-Age=0'), cleared);
      assert.equal(r.headers.get('cache-control'), 'no-store', 'a response that changes the session cookie');
      assert.equal((await me(s, token)).body.authenticated, false);
      assert.equal(await s.peek(token), null);
      assert.equal((await call(s.url, 'POST', '/logout', { bearer: token })).body.killed, false, 'nothing left to kill');
    } finally {
      await s.close();
    }
  });

  test("logOutEverywhere kills all of the user's sessions and no one else's", async () => {
    const s = await start();
    try {
      const mine = [];
      for (let i = 0; i < 3; i++) mine.push((await login(s, 'u1')).body.token);
      const other = (await login(s, 'u2')).body.token;
      const r = await call(s.url, 'POST', '/logout-everywhere', { bearer: mine[1] });
      assert.deepEqual(r.body, { killed: 3 });
      assert.equal(r.headers.get('cache-control'), 'no-store', 'the response clears the session cookie');
      for (const t of mine) assert.equal((await me(s, t)).body.authenticated, false);
      assert.equal((await me(s, other)).body.authenticated, true);
    } finally {
      await s.close();
    }
  });

  test('two concurrent requests that change different keys keep both', async () => {
    const s = await start();
    try {
      const { token } = (await login(s, 'u1')).body;
      await call(s.url, 'POST', '/set?key=x&value=0', { bearer: token });
      // Both read the session (x = 0) before either saves; the second saves last. Had it
      // written its whole d, x would go back to 0.
      const first = call(s.url, 'POST', '/gate-set?gate=g1&n=2&key=x&value=1', { bearer: token });
      const second = call(s.url, 'POST', '/gate-set?gate=g1&n=2&key=y&value=2&hold=h1', { bearer: token });
      assert.equal((await first).status, 200);
      await call(s.url, 'POST', '/open?gate=h1');
      assert.equal((await second).status, 200);
      assert.deepEqual((await me(s, token)).body.d, { x: '1', y: '2' });
    } finally {
      await s.close();
    }
  });

  test('a token planted before logIn is dead after it', async () => {
    const s = await start();
    try {
      // The attacker's own session, planted in the victim's browser.
      const planted = (await login(s, 'attacker')).body.token;
      const r = await login(s, 'victim', { cookie: `session=${planted}` });
      assert.notEqual(r.body.token, planted);
      assert.equal((await me(s, planted)).body.authenticated, false);
      assert.equal(await s.peek(planted), null);
      assert.equal((await me(s, r.body.token)).body.authenticatableID, 'victim');
      // The same through the bearer header.
      const planted2 = (await login(s, 'attacker')).body.token;
      await login(s, 'victim', { bearer: planted2 });
      assert.equal(await s.peek(planted2), null);
    } finally {
      await s.close();
    }
  });

  test('a forged or malformed token is simply unauthenticated, never a 500', async () => {
    const s = await start();
    try {
      const forged = [
        randomBytes(48).toString('base64').replace(/[^A-Za-z0-9]/g, 'a').slice(0, 64),
        'abc',
        `${'a'.repeat(63)}-`,
        'a'.repeat(65),
        'x'.repeat(4000),
        '☃'.repeat(64),
        "' OR 1=1 --",
        '%00%00',
      ];
      for (const t of forged) {
        for (const how of [{ cookie: `session=${t}` }, { accessToken: t }, { headers: { authorization: `Bearer ${t}` } }]) {
          let r;
          try {
            r = await call(s.url, 'GET', '/me', how);
          } catch (e) {
            // fetch itself refuses some header values (non-ASCII): not a request at all.
            assert.match(String(e.cause ?? e), /header|ByteString|invalid/i);
            continue;
          }
          assert.equal(r.status, 200, `${JSON.stringify(how).slice(0, 80)}: ${JSON.stringify(r.body).slice(0, 200)}`);
          assert.equal(r.body.authenticated, false);
          assert.equal((await call(s.url, 'GET', '/private', how)).status, 401);
        }
      }
      for (const header of ['Bearer', 'Bearer ', 'bearer  ', 'Bearer a b']) {
        const r = await call(s.url, 'GET', '/me', { headers: { authorization: header } });
        assert.equal(r.status, 200);
        assert.equal(r.body.authenticated, false);
      }
      assert.equal((await s.errors()).length, 0);
    } finally {
      await s.close();
    }
  });

  test('authenticateRequest answers 401 without a live session and lets a live one through', async () => {
    const s = await start();
    try {
      assert.equal((await call(s.url, 'GET', '/private')).status, 401);
      const { token } = (await login(s, 'u1')).body;
      const r = await call(s.url, 'GET', '/private', { bearer: token });
      assert.equal(r.status, 200);
      assert.deepEqual(r.body, { user: 'u1' });
    } finally {
      await s.close();
    }
  });

  test('activeSessions lists the user\'s sessions with handles; logOut(handle) ends one of them, only of this user', async () => {
    const s = await start();
    try {
      const phone = (await login(s, 'u1', { headers: { 'user-agent': 'phone' } })).body.token;
      const laptop = (await login(s, 'u1', { headers: { 'user-agent': 'laptop' } })).body.token;
      const stranger = (await login(s, 'u2')).body.token;
      const list = (await call(s.url, 'GET', '/sessions', { bearer: laptop })).body.sessions;
      assert.equal(list.length, 2);
      assert.deepEqual(list.map((x) => x.userAgent), ['phone', 'laptop']);
      assert.deepEqual(list.map((x) => x.current), [false, true]);
      for (const x of list) {
        assert.equal(x.id.length, 22);
        assert.equal(x.authenticatableID, 'u1');
        assert.equal(x.firstIp, ip);
        assert.equal(x.lastIp, ip);
        assert.ok(!JSON.stringify(x).includes(phone) && !JSON.stringify(x).includes(laptop), 'no token in a listing');
      }
      const strangers = (await call(s.url, 'GET', '/sessions?user=u2', { bearer: laptop })).body.sessions;
      assert.equal(strangers.length, 1);
      // Another user's session cannot be ended by its (public) handle.
      assert.deepEqual((await call(s.url, 'POST', `/logout?target=${strangers[0].id}`, { bearer: laptop })).body, { killed: false });
      assert.equal((await me(s, stranger)).body.authenticated, true);
      // The user's own other device can.
      assert.deepEqual((await call(s.url, 'POST', `/logout?target=${list[0].id}`, { bearer: laptop })).body, { killed: true });
      assert.equal((await me(s, phone)).body.authenticated, false);
      assert.equal((await me(s, laptop)).body.authenticated, true);
    } finally {
      await s.close();
    }
  });

  test("logOut(token) ends only this user's sessions: another user's token is refused as their handle is", async () => {
    const s = await start();
    try {
      const phone = (await login(s, 'u1')).body.token;
      const laptop = (await login(s, 'u1')).body.token;
      const stranger = (await login(s, 'u2')).body.token;
      // Another user's token (from a log, a leak, a shared device) ends nothing.
      const refused = await call(s.url, 'POST', `/logout?target=${stranger}`, { bearer: laptop });
      assert.deepEqual(refused.body, { killed: false });
      assert.equal((await me(s, stranger)).body.authenticated, true);
      assert.notEqual(await s.peek(stranger), null);
      assert.equal((await me(s, laptop)).body.authenticated, true, 'nor this session');
      // This user's other device, by its token: ended; this session stays.
      assert.deepEqual((await call(s.url, 'POST', `/logout?target=${phone}`, { bearer: laptop })).body, { killed: true });
      assert.equal((await me(s, phone)).body.authenticated, false);
      assert.equal((await me(s, laptop)).body.authenticated, true);
      // A token of no session, and a dead one: nothing.
      const unknown = 'A'.repeat(64);
      assert.deepEqual((await call(s.url, 'POST', `/logout?target=${unknown}`, { bearer: laptop })).body, { killed: false });
      assert.deepEqual((await call(s.url, 'POST', `/logout?target=${phone}`, { bearer: laptop })).body, { killed: false });
    } finally {
      await s.close();
    }
  });

  test('a save that fails turns the response into a 500 and goes to onError', async () => {
    const s = await start();
    try {
      const { token } = (await login(s, 'u1')).body;
      const r = await call(s.url, 'POST', '/bad-set', { bearer: token });
      assert.equal(r.status, 500);
      const errors = await s.errors();
      assert.equal(errors.length, 1);
      assert.equal(errors[0].name, 'invalidValue');
      assert.equal(errors[0].field, 'd');
      assert.equal((await me(s, token)).body.authenticated, true);
    } finally {
      await s.close();
    }
  });
}
