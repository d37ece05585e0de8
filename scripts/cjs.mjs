// The CommonJS twin of an ES module of this repository, so that `require()` works on every
// Node >= 20 (require() of ES modules is not available on all of them). The .mjs files stay
// the one source and the twins are generated at build time. The transform is deliberately
// strict and understands only the forms those files use (named imports, with `./x.mjs` or
// `../x.mjs` becoming `./x.cjs` or `../x.cjs`; `export` before a class, function or const;
// `export { a, b } from './x.mjs'`; and `export { a, b };`). Anything else fails the build.
import { readFileSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';

const cjsPath = (spec) => spec.replace(/^(\.\.?\/.*)\.mjs$/, '$1.cjs');

/** Writes the CommonJS twin of the ES module `from` to `to`; returns its export names. */
export function writeCjs(from, to) {
  const src = readFileSync(from, 'utf8');
  const names = [];
  const out = src.split('\n').map((line, i) => {
    const imp = /^import \{([^}]+)\} from '([^']+)';$/.exec(line);
    if (imp) return `const {${imp[1]}} = require('${cjsPath(imp[2])}');`;
    const reexp = /^export \{([^}]+)\} from '([^']+)';$/.exec(line);
    if (reexp) {
      const list = reexp[1].split(',').map((s) => s.trim()).filter(Boolean);
      if (list.some((n) => !/^[A-Za-z_$][\w$]*$/.test(n))) {
        throw new Error(`${from}:${i + 1}: the CJS transform does not understand: ${line}`);
      }
      names.push(...list);
      return `const { ${list.join(', ')} } = require('${cjsPath(reexp[2])}');`;
    }
    const local = /^export \{([^}]+)\};$/.exec(line);
    if (local) {
      const list = local[1].split(',').map((s) => s.trim()).filter(Boolean);
      if (list.some((n) => !/^[A-Za-z_$][\w$]*$/.test(n))) {
        throw new Error(`${from}:${i + 1}: the CJS transform does not understand: ${line}`);
      }
      names.push(...list);
      return '';
    }
    const exp = /^export (class|function|const|async function) ([A-Za-z_$][\w$]*)/.exec(line);
    if (exp) {
      names.push(exp[2]);
      return line.slice('export '.length);
    }
    if (/^\s*(import|export)\b/.test(line) || line.includes('import.meta')) {
      throw new Error(`${from}:${i + 1}: the CJS transform does not understand: ${line}`);
    }
    return line;
  });
  const header = `// Generated from ${basename(from)} by scripts/cjs.mjs at build time: do not edit.\n'use strict';\n`;
  const footer = `\nmodule.exports = { ${names.join(', ')} };\n`;
  writeFileSync(to, header + out.join('\n') + footer);
  return names;
}
