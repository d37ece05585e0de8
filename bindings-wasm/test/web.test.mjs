// The browser entry (web.mjs) and the CommonJS entry (index.cjs), each with the module loaded
// the way it loads it: web.mjs with `init()` and no argument fetches the .wasm next to the
// package (here fetch() is given file: URLs, which a browser would get over HTTP; init.test.mjs
// has every other source), index.cjs reads it with wasm-bindgen's nodejs glue.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const fetched = [];
const realFetch = globalThis.fetch;
globalThis.fetch = async (url, init) => {
  const u = new URL(url);
  if (u.protocol !== 'file:') return realFetch(url, init);
  fetched.push(u.pathname.split('/').slice(-2).join('/'));
  return new Response(readFileSync(fileURLToPath(u)), { headers: { 'content-type': 'application/wasm' } });
};

async function roundTrip(Sessions) {
  const sessions = new Sessions();
  const created = [];
  sessions.on('created', (e) => created.push(e.id));
  const { token } = await sessions.create({ app: 'shop', id: 'ann', ip: '::1', d: { cart: 1 } });
  await sessions.set({ app: 'shop', token, d: { cart: null, theme: 'dark' } });
  const s = await sessions.get({ app: 'shop', token });
  assert.deepEqual([s.id, s.r, s.w, s.d], ['ann', 1, 2, { theme: 'dark' }]);
  assert.deepEqual(created, ['ann']);
  const err = await sessions.get({ app: 'shop' }).catch((e) => e);
  assert.deepEqual([err.name, err.field, err.message], ['missingParameter', 'token', 'No token supplied']);
}

test('web.mjs loads nothing at import; init() fetches the .wasm next to the package', async () => {
  const web = await import('../web.mjs');
  assert.deepEqual(fetched, []);
  await web.init();
  assert.deepEqual(fetched, ['pkg/session_core_wasm_bg.wasm']);
  await roundTrip(web.Sessions);
  assert.equal(web.default, web.Sessions);
});

test('require() gives the API of the ES entry, on the same engine', async () => {
  const require = createRequire(import.meta.url);
  const cjs = require('session-core-wasm');
  const esm = await import('session-core-wasm');
  assert.deepEqual(Object.keys(cjs).sort(), Object.keys(esm).sort());
  await roundTrip(cjs.Sessions);
  assert.equal(cjs.default, cjs.Sessions);
  // Each entry point has its own instance of the module, with its own memory store.
  const fromEsm = await new esm.Sessions().create({ app: 'shop', id: 'x', ip: '::1' });
  assert.deepEqual(await new cjs.Sessions().get({ app: 'shop', token: fromEsm.token }), null);
  const dts = readFileSync(new URL('../index.d.cts', import.meta.url), 'utf8');
  for (const name of Object.keys(cjs)) if (name !== 'default') assert.match(dts, new RegExp(`\\b${name}\\b`), name);
});

test("Sessions extends the driver's Emitter on the web entry, node:events' EventEmitter on the Node entries", async () => {
  const { EventEmitter } = await import('node:events');
  const { Emitter } = await import('session-core-driver');
  const web = await import('../web.mjs');
  const esm = await import('session-core-wasm');
  const cjs = createRequire(import.meta.url)('session-core-wasm');
  assert.equal(Object.getPrototypeOf(web.Sessions), Emitter);
  assert.ok(!(new web.Sessions() instanceof EventEmitter));
  for (const m of [esm, cjs]) assert.ok(new m.Sessions() instanceof EventEmitter);
});
