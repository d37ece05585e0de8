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
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { workerModules } from '../../tests/js/worker-modules.mjs';

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
