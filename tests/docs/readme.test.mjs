// Every JavaScript block of every README runs, as a user would paste it: an ES module (or a
// CommonJS one when it uses require), importing the packages by name, in a folder of this
// repository (so that `session-core` and `session-core-wasm` resolve to the workspace links).
// Blocks that need Redis (they name 127.0.0.1:6379 or port 6379) run against a test
// redis-server on a spare port instead (127.0.0.1:7000 to 7002: a test Redis Cluster's 3
// masters), and blocks that need PostgreSQL (they name
// 127.0.0.1:5432) against a test PostgreSQL. Output comments are checked (see readme-blocks.mjs),
// and every check must have run. A block marked `<!-- not run: reason -->` is counted and
// listed; Rust blocks are doc tests of their crates (checked below), and the server README's
// shell session has its own test (server-readme.test.mjs).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startPostgres } from '../js/postgres-server.mjs';
import { startRedis, startRedisCluster } from '../js/redis-server.mjs';
import { blocks, checkHarness, checksRan, isCommonJs, JS_LANGS, readmes, withChecks } from './readme-blocks.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
// Under node_modules (ignored by git): module resolution walks up to the workspace links.
const work = join(root, 'node_modules', '.cache', 'session-core-readme-blocks');

const files = readmes(root);
const all = files.flatMap((f) => blocks(root, f));
const js = all.filter((b) => JS_LANGS.has(b.lang));
const runnable = js.filter((b) => b.notRun === null);
const notRun = js.filter((b) => b.notRun !== null);

let redis = null;
let cluster = null;
let postgres = null;
before(() => {
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
});
after(async () => {
  await redis?.close();
  await cluster?.close();
  await postgres?.close();
  rmSync(work, { recursive: true, force: true });
});

test('the READMEs and their blocks', (t) => {
  for (const f of ['README.md', 'bindings-node/README.md', 'bindings-wasm/README.md', 'driver/README.md', 'stores/postgres/README.md', 'redis-store/README.md', 'server/README.md', 'tests/vectors/README.md']) {
    assert.ok(files.includes(f), `${f} is found`);
  }
  t.diagnostic(`${js.length} JavaScript blocks in ${files.length} READMEs: ${runnable.length} run, ${notRun.length} marked not run`);
  for (const b of notRun) t.diagnostic(`not run: ${b.file}:${b.line}: ${b.notRun}`);
  assert.ok(runnable.length >= 10, `the READMEs' JavaScript blocks are found (${runnable.length})`);
  for (const b of notRun) assert.ok(b.notRun.length > 0, `${b.file}:${b.line} says why it is not run`);
  for (const b of all.filter((b) => b.prelude !== null)) {
    assert.ok(JS_LANGS.has(b.lang), `${b.file}:${b.line}: a "run with" marker before a ${b.lang} block`);
  }
});

test('every README with Rust blocks is a doc test of a crate', () => {
  const rustReadmes = new Set(all.filter((b) => b.lang === 'rust' || b.lang.startsWith('rust')).map((b) => b.file));
  assert.ok(rustReadmes.size > 0);
  for (const file of rustReadmes) {
    // A crate's lib.rs includes it as a doc comment compiled only for doc tests.
    const found = spawnSync('git', ['grep', '-l', '-F', `README.md")]`, '--', '*/src/lib.rs'], { cwd: root, encoding: 'utf8' })
      .stdout.split('\n')
      .filter(Boolean)
      .filter((lib) => {
        const src = readFileSync(join(root, lib), 'utf8');
        const m = [...src.matchAll(/#\[doc = include_str!\("([^"]+)"\)\]\s*#\[cfg\(doctest\)\]/g)];
        return m.some(([, rel]) => join(dirname(join(root, lib)), rel) === join(root, file));
      });
    assert.ok(found.length > 0, `${file} has Rust blocks: some crate's lib.rs must doc-test it (#[doc = include_str!(...)] #[cfg(doctest)])`);
  }
});

/** Runs one block; resolves to nothing, or throws with the block's output. */
async function run(b, index) {
  assert.ok(b.lang !== 'ts' && b.lang !== 'typescript', `${b.file}:${b.line}: TypeScript blocks are not run yet; mark it <!-- not run: ... -->`);
  let source = (b.prelude ? `${b.prelude}\n` : '') + b.code;
  if (/127\.0\.0\.1:6379|port: 6379\b/.test(source)) {
    redis ??= await startRedis();
    source = source.replaceAll('127.0.0.1:6379', `127.0.0.1:${redis.port}`).replaceAll(/port: 6379\b/g, `port: ${redis.port}`);
  }
  // A Redis Cluster's nodes at 7000, 7001 and 7002: a test cluster's 3 masters instead.
  if (/127\.0\.0\.1:700[0-2]\b|port: 700[0-2]\b/.test(source)) {
    cluster ??= await startRedisCluster(3);
    const port = (p) => cluster.nodes[Number(p) - 7000].port;
    source = source.replace(/(127\.0\.0\.1:|port: )(700[0-2])\b/g, (_, before, p) => `${before}${port(p)}`);
  }
  if (source.includes('127.0.0.1:5432')) {
    postgres ??= await startPostgres();
    source = source.replaceAll('127.0.0.1:5432', `127.0.0.1:${postgres.port}`);
  }
  const { code, checks } = withChecks({ ...b, code: source, line: b.line - (b.prelude ? 1 : 0) });
  const cjs = isCommonJs(code);
  const harness = checkHarness(cjs);
  const file = join(work, `block-${index}.${cjs ? 'cjs' : 'mjs'}`);
  // The harness shares the first line, so that line numbers in errors are the block's.
  writeFileSync(file, `${harness}\n${code}\n`);
  const r = spawnSync(process.execPath, [file], { cwd: work, encoding: 'utf8', timeout: 60_000 });
  const out = `${r.stdout}${r.stderr}`;
  assert.equal(r.status, 0, `${b.file}:${b.line} (${cjs ? 'CommonJS' : 'ES module'}) failed${r.signal ? ` (${r.signal})` : ''}:\n${out}\n--- as run:\n${code}`);
  const ran = checksRan(r.stdout);
  assert.deepEqual([...ran].sort(), [...checks].sort(), `${b.file}:${b.line}: every output comment was checked`);
  return checks.length;
}

let checked = 0;
runnable.forEach((b, i) => {
  test(`${b.file}:${b.line} runs${b.prelude ? ' (with its "run with" line)' : ''}`, async () => {
    checked += await run(b, i);
  });
});

test('output comments were checked', (t) => {
  t.diagnostic(`${checked} output comments checked`);
  assert.ok(checked >= 5, `checks of output comments ran (${checked})`);
});
