// `npm run build` of session-core-wasm: the .wasm and its JS glue, from source, on a fresh
// machine. Installs what is missing (the wasm32 target through rustup; wasm-bindgen-cli, at
// exactly the wasm-bindgen version of Cargo.lock, under target/tools), then:
//
//   cargo build --target wasm32-unknown-unknown --profile wasm -p session-core-wasm
//   wasm-bindgen --target web           -> pkg/session_core_wasm.js + pkg/session_core_wasm_bg.wasm
//   wasm-bindgen --target nodejs        -> pkg/session_core_wasm.cjs (the same .wasm)
//   wasm-opt -Oz (npm package binaryen) -> pkg/session_core_wasm_bg.wasm, in place
//
// and checks that the module imports nothing but wasm-bindgen's glue (no `env`), writes the
// CommonJS twins of the package's own ES modules, and prints the .wasm's size raw and gzipped.
// (The JS driver is the package session-core-driver, a dependency: nothing is copied.)
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { writeCjs } from '../../scripts/cjs.mjs';
import { BINDGEN_FLAGS } from './bindgen.mjs';

const here = join(dirname(fileURLToPath(import.meta.url)), '..');
const root = join(here, '..');
const TARGET = 'wasm32-unknown-unknown';
const targetDir = process.env.CARGO_TARGET_DIR ?? join(root, 'target');
const tools = join(targetDir, 'tools');

function run(cmd, args, opts = {}) {
  console.log(`$ ${cmd} ${args.join(' ')}`);
  const r = spawnSync(cmd, args, { stdio: 'inherit', cwd: root, ...opts });
  if (r.status !== 0) {
    console.error(`${cmd} failed (exit ${r.status ?? r.signal})`);
    process.exit(r.status || 1);
  }
}

function output(cmd, args) {
  const r = spawnSync(cmd, args, { cwd: root, encoding: 'utf8' });
  return r.status === 0 ? r.stdout : null;
}

// 1. The wasm32 target.
const installed = output('rustup', ['target', 'list', '--installed']);
if (installed !== null && !installed.split('\n').includes(TARGET)) run('rustup', ['target', 'add', TARGET]);

// 2. wasm-bindgen-cli at the version of the wasm-bindgen crate in Cargo.lock (they must match).
const lock = readFileSync(join(root, 'Cargo.lock'), 'utf8');
const version = /\[\[package\]\]\nname = "wasm-bindgen"\nversion = "([^"]+)"/.exec(lock)?.[1];
if (!version) throw new Error('wasm-bindgen is not in Cargo.lock');
const bindgen = join(tools, 'bin', 'wasm-bindgen');
if (!(output(bindgen, ['--version']) ?? '').includes(version)) {
  // No --locked: the registry mirror lacks some of the CLI's pinned dependencies.
  run('cargo', ['install', 'wasm-bindgen-cli', '--version', version, '--root', tools, '--force']);
}

// 3. The module.
run('cargo', ['build', '--target', TARGET, '--profile', 'wasm', '-p', 'session-core-wasm']);
const raw = join(targetDir, TARGET, 'wasm', 'session_core_wasm.wasm');

// 4. The glue (ES module; `initSync({module})` for Node, Workers and Deno, `init()` for
// browsers), and its CommonJS twin for `require()` (wasm-bindgen's nodejs target: it reads
// session_core_wasm_bg.wasm next to itself; both glues drive the same .wasm).
const pkg = join(here, 'pkg');
rmSync(pkg, { recursive: true, force: true });
mkdirSync(pkg);
run(bindgen, ['--target', 'web', ...BINDGEN_FLAGS, '--out-dir', pkg, '--out-name', 'session_core_wasm', raw]);
const wasm = join(pkg, 'session_core_wasm_bg.wasm');
const cjsGlue = join(pkg, 'cjs');
run(bindgen, ['--target', 'nodejs', ...BINDGEN_FLAGS, '--out-dir', cjsGlue, '--out-name', 'session_core_wasm', raw]);
if (!readFileSync(join(cjsGlue, 'session_core_wasm_bg.wasm')).equals(readFileSync(wasm))) {
  console.error('the nodejs and web targets of wasm-bindgen made different .wasm files');
  process.exit(1);
}
copyFileSync(join(cjsGlue, 'session_core_wasm.js'), join(pkg, 'session_core_wasm.cjs'));
rmSync(cjsGlue, { recursive: true });

// 5. wasm-opt (binaryen's npm package: wasm-opt compiled to JS, no download). The features are
// the ones rustc enables by default on this target; wasm-opt must not add others.
const features = [
  '--enable-bulk-memory',
  '--enable-mutable-globals',
  '--enable-nontrapping-float-to-int',
  '--enable-sign-ext',
  '--enable-reference-types',
  '--enable-multivalue',
];
const before = statSync(wasm).size;
const wasmOpt = join(dirname(createRequire(import.meta.url).resolve('binaryen/package.json')), 'bin', 'wasm-opt');
run(process.execPath, [wasmOpt, '-Oz', '--strip-debug', '--strip-producers', ...features, wasm, '-o', wasm]);

// 6. No `env` imports: the module must instantiate with nothing but its own glue.
const bytes = readFileSync(wasm);
const imports = WebAssembly.Module.imports(new WebAssembly.Module(bytes));
const foreign = imports.filter((i) => i.module !== './session_core_wasm_bg.js' && i.module !== 'wbg');
if (foreign.length > 0) {
  console.error('the .wasm imports outside its glue:', foreign);
  process.exit(1);
}

// 7. The CommonJS twins of the ES modules that index.cjs requires.
for (const f of ['backend', 'durable-object-store']) writeCjs(join(here, `${f}.mjs`), join(here, `${f}.cjs`));

// 8. The Worker's /openapi.json: the core's document (core/src/rest/openapi.json, the one the
// REST server serves), titled for the Worker.
const openapi = JSON.parse(readFileSync(join(root, 'core', 'src', 'rest', 'openapi.json'), 'utf8'));
openapi.info.title = 'session-core Worker';
openapi.info.description += ' Served by the Cloudflare Worker: one Durable Object per app, swept by alarms.';
writeFileSync(
  join(here, 'worker', 'openapi.mjs'),
  '// Generated by scripts/build.mjs from core/src/rest/openapi.json.\n' +
    `export const openapi = ${JSON.stringify(openapi)};\n`,
);

const size = bytes.length;
const gz = gzipSync(bytes, { level: 9 }).length;
const sizes = { raw: size, gzip: gz, beforeWasmOpt: before, imports: [...new Set(imports.map((i) => i.module))] };
writeFileSync(join(pkg, 'size.json'), `${JSON.stringify(sizes, null, 2)}\n`);
console.log(`session_core_wasm_bg.wasm: ${(size / 1024).toFixed(1)} KiB raw, ${(gz / 1024).toFixed(1)} KiB gzipped ` +
  `(${(before / 1024).toFixed(1)} KiB before wasm-opt); imports from ${sizes.imports.join(', ')}`);
