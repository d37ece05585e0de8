// No build writes over a hand-written declaration file. The packages' TypeScript declarations
// are written by hand and tracked in git; `napi build` generates declarations of the addon's
// raw classes, by default to index.d.ts (once it overwrote the package's own index.d.ts, and
// ES-module users lost every type). So: every `types` file of the `exports` maps is tracked
// (in session-core, session-core-wasm and the shared driver, session-core-driver), and
// `napi build` run the way the package's build script runs it, and the way a user runs it by
// hand (plain `napi build --release`), writes only files that are not tracked and that git
// ignores.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const node = join(root, 'bindings-node');

function git(args, cwd = root) {
  const r = spawnSync('git', args, { cwd, encoding: 'utf8' });
  return { status: r.status, out: r.stdout.trim() };
}

const tracked = (file) => git(['ls-files', '--error-unmatch', file]).status === 0;
const ignored = (file) => git(['check-ignore', '-q', '--no-index', file]).status === 0;

/** Every `types` path in a package.json (top level and anywhere in `exports`). */
function typesFiles(pkgDir) {
  const pkg = JSON.parse(readFileSync(join(root, pkgDir, 'package.json'), 'utf8'));
  const out = new Set(pkg.types ? [pkg.types] : []);
  const walk = (v) => {
    if (v === null || typeof v !== 'object') return;
    for (const [k, x] of Object.entries(v)) {
      if (k === 'types' && typeof x === 'string') out.add(x);
      else walk(x);
    }
  };
  walk(pkg.exports);
  return [...out].map((f) => f.replace(/^\.\//, ''));
}

test('every declaration file of session-core is hand-written: tracked, not ignored', () => {
  const files = typesFiles('bindings-node');
  assert.ok(files.includes('index.d.mts') && files.includes('index.d.cts'), files.join(', '));
  for (const f of files) {
    assert.ok(tracked(`bindings-node/${f}`), `bindings-node/${f} is tracked in git`);
    assert.ok(!ignored(`bindings-node/${f}`), `bindings-node/${f} is not ignored by git`);
  }
});

test('every declaration file of session-core-wasm, session-core-driver and session-core-postgres is hand-written', () => {
  // The shared driver's declarations live in its own package; the `driver` entry points of
  // both packages re-export them (nothing is copied at build time).
  for (const pkg of ['bindings-wasm', 'driver', 'stores/postgres']) {
    for (const f of typesFiles(pkg)) {
      assert.ok(tracked(`${pkg}/${f}`), `${pkg}/${f} is tracked in git`);
      assert.ok(!ignored(`${pkg}/${f}`), `${pkg}/${f} is not ignored by git`);
    }
  }
});

test('no tracked file of a package is a build output (ignored by git)', () => {
  for (const dir of ['bindings-node', 'bindings-wasm', 'driver', 'stores/postgres']) {
    assert.equal(git(['ls-files', '--cached', '--ignored', '--exclude-standard', dir]).out, '', dir);
  }
});

/** The arguments of `napi build` in the package's build script. */
function napiBuildArgs() {
  const { scripts } = JSON.parse(readFileSync(join(node, 'package.json'), 'utf8'));
  const m = /napi build((?: [^&|;]+)?)/.exec(scripts.build);
  assert.ok(m, `bindings-node's build script runs napi build: ${scripts.build}`);
  const args = m[1].trim().split(/\s+/).filter(Boolean);
  assert.ok(!args.includes('--output-dir') && !args.includes('-o'), 'the test sets the output dir itself');
  return args;
}

const temps = [];
after(() => {
  for (const t of temps) rmSync(t, { recursive: true, force: true });
});

/** Runs `napi build ARGS --output-dir TMP`; returns the files it wrote there. */
function napiBuild(args) {
  const out = mkdtempSync(join(tmpdir(), 'session-core-napi-'));
  temps.push(out);
  const napi = join(root, 'node_modules', '.bin', 'napi');
  assert.ok(existsSync(napi), 'the napi CLI is installed (npm install)');
  const r = spawnSync(napi, ['build', ...args, '--output-dir', out], { cwd: node, encoding: 'utf8' });
  assert.equal(r.status, 0, `napi build ${args.join(' ')} failed:\n${r.stdout}${r.stderr}`);
  const files = readdirSync(out, { recursive: true }).filter((f) => !f.startsWith('.napi'));
  assert.ok(files.includes('session-core.node'), `the addon was written: ${files.join(', ')}`);
  return files;
}

for (const [label, args] of [
  ["as the package's build script runs it", napiBuildArgs()],
  ['as a user runs it by hand (`napi build --release`)', ['--release']],
]) {
  test(`napi build ${label} writes no hand-written file`, () => {
    const files = napiBuild(args);
    for (const f of files) {
      assert.ok(!tracked(`bindings-node/${f}`), `napi build ${args.join(' ')} writes bindings-node/${f}, a tracked file`);
      assert.ok(ignored(`bindings-node/${f}`), `bindings-node/${f}, which napi build writes, is ignored by git`);
    }
  });
}
