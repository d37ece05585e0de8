// session-core-wasm in a real browser: headless Chromium (from apt: .ci/run installs it),
// driven by playwright-core pointed at that executable.
//
// 1. The page of the README ("In a browser"), as written there, bundled by esbuild with the
//    options its comment gives: no alias, no polyfill, no define, nothing external; the .wasm
//    goes through esbuild's `file` loader (`session-core-wasm/session_core_wasm_bg.wasm`) and
//    reaches `init()` as a URL. The bundle must not name a node: module.
// 2. The package served as files, with no bundler: an import map names the two packages, and
//    `init()` with no argument fetches the .wasm next to the package.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { extname, join, normalize } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { chromium } from 'playwright-core';
import { blocks } from '../../tests/docs/readme-blocks.mjs';

const here = fileURLToPath(new URL('..', import.meta.url));
const repo = join(here, '..');

/** The browser: CHROMIUM (a path), or Debian's chromium or chromium-headless-shell. */
function chromiumPath() {
  const candidates = [process.env.CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-headless-shell'].filter(Boolean);
  const found = candidates.find((p) => existsSync(p));
  assert.ok(found, `no Chromium at ${candidates.join(', ')}: install it (apt-get install chromium; .ci/run does) or set CHROMIUM`);
  return found;
}

const TYPES = { '.html': 'text/html', '.js': 'text/javascript', '.mjs': 'text/javascript', '.wasm': 'application/wasm', '.map': 'application/json' };

/** A static file server for `root` on a spare port; `{ url, requests, close }`. */
async function serve(root, extra = {}) {
  const requests = [];
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    if (path === '/favicon.ico') {
      res.writeHead(204);
      res.end();
      return;
    }
    requests.push(path);
    if (extra[path] !== undefined) {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(extra[path]);
      return;
    }
    const file = normalize(join(root, path));
    if (!file.startsWith(root) || !existsSync(file)) {
      res.writeHead(404);
      res.end();
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' });
    res.end(readFileSync(file));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${server.address().port}`, requests, close: () => new Promise((r) => server.close(r)) };
}

let browser;
const temps = [];
before(async () => {
  browser = await chromium.launch({ executablePath: chromiumPath(), headless: true });
});
after(async () => {
  await browser?.close();
  for (const t of temps) rmSync(t, { recursive: true, force: true });
});

/** Opens `url`; resolves to the body's text once the page wrote it, with the page's errors. */
async function run(url) {
  const page = await browser.newPage();
  const errors = [];
  const logs = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => (m.type() === 'error' ? errors : logs).push(m.text()));
  try {
    await page.goto(url);
    await page.waitForFunction(() => document.body.textContent !== '' || window.__failed, null, { timeout: 30_000 }).catch(() => {});
    return { text: await page.evaluate(() => document.body.textContent), errors, logs };
  } finally {
    await page.close();
  }
}

/** The README's browser page: the JS block that imports the .wasm through the package. */
function readmePage() {
  const found = blocks(repo, 'bindings-wasm/README.md').filter((b) => b.lang === 'js' && b.code.includes("from 'session-core-wasm/session_core_wasm_bg.wasm'"));
  assert.equal(found.length, 1, "bindings-wasm/README.md has one page that imports 'session-core-wasm/session_core_wasm_bg.wasm'");
  return found[0];
}

test("the README's page, bundled by esbuild with no alias, runs in Chromium", async () => {
  const block = readmePage();
  // The esbuild command its first comment gives, as the API takes it.
  const command = /esbuild page\.js --bundle --format=esm --loader:\.wasm=file --outdir=dist/.exec(block.code);
  assert.ok(command, `the page says how it is bundled:\n${block.code}`);
  const dir = mkdtempSync(join(here, 'node_modules', '.cache-browser-')); // inside the package, so that it resolves session-core-wasm
  temps.push(dir);
  writeFileSync(join(dir, 'page.js'), block.code);
  const result = await build({
    entryPoints: [join(dir, 'page.js')],
    bundle: true,
    format: 'esm',
    loader: { '.wasm': 'file' },
    outdir: join(dir, 'dist'),
    metafile: true,
    logLevel: 'silent',
  });
  const bundle = readFileSync(join(dir, 'dist', 'page.js'), 'utf8');
  assert.doesNotMatch(bundle, /["']node:/, 'the bundle names no node: module');
  const inputs = Object.keys(result.metafile.inputs);
  assert.ok(inputs.some((f) => f.endsWith('driver/src/emitter.mjs')), `the driver's Emitter is bundled: ${inputs.join(', ')}`);
  const wasm = Object.keys(result.metafile.outputs).filter((f) => f.endsWith('.wasm'));
  assert.equal(wasm.length, 1, 'esbuild copied the .wasm next to the bundle');

  const server = await serve(join(dir, 'dist'), { '/': '<!doctype html><body><script type="module" src="/page.js"></script></body>' });
  try {
    const { text, errors, logs } = await run(`${server.url}/`);
    assert.deepEqual(errors, []);
    assert.equal(text, '{"cart":2}', "the page's output comment");
    assert.ok(logs.some((l) => /^created [A-Za-z0-9_-]{22}$/.test(l)), `the 'created' event: ${logs}`);
    assert.ok(server.requests.some((p) => /^\/session_core_wasm_bg-[A-Z0-9]+\.wasm$/.test(p)), `the .wasm was fetched: ${server.requests}`);
  } finally {
    await server.close();
  }
});

test('the package served as files: an import map, and init() fetches the .wasm next to the package', async () => {
  const page = `<!doctype html><body><script type="importmap">
{ "imports": {
  "session-core-wasm/web": "/node_modules/session-core-wasm/web.mjs",
  "session-core-driver": "/node_modules/session-core-driver/src/index.mjs"
} }
</script>
<script type="module">
import { init, Sessions } from 'session-core-wasm/web';
try {
  await init();
  const sessions = new Sessions();
  const { token } = await sessions.create({ app: 'shop', id: 'u1', ip: '::1', d: { theme: 'dark' } });
  document.body.textContent = JSON.stringify((await sessions.get({ app: 'shop', token })).d);
} catch (e) {
  window.__failed = true;
  console.error(String(e));
}
</script></body>`;
  // The repository's node_modules holds the workspace links to both packages.
  const server = await serve(normalize(repo), { '/': page });
  try {
    const { text, errors } = await run(`${server.url}/`);
    assert.deepEqual(errors, []);
    assert.equal(text, '{"theme":"dark"}');
    assert.ok(server.requests.includes('/node_modules/session-core-wasm/pkg/session_core_wasm_bg.wasm'), `${server.requests}`);
  } finally {
    await server.close();
  }
});
