// Helpers of the packaging tests (pack.test.mjs, worker-project.test.mjs): the packages packed
// as `npm pack` packs them, installed from the tarballs in a fresh folder outside the
// repository, their dependencies from the workspace's own installed copies (registry.mjs: no
// network, no npm cache but an empty one of the test's), and the README blocks those tests run
// from there.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { blocks, checkHarness, checksRan, isCommonJs, withChecks } from './readme-blocks.mjs';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Runs `cmd args` in `cwd`; its stdout, or a failed assertion with all of its output. */
export function sh(cmd, args, cwd, opts = {}) {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', timeout: 180_000, ...opts });
  assert.equal(r.status, 0, `${cmd} ${args.join(' ')} (in ${cwd}) failed:\n${r.stdout}${r.stderr}`);
  return r.stdout;
}

/** `npm pack` of each package folder into `dir`: `{ folder: { file, files, size, unpackedSize } }`. */
export function pack(folders, dir) {
  const out = {};
  for (const folder of folders) {
    const [info] = JSON.parse(sh('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], join(root, folder)));
    out[folder] = { file: join(dir, info.filename), files: info.files.map((f) => f.path), size: info.size, unpackedSize: info.unpackedSize };
  }
  return out;
}

/**
 * A fresh app folder `dir/name` with the tarballs installed, their dependencies from
 * `registry` (see registry.mjs), with an npm cache of its own that starts empty.
 */
export function installApp(dir, name, tarballs, registry) {
  const app = join(dir, name);
  mkdirSync(app);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name, private: true, type: 'module' }));
  sh('npm', ['install', '--ignore-scripts', ...tarballs], app, { env: registry.env(mkdtempSync(join(dir, 'npm-cache-'))) });
  return app;
}

/** The first JavaScript block of `readme` that imports `pkg` by name: its quick start. */
export function quickStart(readme, pkg) {
  const found = blocks(root, readme).find((b) => b.lang === 'js' && b.code.includes(`from '${pkg}'`) && b.notRun === null);
  assert.ok(found, `${readme} has a quick start that imports ${pkg}`);
  return found;
}

/**
 * The same program as CommonJS: each `import { a, b } from 'x'` a `require`, and the rest in
 * an async function (for its top-level awaits).
 */
export function asCommonJs(code) {
  const imports = [];
  const body = code.replace(/^import \{([^}]+)\} from '([^']+)';(?:\s*\/\/.*)?$/gm, (m, names, spec) => {
    imports.push(`const {${names}} = require('${spec}');`);
    return '';
  });
  assert.doesNotMatch(body, /^\s*(import|export)\b/m, 'the quick start has only named imports');
  return `${imports.join('\n')}\n(async () => {\n${body}\n})().catch((e) => { console.error(e); process.exit(1); });\n`;
}

/**
 * Runs a README block in `cwd` as a user would paste it (ES module, or CommonJS with
 * `commonJs`), its output comments checked; resolves to the number of checks that ran.
 */
export function runBlock(block, cwd, { commonJs = false, name = 'block' } = {}) {
  const { code, checks } = withChecks(block);
  const cjs = commonJs || isCommonJs(code);
  const harness = checkHarness(cjs);
  const source = commonJs ? asCommonJs(code) : code;
  const file = join(cwd, `${name}.${cjs ? 'cjs' : 'mjs'}`);
  writeFileSync(file, `${harness}\n${source}\n`);
  const r = spawnSync(process.execPath, [file], { cwd, encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, `${block.file}:${block.line} (${cjs ? 'CommonJS' : 'ES module'}, in ${cwd}) failed:\n${r.stdout}${r.stderr}\n--- as run:\n${source}`);
  const ran = checksRan(r.stdout);
  assert.deepEqual([...ran].sort(), [...checks].sort(), `${block.file}:${block.line}: every output comment was checked`);
  return ran.length;
}
