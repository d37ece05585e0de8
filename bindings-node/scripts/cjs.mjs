// Writes driver.cjs, the CommonJS twin of driver.mjs, so that `require('session-core')` works
// on every Node >= 20 (require() of ES modules is not available on all of them). driver.mjs is
// the one source (the wasm package copies it), so the twin is generated, not written: the
// transform is deliberately strict and understands only the forms driver.mjs uses (named
// imports, and `export` before a class, function or const). Anything else fails the build.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = join(dirname(fileURLToPath(import.meta.url)), '..');
const src = readFileSync(join(here, 'driver.mjs'), 'utf8');
const names = [];
const out = src.split('\n').map((line, i) => {
  const imp = /^import \{([^}]+)\} from '([^']+)';$/.exec(line);
  if (imp) return `const {${imp[1]}} = require('${imp[2]}');`;
  const exp = /^export (class|function|const|async function) ([A-Za-z_$][\w$]*)/.exec(line);
  if (exp) {
    names.push(exp[2]);
    return line.slice('export '.length);
  }
  if (/^\s*(import|export)\b/.test(line)) {
    throw new Error(`driver.mjs:${i + 1}: the CJS transform does not understand: ${line}`);
  }
  return line;
});
const header = "// Generated from driver.mjs by scripts/cjs.mjs at build time: do not edit.\n'use strict';\n";
const footer = `\nmodule.exports = { ${names.join(', ')} };\n`;
writeFileSync(join(here, 'driver.cjs'), header + out.join('\n') + footer);
console.log(`driver.cjs: ${names.join(', ')}`);
