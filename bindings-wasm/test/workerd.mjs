// The Worker (worker/index.mjs) in a real workerd through miniflare 3, configured as
// wrangler.toml configures it: shared by the Worker tests and the edge benchmark.
import { Miniflare } from 'miniflare';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('..', import.meta.url));

/** wrangler.toml's Durable Object bindings ({ NAME: 'ClassName' }): the deployed file, tested. */
function durableObjects() {
  const toml = readFileSync(new URL('../worker/wrangler.toml', import.meta.url), 'utf8');
  const pairs = toml.matchAll(/\{\s*name\s*=\s*"(\w+)",\s*class_name\s*=\s*"(\w+)"\s*\}/g);
  return Object.fromEntries([...pairs].map(([, name, cls]) => [name, cls]));
}

/** A workerd running the Worker over Durable Object storage in `persist`, with `bindings`. */
export function startWorker({ persist, bindings = {} }) {
  return new Miniflare({
    rootPath: here,
    scriptPath: 'worker/index.mjs',
    modules: true,
    modulesRoot: here,
    // The wasm-bindgen glue is an ES module named .js; the .wasm is a compiled module.
    modulesRules: [
      { type: 'ESModule', include: ['**/*.mjs', '**/*.js'] },
      { type: 'CompiledWasm', include: ['**/*.wasm'] },
    ],
    compatibilityDate: '2025-07-18',
    compatibilityFlags: ['nodejs_compat'],
    durableObjects: durableObjects(),
    durableObjectsPersist: persist,
    bindings,
  });
}
