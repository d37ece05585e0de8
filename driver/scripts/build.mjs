// `npm run build` of session-core-driver (also run by `npm pack`): the CommonJS twin of every
// ES module under src/, so that `require('session-core-driver')` works on every Node >= 20.
// The .mjs files are the one source; the twins are build outputs (ignored by git).
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeCjs } from '../../scripts/cjs.mjs';

const here = join(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(here, 'src');

let count = 0;
for (const file of readdirSync(src, { recursive: true })) {
  if (!file.endsWith('.mjs')) continue;
  writeCjs(join(src, file), join(src, file.replace(/\.mjs$/, '.cjs')));
  count++;
}
console.log(`session-core-driver: ${count} CommonJS twins written`);
