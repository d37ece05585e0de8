// Hono inside a real workerd (miniflare 3) with session-core-wasm: the Worker runs the app, a
// Durable Object holds the sessions (DurableObjectStore, reached over RPC). The same
// behaviour tests as on Node (suite.mjs), over the Worker's HTTP port; then the Worker
// example of bindings-wasm/examples/hono-worker, as its README shows it.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Miniflare } from 'miniflare';
import { workerModules } from '../workerd/modules.mjs';
import { behaviour, call } from './suite.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, '..', '..', '..');
const persist = mkdtempSync(join(tmpdir(), 'session-core-hono-workerd-'));
after(() => rmSync(persist, { recursive: true, force: true }));

/** A workerd running the Worker at `entry`, with Durable Object bindings `objects` ({ NAME: 'Class' }). */
async function startWorkerd(entry, objects) {
  const mf = new Miniflare({
    host: '127.0.0.1',
    port: 0,
    modules: workerModules(entry),
    modulesRoot: repo,
    compatibilityDate: '2025-07-18',
    compatibilityFlags: ['nodejs_compat'],
    durableObjects: objects,
    durableObjectsPersist: join(persist, randomBytes(4).toString('hex')),
  });
  const url = (await mf.ready).href.replace(/\/$/, '');
  return { mf, url };
}

describe('Hono in workerd with session-core-wasm over a Durable Object', () => {
  let worker;
  before(async () => {
    worker = await startWorkerd(join(here, '..', 'workerd', 'worker.mjs'), { SESSIONS: 'SessionStore', GATES: 'Gates' });
  });
  after(async () => {
    await worker?.mf.dispose();
  });

  let apps = 0;
  /** Each test an app of its own, under /t/<app>. */
  async function start() {
    const base = `${worker.url}/t/wd${++apps}x${randomBytes(3).toString('hex')}`;
    const get = async (path) => (await fetch(base + path)).json();
    return {
      url: base,
      close: async () => {},
      calls: () => get('/_calls'),
      peek: (token) => get(`/_peek?token=${token}`),
      errors: () => get('/_errors'),
    };
  }

  // The client's address is CF-Connecting-IP, which miniflare sets as Cloudflare does.
  behaviour(start);
});

describe('the Worker example (bindings-wasm/examples/hono-worker)', () => {
  test('log in, count visits, list devices, log out: in workerd', async () => {
    const { mf, url } = await startWorkerd(join(repo, 'bindings-wasm', 'examples', 'hono-worker', 'worker.mjs'), { SESSIONS: 'SessionStore' });
    try {
      const anon = await call(url, 'GET', '/');
      assert.equal(anon.status, 401);
      const login = await fetch(`${url}/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'cf-connecting-ip': '203.0.113.7' },
        body: JSON.stringify({ user: 'ann' }),
      });
      assert.equal(login.status, 200);
      const cookie = login.headers.getSetCookie()[0].split(';')[0];
      assert.match(cookie, /^session=[A-Za-z0-9]{64}$/);
      assert.deepEqual((await call(url, 'GET', '/', { cookie })).body, { user: 'ann', visits: 1 });
      assert.deepEqual((await call(url, 'GET', '/', { cookie })).body, { user: 'ann', visits: 2 });
      const devices = (await call(url, 'GET', '/devices', { cookie })).body;
      assert.equal(devices.length, 1);
      assert.equal(devices[0].firstIp, '203.0.113.7');
      assert.equal(devices[0].current, true);
      assert.equal((await call(url, 'POST', '/logout', { cookie })).status, 200);
      assert.equal((await call(url, 'GET', '/', { cookie })).status, 401);
    } finally {
      await mf.dispose();
    }
  });
});
