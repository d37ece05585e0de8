// Writes driver.cjs, the CommonJS twin of driver.mjs, so that `require('session-core')` works
// on every Node >= 20 (the transform is shared: ../../scripts/cjs.mjs).
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeCjs } from '../../scripts/cjs.mjs';

const here = join(dirname(fileURLToPath(import.meta.url)), '..');
const names = writeCjs(join(here, 'driver.mjs'), join(here, 'driver.cjs'));
console.log(`driver.cjs: ${names.join(', ')}`);
