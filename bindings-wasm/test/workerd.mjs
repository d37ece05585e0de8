// The Worker (worker/index.mjs) in a real workerd through miniflare 3, configured as
// wrangler.toml configures it: shared by the Worker tests and the edge benchmark.
//
// wrangler bundles a Worker, so imports of npm packages (the driver, session-core-driver)
// resolve as Node resolves them. Miniflare does not bundle: it resolves every specifier as a
// path next to the importing file. So the modules are listed here, as wrangler would bundle
// them: the import graph from worker/index.mjs, a package's specifier resolved through
// node_modules (the `workerd`, `worker` or `import` branch of its `exports`) and rewritten to
// the relative path of the file it names.
import { Miniflare } from 'miniflare';
import { readFileSync, realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('..', import.meta.url));
const repo = realpathSync(join(here, '..'));

/** wrangler.toml's Durable Object bindings ({ NAME: 'ClassName' }): the deployed file, tested. */
function durableObjects() {
  const toml = readFileSync(new URL('../worker/wrangler.toml', import.meta.url), 'utf8');
  const pairs = toml.matchAll(/\{\s*name\s*=\s*"(\w+)",\s*class_name\s*=\s*"(\w+)"\s*\}/g);
  return Object.fromEntries([...pairs].map(([, name, cls]) => [name, cls]));
}

/** The file an `exports` entry names for a Worker (conditions workerd, worker, import). */
function exportTarget(entry) {
  if (typeof entry === 'string') return entry;
  for (const condition of ['workerd', 'worker', 'import', 'default']) {
    if (entry?.[condition] !== undefined) return exportTarget(entry[condition]);
  }
  return undefined;
}

/** The file a package specifier (`name` or `name/sub`) names, from the importing file. */
function resolvePackage(spec, from) {
  const parts = spec.split('/');
  const name = spec.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
  const sub = `.${spec.slice(name.length)}`;
  const manifest = createRequire(from).resolve(`${name}/package.json`);
  const { exports } = JSON.parse(readFileSync(manifest, 'utf8'));
  const target = exportTarget(typeof exports === 'string' ? exports : exports?.[sub]);
  if (target === undefined) throw new Error(`${from}: cannot resolve ${spec} for a Worker`);
  return realpathSync(join(dirname(manifest), target));
}

const IMPORT = /\b(?:import|export)\s*(?:[^'";]*?\sfrom\s*)?'([^']+)'/g;

/** The Worker's modules for miniflare: the entry first, then every module it imports. */
function workerModules() {
  const modules = [];
  const seen = new Set();
  const visit = (file) => {
    if (seen.has(file)) return;
    seen.add(file);
    if (file.endsWith('.wasm')) {
      modules.push({ type: 'CompiledWasm', path: file });
      return;
    }
    const imports = [];
    const contents = readFileSync(file, 'utf8').replace(IMPORT, (stmt, spec) => {
      if (/^(node|cloudflare|workerd):/.test(spec)) return stmt;
      const target = spec.startsWith('.') ? resolve(dirname(file), spec) : resolvePackage(spec, file);
      imports.push(target);
      if (spec.startsWith('.')) return stmt;
      let rel = relative(dirname(file), target).split(sep).join('/');
      if (!rel.startsWith('.')) rel = `./${rel}`;
      return stmt.replace(`'${spec}'`, `'${rel}'`);
    });
    modules.push({ type: 'ESModule', path: file, contents });
    for (const target of imports) visit(target);
  };
  visit(join(repo, 'bindings-wasm', 'worker', 'index.mjs'));
  return modules;
}

/** A workerd running the Worker over Durable Object storage in `persist`, with `bindings`. */
export function startWorker({ persist, bindings = {} }) {
  return new Miniflare({
    rootPath: here,
    modules: workerModules(),
    modulesRoot: repo,
    compatibilityDate: '2025-07-18',
    compatibilityFlags: ['nodejs_compat'],
    durableObjects: durableObjects(),
    durableObjectsPersist: persist,
    bindings,
  });
}
