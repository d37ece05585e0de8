// `npm run build` of session-core-driver (also run by `npm pack`):
//
// 1. src/testkit/vectors-data.mjs: every conformance vector of tests/vectors (the one source,
//    read here and never copied by hand) as one module, so that the published test kit
//    carries them;
// 2. the CommonJS twin of every ES module under src/, so that `require('session-core-driver')`
//    works on every Node >= 20.
//
// The .mjs files are the one source; the twins and the vector bundle are build outputs
// (ignored by git).
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeCjs } from '../../scripts/cjs.mjs';

const here = join(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(here, 'src');
const vectorsDir = join(here, '..', 'tests', 'vectors');

// 1. The vectors, sorted by file name, as tests/js/vectors.mjs loads them.
const files = readdirSync(vectorsDir).filter((f) => f.endsWith('.json')).sort();
const vectors = files.map((file) => ({ file, ...JSON.parse(readFileSync(join(vectorsDir, file), 'utf8')) }));
if (vectors.length === 0) throw new Error(`no vectors in ${vectorsDir}`);
writeFileSync(
  join(src, 'testkit', 'vectors-data.mjs'),
  '// Generated from tests/vectors/*.json by scripts/build.mjs at build time: do not edit.\n' +
    '// The conformance vectors, as `[{ file, description, cases }]`, sorted by file name.\n' +
    `export const VECTORS = JSON.parse(${JSON.stringify(JSON.stringify(vectors))});\n`,
);

// 2. The CommonJS twins.
let count = 0;
for (const file of readdirSync(src, { recursive: true })) {
  if (!file.endsWith('.mjs')) continue;
  writeCjs(join(src, file), join(src, file.replace(/\.mjs$/, '.cjs')));
  count++;
}
const cases = vectors.reduce((n, v) => n + v.cases.length, 0);
console.log(`session-core-driver: ${cases} vector cases from ${files.length} files bundled; ${count} CommonJS twins written`);
