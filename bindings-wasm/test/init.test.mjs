// Loading the module yourself: `init(source)` and `initSync(source)` of `session-core-wasm/web`
// (the entry that loads nothing at import), with every kind of source a runtime or a bundler
// hands over (a URL as text or URL, a Response or a Promise of one, the bytes, a compiled
// WebAssembly.Module), and the errors for what is not one, each in a fresh Node process (a
// module loads once per process). The .wasm is served over HTTP from this process, as a web
// server would, through `session-core-wasm/session_core_wasm_bg.wasm` (the exported file).
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { after, before, describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';

const require = createRequire(import.meta.url);
const wasmPath = require.resolve('session-core-wasm/session_core_wasm_bg.wasm');
const webUrl = pathToFileURL(require.resolve('session-core-wasm/web')).href;
let server;
let base;
let served = 0;

before(async () => {
  const bytes = readFileSync(wasmPath);
  server = createServer((req, res) => {
    if (req.url === '/session_core_wasm_bg.wasm') {
      served++;
      res.writeHead(200, { 'content-type': 'application/wasm' });
      res.end(bytes);
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found');
    }
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${server.address().port}`;
});
after(() => server.close());

/**
 * Runs `body` (the text of an async function of `web`, the module, and `url`, the served
 * .wasm) in a fresh process; resolves to what it returned, or `{ threw: {name, message} }`.
 */
function inFreshProcess(body) {
  const script = `
import { readFileSync } from 'node:fs';
const web = await import(${JSON.stringify(webUrl)});
const url = ${JSON.stringify(`${base}/session_core_wasm_bg.wasm`)};
const bytes = readFileSync(${JSON.stringify(wasmPath)});
async function roundTrip() {
  const s = new web.Sessions();
  const { token } = await s.create({ app: 'shop', id: 'ann', ip: '::1', d: { cart: 1 } });
  return (await s.get({ app: 'shop', token })).d;
}
let out;
try {
  out = await (async () => { ${body} })();
} catch (e) {
  out = { threw: { name: e.name, message: e.message, cause: e.cause?.name } };
}
console.log(JSON.stringify(out));
`;
  // Asynchronous: the server answering the child's fetches runs in this process.
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => {
      if (code !== 0) reject(new Error(`the child failed (${code}):\n${stdout}${stderr}`));
      else resolve(JSON.parse(stdout.trim().split('\n').at(-1)));
    });
  });
}

describe('init(source) loads the module from', () => {
  const cases = [
    ['its URL as text', 'await web.init(url); return roundTrip();'],
    ['its URL as a URL', 'await web.init(new URL(url)); return roundTrip();'],
    ['a Response', 'await web.init(await fetch(url)); return roundTrip();'],
    ['a Promise of a Response (init(fetch(url)))', 'await web.init(fetch(url)); return roundTrip();'],
    ['its bytes as a Uint8Array (a Buffer)', 'await web.init(bytes); return roundTrip();'],
    ['its bytes as an ArrayBuffer', 'await web.init(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length)); return roundTrip();'],
    ['a compiled WebAssembly.Module', 'await web.init(await WebAssembly.compile(bytes)); return roundTrip();'],
  ];
  for (const [label, body] of cases) {
    test(label, async () => {
      assert.deepEqual(await inFreshProcess(body), { cart: 1 });
    });
  }
});

describe('initSync(source) loads the module from', () => {
  test('its bytes', async () => {
    assert.deepEqual(await inFreshProcess('web.initSync(bytes); return roundTrip();'), { cart: 1 });
  });
  test('a compiled WebAssembly.Module', async () => {
    assert.deepEqual(await inFreshProcess('web.initSync(new WebAssembly.Module(bytes)); return roundTrip();'), { cart: 1 });
  });
});

describe('before and around init', () => {
  test('nothing is fetched at import, and Sessions says to call init() first', async () => {
    const before = served;
    const out = await inFreshProcess(`
      const errors = [];
      for (const make of [() => new web.Sessions(), () => new web.Sessions({ store: new web.MapStore() })]) {
        try { make(); } catch (e) { errors.push(e.code + ': ' + e.message); }
      }
      return errors;`);
    assert.equal(served, before, 'no request for the .wasm');
    assert.equal(out.length, 2);
    for (const message of out) {
      assert.match(message, /^ERR_SESSION_CORE_WASM_NOT_INITIALISED: session-core-wasm is not initialised: `await init\(\)` \(or call `initSync\(module\)`\) before `new Sessions\(\)`/);
    }
  });

  test('concurrent init() calls share one load; later ones resolve at once', async () => {
    const before = served;
    const out = await inFreshProcess(`
      await Promise.all([web.init(url), web.init(url), web.init(url)]);
      await web.init(url);
      web.initSync(bytes);
      return roundTrip();`);
    assert.deepEqual(out, { cart: 1 });
    assert.equal(served - before, 1, 'the .wasm was fetched once');
  });

  test('a failed load can be tried again', async () => {
    const out = await inFreshProcess(`
      const first = await web.init(url + '.missing').then(() => 'loaded', (e) => e.message);
      await web.init(url);
      return [first, await roundTrip()];`);
    assert.deepEqual(out[1], { cart: 1 });
    assert.match(out[0], /answered 404 Not Found$/);
  });
});

describe('what init() refuses, with errors that say what it takes', () => {
  test('a value of another kind: TypeError', async () => {
    for (const [arg, got] of [['42', 'number 42'], ['{}', 'Object'], ['null', 'null'], ['true', 'boolean true']]) {
      const out = await inFreshProcess(`return web.init(${arg});`);
      assert.equal(out.threw.name, 'TypeError', arg);
      assert.equal(
        out.threw.message,
        'init() takes the .wasm as a WebAssembly.Module, its bytes (an ArrayBuffer or a typed array), a Response, ' +
          `or its URL (a string or a URL), or nothing (the .wasm next to the package); got ${got}`,
      );
    }
    const sync = await inFreshProcess("web.initSync('module.wasm');");
    assert.deepEqual(sync.threw, {
      name: 'TypeError',
      message: 'initSync() takes the .wasm as a WebAssembly.Module or its bytes (an ArrayBuffer or a typed array); got string module.wasm',
    });
  });

  test('a URL that answers an error status: the URL and the status', async () => {
    const out = await inFreshProcess("return web.init(url.replace('session_core_wasm_bg', 'nope'));");
    assert.deepEqual(out.threw, {
      name: 'Error',
      message: `session-core-wasm: fetching the .wasm from ${base}/nope.wasm answered 404 Not Found`,
    });
  });

  test('a URL nobody answers: the URL and why', async () => {
    const out = await inFreshProcess("return web.init('http://127.0.0.1:9/session_core_wasm_bg.wasm');");
    assert.equal(out.threw.name, 'Error');
    assert.match(out.threw.message, /^session-core-wasm: could not fetch the \.wasm from http:\/\/127\.0\.0\.1:9\/session_core_wasm_bg\.wasm: /);
  });

  test('bytes that are not the module: the compile error, as the cause', async () => {
    const out = await inFreshProcess('return web.init(new Uint8Array([0, 97, 115, 109, 9, 9, 9, 9]));');
    assert.equal(out.threw.name, 'Error');
    assert.match(out.threw.message, /^session-core-wasm: the \.wasm did not load: /);
    assert.equal(out.threw.cause, 'CompileError');
  });
});

test('in Node (index.mjs, index.cjs) the module is loaded at import: init() and initSync() do nothing', async () => {
  const esm = await import('session-core-wasm');
  const cjs = require('session-core-wasm');
  for (const m of [esm, cjs]) {
    assert.equal(await m.init(), undefined);
    assert.equal(m.initSync(), undefined);
    const { token } = await new m.Sessions().create({ app: 'shop', id: 'x', ip: '::1' });
    assert.match(token, /^[A-Za-z0-9]{64}$/);
  }
  assert.equal(spawnSync(process.execPath, ['-e', 'require("session-core-wasm")']).status, 0);
});
