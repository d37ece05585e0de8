// The READMEs' middleware examples that tests/docs cannot run as scripts: the complete Express
// app of session-core's README (a server: started here on a spare port, driven over HTTP,
// stopped by pid), and the Worker example's README, which must show the files the workerd
// test runs, verbatim.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { sparePort } from '../../js/redis-server.mjs';
import { blocks } from '../../docs/readme-blocks.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
// Under node_modules: the block imports express and session-core by name, as an app would.
const work = join(root, 'node_modules', '.cache', 'session-core-middleware-readme');
after(() => rmSync(work, { recursive: true, force: true }));

test("session-core's README: the complete Express app runs as written", async () => {
  const express = blocks(root, 'bindings-node/README.md').find((b) => b.lang === 'js' && b.code.includes("from 'session-core/express'") && b.code.includes('app.listen(3000)'));
  assert.ok(express, 'the README has the Express example');
  assert.ok(express.code.split('\n').length <= 20, 'about 15 lines');
  const port = await sparePort();
  mkdirSync(work, { recursive: true });
  const file = join(work, 'express-example.mjs');
  writeFileSync(file, express.code.replace('app.listen(3000)', `app.listen(${port}, '127.0.0.1', () => console.log('listening'))`));
  const child = spawn(process.execPath, [file], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  try {
    await new Promise((resolve, reject) => {
      child.stdout.on('data', (d) => String(d).includes('listening') && resolve());
      child.on('exit', (code) => reject(new Error(`the example exited (${code}): ${stderr}`)));
    });
    const url = `http://127.0.0.1:${port}`;
    assert.equal((await fetch(url)).status, 401);
    const login = await fetch(`${url}/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user: 'ann' }) });
    assert.deepEqual(await login.json(), { ok: true });
    const cookie = login.headers.getSetCookie()[0].split(';')[0];
    assert.equal(login.headers.get('authorization'), `Bearer ${cookie.slice('session='.length)}`);
    assert.deepEqual(await (await fetch(url, { headers: { cookie } })).json(), { user: 'ann', visits: 1 });
    assert.deepEqual(await (await fetch(url, { headers: { cookie } })).json(), { user: 'ann', visits: 2 });
    assert.deepEqual(await (await fetch(`${url}/logout`, { method: 'POST', headers: { cookie } })).json(), { ok: true });
    assert.equal((await fetch(url, { headers: { cookie } })).status, 401);
  } finally {
    child.kill('SIGKILL');
  }
});

test("the Worker example's README shows worker.mjs and wrangler.toml as they are", () => {
  const dir = join(root, 'bindings-wasm', 'examples', 'hono-worker');
  const shown = blocks(root, 'bindings-wasm/examples/hono-worker/README.md');
  for (const [file, lang] of [['worker.mjs', 'js'], ['wrangler.toml', 'toml']]) {
    const source = readFileSync(join(dir, file), 'utf8').trimEnd();
    assert.ok(shown.some((b) => b.lang === lang && b.code.trimEnd() === source), `the README shows ${file} verbatim`);
  }
});
