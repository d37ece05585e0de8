// The Worker in a real workerd through miniflare 3, configured as wrangler.toml configures it:
// the Worker project of worker/template (the one the README tells users to copy, whose
// src/index.js re-exports `session-core-wasm/worker`), with its Durable Object bindings,
// SQLite-backed as its migrations declare them. Shared by the Worker tests and the edge
// benchmark.
//
// wrangler bundles a Worker, so imports of npm packages (session-core-wasm itself, the driver
// session-core-driver) resolve as Node resolves them. Miniflare does not bundle: it resolves
// every specifier as a path next to the importing file. So the modules are listed here, as
// wrangler would bundle them: the import graph from the template's entry, a package's
// specifier resolved through node_modules (the `workerd`, `worker` or `import` branch of its
// `exports`) and rewritten to the relative path of the file it names. (tests/docs/pack.test.mjs
// runs the same project bundled by wrangler itself, from the packed tarball.)
import { Miniflare } from 'miniflare';
import { readFileSync, realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('..', import.meta.url));
const repo = realpathSync(join(here, '..'));
const project = join(here, 'worker', 'template');

/**
 * What miniflare needs of a wrangler.toml (the deployed file, tested): `main`,
 * `compatibility_date`, `compatibility_flags`, `[vars]`, the Durable Object bindings
 * ({ NAME: { className, useSQLite } }, SQLite-backed when a migration lists the class in
 * `new_sqlite_classes`) and the cron triggers.
 */
export function wranglerConfig(file = join(project, 'wrangler.toml')) {
  const toml = readFileSync(file, 'utf8').replace(/^\s*#.*$/gm, '');
  const str = (key) => new RegExp(`^${key}\\s*=\\s*"([^"]*)"`, 'm').exec(toml)?.[1];
  const list = (key) =>
    [...toml.matchAll(new RegExp(`^${key}\\s*=\\s*\\[([^\\]]*)\\]`, 'gm'))].flatMap((m) => [...m[1].matchAll(/"([^"]*)"/g)].map((x) => x[1]));
  const sqlite = new Set(list('new_sqlite_classes'));
  const pairs = toml.matchAll(/\{\s*name\s*=\s*"(\w+)",\s*class_name\s*=\s*"(\w+)"\s*\}/g);
  const durableObjects = Object.fromEntries([...pairs].map(([, name, className]) => [name, { className, useSQLite: sqlite.has(className) }]));
  const varsSection = /^\[vars\]\s*$([\s\S]*?)(?=^\[|(?![\s\S]))/m.exec(toml)?.[1] ?? '';
  const vars = Object.fromEntries([...varsSection.matchAll(/^(\w+)\s*=\s*"([^"]*)"/gm)].map((m) => [m[1], m[2]]));
  return {
    main: str('main'),
    vars,
    compatibilityDate: str('compatibility_date'),
    compatibilityFlags: list('compatibility_flags'),
    durableObjects,
    sqliteClasses: [...sqlite],
    keyValueClasses: list('new_classes'),
    crons: list('crons'),
  };
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
function workerModules(entry) {
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
  visit(entry);
  return modules;
}

/** A workerd running the Worker over Durable Object storage in `persist`, with `bindings`. */
export function startWorker({ persist, bindings = {} }) {
  const config = wranglerConfig();
  return new Miniflare({
    rootPath: here,
    modules: workerModules(realpathSync(join(project, config.main))),
    modulesRoot: repo,
    compatibilityDate: config.compatibilityDate,
    compatibilityFlags: config.compatibilityFlags,
    durableObjects: config.durableObjects,
    durableObjectsPersist: persist,
    bindings,
  });
}
