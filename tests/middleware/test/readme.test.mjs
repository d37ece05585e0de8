// The READMEs' middleware examples that tests/docs cannot run as scripts: the complete Express
// app of session-core's README (a server: started here on a spare port, driven over HTTP,
// stopped by pid), and the Worker example's README, which must show the files the workerd
// test runs, verbatim. Every README block that uses Express runs on Express 5 (this folder's
// `express`) and on Express 4 (`express4`, an npm alias of express@4): the middleware supports
// both, and an example must crash on neither (Express 4 does not catch a rejected promise).
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { sparePort, startRedis } from '../../js/redis-server.mjs';
import { blocks, checkHarness, checksRan, isCommonJs, withChecks } from '../../docs/readme-blocks.mjs';

const here = join(dirname(fileURLToPath(import.meta.url)), '..');
const root = join(here, '..', '..');
// Under this folder's node_modules: the block imports express and session-core by name, as an
// app would, and finds this folder's Express (5; the workspace's root may hoist another one).
const work = join(here, 'node_modules', '.cache', 'session-core-middleware-readme');
after(() => rmSync(work, { recursive: true, force: true }));

/** The Express versions the README's blocks run on: the module name a block imports, and the major. */
const EXPRESSES = [
  ['express', 5],
  ['express4', 4],
];

/** `code` with Express imported from `name` (the block imports or requires 'express'). */
function onExpress(code, name) {
  return code.replaceAll("from 'express'", `from '${name}'`).replaceAll("require('express')", `require('${name}')`);
}

const readme = blocks(root, 'bindings-node/README.md');
const usesExpress = (b) => b.lang === 'js' && (b.code.includes("from 'express'") || b.code.includes("require('express')"));

test('the blocks, where they run, find Express 5 as express and Express 4 as express4', () => {
  const fromWork = createRequire(join(work, 'block.mjs'));
  for (const [name, major] of EXPRESSES) {
    assert.equal(Number(fromWork(`${name}/package.json`).version.split('.')[0]), major, name);
  }
});

for (const [name, major] of EXPRESSES) {
  test(`session-core's README: the complete Express app runs as written, on Express ${major}`, async () => {
    const express = readme.find((b) => usesExpress(b) && b.code.includes("from 'session-core/express'") && b.code.includes('app.listen(3000)'));
    assert.ok(express, 'the README has the Express example');
    assert.ok(express.code.split('\n').length <= 20, 'about 15 lines');
    const port = await sparePort();
    mkdirSync(work, { recursive: true });
    const file = join(work, `express-example-${major}.mjs`);
    const code = onExpress(express.code, name).replace('app.listen(3000)', `app.listen(${port}, '127.0.0.1', () => console.log('listening'))`);
    writeFileSync(file, code);
    const child = spawn(process.execPath, [file], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      await Promise.race([
        new Promise((resolve) => child.stdout.on('data', (d) => String(d).includes('listening') && resolve())),
        exited.then((code) => assert.fail(`the example exited (${code}): ${stderr}`)),
      ]);
      const url = `http://127.0.0.1:${port}`;
      const post = (path, body, headers = {}) =>
        fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
      assert.equal((await fetch(url)).status, 401);
      // A user id the core refuses (none): an error answer, and the server lives on.
      const refused = await post('/login', {}).catch((e) => assert.fail(`POST /login without a user: ${e.message}; the example's stderr: ${stderr}`));
      assert.equal(refused.status, 500);
      assert.equal((await fetch(url)).status, 401, 'the server still answers');
      const login = await post('/login', { user: 'ann' });
      assert.deepEqual(await login.json(), { ok: true });
      const cookie = login.headers.getSetCookie()[0].split(';')[0];
      assert.equal(login.headers.get('authorization'), `Bearer ${cookie.slice('session='.length)}`);
      assert.equal(login.headers.get('cache-control'), 'no-store');
      assert.deepEqual(await (await fetch(url, { headers: { cookie } })).json(), { user: 'ann', visits: 1 });
      assert.deepEqual(await (await fetch(url, { headers: { cookie } })).json(), { user: 'ann', visits: 2 });
      assert.deepEqual(await (await post('/logout', {}, { cookie })).json(), { ok: true });
      assert.equal((await fetch(url, { headers: { cookie } })).status, 401);
      assert.equal(child.exitCode, null, `the example is still running: ${stderr}`);
    } finally {
      child.kill('SIGKILL');
      await exited;
    }
  });
}

describe("session-core's README: its other blocks that use Express, on Express 5 and 4", () => {
  let redis = null;
  after(async () => {
    await redis?.close();
  });
  const others = readme.filter((b) => usesExpress(b) && b.notRun === null && !b.code.includes('app.listen(3000)'));

  test('there are such blocks', () => assert.ok(others.length > 0));

  others.forEach((b, i) => {
    for (const [name, major] of EXPRESSES) {
      test(`bindings-node/README.md:${b.line} on Express ${major}`, async () => {
        let source = onExpress(b.code, name);
        if (source.includes('127.0.0.1:6379')) {
          redis ??= await startRedis();
          source = source.replaceAll('127.0.0.1:6379', `127.0.0.1:${redis.port}`);
        }
        const { code, checks } = withChecks({ ...b, code: source });
        const cjs = isCommonJs(code);
        mkdirSync(work, { recursive: true });
        const file = join(work, `block-${i}-express${major}.${cjs ? 'cjs' : 'mjs'}`);
        writeFileSync(file, `${checkHarness(cjs)}\n${code}\n`);
        const r = spawnSync(process.execPath, [file], { cwd: work, encoding: 'utf8', timeout: 60_000 });
        assert.equal(r.status, 0, `${b.file}:${b.line} on Express ${major} failed:\n${r.stdout}${r.stderr}`);
        assert.deepEqual(checksRan(r.stdout).sort(), [...checks].sort(), 'every output comment was checked');
      });
    }
  });
});

test("the Worker example's README shows worker.mjs and wrangler.toml as they are", () => {
  const dir = join(root, 'bindings-wasm', 'examples', 'hono-worker');
  const shown = blocks(root, 'bindings-wasm/examples/hono-worker/README.md');
  for (const [file, lang] of [['worker.mjs', 'js'], ['wrangler.toml', 'toml']]) {
    const source = readFileSync(join(dir, file), 'utf8').trimEnd();
    assert.ok(shown.some((b) => b.lang === lang && b.code.trimEnd() === source), `the README shows ${file} verbatim`);
  }
});
