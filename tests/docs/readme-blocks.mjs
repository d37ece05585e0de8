// The code blocks of the repository's READMEs, and what the tests make of them.
//
// A fenced block's language is its info string's first word. An HTML comment on the line just
// before a block (blank lines between are fine) says how to run it:
//
//   <!-- not run: REASON -->     the block is not run; the tests count and list it, with REASON
//   <!-- run with: CODE -->      CODE runs just before the block, in the same module (what the
//                                block assumes from the text around it, e.g. `sessions`)
//
// Output comments become checks. In a JavaScript block, a line `EXPR; // VALUE` where EXPR is
// an expression statement and VALUE starts with a literal (a string, number, boolean, null,
// or an object or array literal of those), optionally followed by prose, checks that EXPR
// deep-equals VALUE, with every object's keys in the order shown (what console.log would print);
// so does a line `// VALUE` right after `const NAME = ...;`, for NAME.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Every README.md tracked in the repository at `root`. */
export function readmes(root) {
  return execFileSync('git', ['ls-files', '--', '*README.md', 'README.md'], { cwd: root, encoding: 'utf8' })
    .split('\n')
    .filter((f) => f.endsWith('README.md'));
}

/** The fenced code blocks of a Markdown file: `{ lang, code, line, marker }`. */
export function blocks(root, file) {
  const lines = readFileSync(join(root, file), 'utf8').split('\n');
  const out = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)(`{3,}|~{3,})\s*([^\s`]*)/.exec(lines[i]);
    if (!open) continue;
    const fence = open[2];
    const start = i;
    const body = [];
    for (i++; i < lines.length && !lines[i].trimStart().startsWith(fence); i++) body.push(lines[i]);
    let j = start - 1;
    while (j >= 0 && lines[j].trim() === '') j--;
    const comment = j >= 0 ? /^<!--\s*(not run|run with):\s*([\s\S]*?)\s*-->$/.exec(lines[j].trim()) : null;
    out.push({
      file,
      lang: open[3].split(',')[0].toLowerCase(),
      code: body.join('\n'),
      line: start + 1,
      notRun: comment?.[1] === 'not run' ? comment[2] : null,
      prelude: comment?.[1] === 'run with' ? comment[2] : null,
    });
  }
  return out;
}

export const JS_LANGS = new Set(['js', 'mjs', 'cjs', 'javascript', 'ts', 'typescript']);

const STATEMENT_KEYWORDS =
  /^(const|let|var|return|if|else|for|while|do|switch|case|default|break|continue|throw|try|catch|finally|function|class|import|export|async function)\b/;

/** The literal at the start of `text` (an output comment), as source, or null. */
export function leadingLiteral(text) {
  const t = text.trim();
  if (!/^(['"{[\-\d]|null\b|true\b|false\b)/.test(t)) return null;
  for (let end = t.length; end > 0; end--) {
    const rest = t.slice(end);
    if (rest !== '' && !/^[\s:,(—-]/.test(rest)) continue;
    const candidate = t.slice(0, end);
    try {
      // Literals only: any name (a shorthand property, a variable) throws here.
      new Function(`"use strict"; return (${candidate});`)();
      return candidate;
    } catch {
      // not a complete literal yet
    }
  }
  return null;
}

/**
 * The block's code with its output comments turned into checks: `__check(actual, expected,
 * where)`. Returns `{ code, checks }`, `checks` being the `where` of each.
 */
export function withChecks(block) {
  const checks = [];
  const lines = block.code.split('\n');
  const out = [];
  let lastConst = null;
  lines.forEach((line, k) => {
    const where = `${block.file}:${block.line + 1 + k}`;
    const inline = /^(\s*)(.+?);\s*\/\/\s?(.*)$/.exec(line);
    if (inline && !STATEMENT_KEYWORDS.test(inline[2].trim()) && !inline[2].includes('//')) {
      const literal = leadingLiteral(inline[3]);
      if (literal !== null) {
        checks.push(where);
        out.push(`${inline[1]}__check((${inline[2]}), (${literal}), ${JSON.stringify(where)});`);
        lastConst = null;
        return;
      }
    }
    const alone = /^(\s*)\/\/\s?(.*)$/.exec(line);
    if (alone && lastConst !== null) {
      const literal = leadingLiteral(alone[2]);
      if (literal !== null) {
        checks.push(where);
        out.push(`${line}\n${alone[1]}__check(${lastConst}, (${literal}), ${JSON.stringify(where)});`);
        lastConst = null;
        return;
      }
    }
    const decl = /^\s*const ([A-Za-z_$][\w$]*) = .*;\s*$/.exec(line);
    lastConst = decl ? decl[1] : null;
    out.push(line);
  });
  return { code: out.join('\n'), checks };
}

/**
 * The line put before a block run with checks (one line, so that line numbers in errors are
 * the block's): `__check`, and a report of the checks that ran, printed at exit.
 */
export function checkHarness(cjs) {
  return [
    cjs ? "const { deepStrictEqual: __deepEqual } = require('node:assert');" : "import { deepStrictEqual as __deepEqual } from 'node:assert';",
    'const __ran = [];',
    "process.on('exit', () => console.log(`@@checks ${JSON.stringify(__ran)}`));",
    "function __keys(v, path) { if (Array.isArray(v)) return v.flatMap((x, i) => __keys(x, `${path}[${i}]`)); if (v === null || typeof v !== 'object') return []; return [`${path}: ${Object.keys(v).join(', ')}`, ...Object.entries(v).flatMap(([k, x]) => __keys(x, `${path}.${k}`))]; }",
    'function __check(actual, expected, where) { __deepEqual(actual, expected, `${where}: the output comment`); __deepEqual(__keys(actual, "value"), __keys(expected, "value"), `${where}: the output comment shows the keys in another order than the value has them`); __ran.push(where); }',
  ].join(' ');
}

/** The `where` of each check that ran, from the run's stdout (see `checkHarness`). */
export function checksRan(stdout) {
  return JSON.parse(/@@checks (.*)/.exec(stdout)?.[1] ?? '[]');
}

/** Whether a JavaScript block is CommonJS (it uses require and has no import or export). */
export function isCommonJs(code) {
  return /\brequire\(/.test(code) && !/^\s*(import|export)\b/m.test(code);
}
