// A Worker's modules for miniflare 3, as wrangler would bundle them: miniflare does not
// resolve package specifiers, so the import graph is walked from the entry, each package
// specifier resolved as a Worker resolves it (the `workerd`, `worker`, `import` or `default`
// branch of the package's `exports`) and rewritten to the relative path of that file. (The
// same idea as bindings-wasm/test/workerd.mjs, for any entry and for packages such as Hono
// whose modules use double quotes and `export *`.)
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve, sep } from 'node:path';

/** The file an `exports` entry names for a Worker. */
function exportTarget(entry) {
  if (typeof entry === 'string') return entry;
  if (Array.isArray(entry)) return exportTarget(entry[0]);
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
  // Not require.resolve('name/package.json'): a package's `exports` may not list it.
  const dirs = createRequire(from).resolve.paths(name) ?? [];
  const manifest = dirs.map((d) => join(d, name, 'package.json')).find((f) => existsSync(f));
  if (manifest === undefined) throw new Error(`${from}: cannot find the package ${name}`);
  const { exports } = JSON.parse(readFileSync(manifest, 'utf8'));
  const target = exportTarget(typeof exports === 'string' || sub === '.' && exports?.['.'] === undefined ? exports : exports?.[sub]);
  if (target === undefined) throw new Error(`${from}: cannot resolve ${spec} for a Worker`);
  return realpathSync(join(dirname(manifest), target));
}

/**
 * Static imports and re-exports at the start of a line (`import x from 's'`, `import 's'`,
 * `export * from "s"`), either quote; not the word `import` in a comment.
 */
const IMPORT = /^([ \t]*)(import|export)(\s*[^'";]*?\s*from\s*|\s*)(['"])([^'"]+)\4/gm;

/** The modules of the Worker whose entry is `entry`, for miniflare's `modules` (entry first). */
export function workerModules(entry) {
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
    const contents = readFileSync(file, 'utf8').replace(IMPORT, (stmt, indent, kw, middle, quote, spec) => {
      if (/^(node|cloudflare|workerd):/.test(spec)) return stmt;
      // `export 'x'` is no module syntax.
      if (kw === 'export' && !/from/.test(middle)) return stmt;
      const target = spec.startsWith('.') ? resolve(dirname(file), spec) : resolvePackage(spec, file);
      imports.push(target);
      if (spec.startsWith('.')) return stmt;
      let rel = relative(dirname(file), target).split(sep).join('/');
      if (!rel.startsWith('.')) rel = `./${rel}`;
      return `${indent}${kw}${middle}${quote}${rel}${quote}`;
    });
    modules.push({ type: 'ESModule', path: file, contents });
    for (const target of imports) visit(target);
  };
  visit(realpathSync(entry));
  return modules;
}
