// `npm run build` of session-core-postgres (also run by `npm pack`): the CommonJS twins of
// src/*.mjs, so that `require('session-core-postgres')` works on every Node >= 20.
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeCjs } from '../../../scripts/cjs.mjs';

const src = join(dirname(fileURLToPath(import.meta.url)), '..', 'src');
const files = readdirSync(src).filter((f) => f.endsWith('.mjs'));
for (const f of files) writeCjs(join(src, f), join(src, f.replace(/\.mjs$/, '.cjs')));
console.log(`session-core-postgres: ${files.length} CommonJS twins written`);
