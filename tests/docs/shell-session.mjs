// A README's curl session run as written against a live server, with its shown outputs
// checked: server/README.md's "Try it" (server-readme.test.mjs) and the Worker's quick start
// in bindings-wasm/README.md (pack.test.mjs). The block runs in bash with its `B=` pointed at
// the server, and each command's output is compared with the one shown in its comment
// (`cmd   # output`, or a `# output` line just after it). In a shown output, `"…"` stands for any
// string, `{...}` / `[...]` for any object / array, and `...` among an object's keys (first,
// last, or between two) for more keys; prose after the value is ignored. An output that is not JSON (a bare word) must match
// the body exactly. An object's keys must be shown in the order the server writes them.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { leadingLiteral } from './readme-blocks.mjs';

/** Logical lines (backslash continuations joined), each with its README line number. */
export function logicalLines(block) {
  const out = [];
  let cur = null;
  block.code.split('\n').forEach((text, k) => {
    const line = block.line + 1 + k;
    if (cur === null) cur = { text: '', line };
    cur.text += text.endsWith('\\') ? `${text.slice(0, -1)} ` : text;
    if (!text.endsWith('\\')) {
      out.push(cur);
      cur = null;
    }
  });
  return out.filter((l) => l.text.trim() !== '');
}

/** Splits `cmd   # comment` (a comment after two spaces or more, outside quotes). */
export function splitComment(text) {
  let quote = null;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote !== null) {
      if (c === quote) quote = null;
    } else if (c === "'" || c === '"') {
      quote = c;
    } else if (c === '#' && /\s{2,}$/.test(text.slice(0, i))) {
      return { cmd: text.slice(0, i).trimEnd(), comment: text.slice(i + 1).trim() };
    }
  }
  return { cmd: text, comment: null };
}

const ANY_STRING = '\u0000any string';
const ANY_OBJECT = '\u0000any object';
const ANY_ARRAY = '\u0000any array';
const MORE_KEYS = '\u0000more keys';

/** The shown output as a pattern: a JSON value with the placeholders above, or raw text. */
export function pattern(comment) {
  const text = comment
    .replaceAll('"…"', JSON.stringify(ANY_STRING))
    .replaceAll('{...}', JSON.stringify(ANY_OBJECT))
    .replaceAll('[...]', JSON.stringify(ANY_ARRAY))
    .replaceAll(/\{\s*\.\.\.\s*,/g, `{${JSON.stringify(MORE_KEYS)}:0,`)
    .replaceAll(/,\s*\.\.\.\s*,/g, `,${JSON.stringify(MORE_KEYS)}:0,`)
    .replaceAll(/,\s*\.\.\.\s*\}/g, `,${JSON.stringify(MORE_KEYS)}:0}`);
  const literal = leadingLiteral(text);
  if (literal !== null) {
    try {
      return { json: JSON.parse(literal) };
    } catch {
      // not JSON: compared as text below
    }
  }
  return { text: comment.split(/\s{2,}/)[0].trim() };
}

export function matches(expected, actual) {
  if (expected === ANY_STRING) return typeof actual === 'string';
  if (expected === ANY_OBJECT) return actual !== null && typeof actual === 'object' && !Array.isArray(actual);
  if (expected === ANY_ARRAY) return Array.isArray(actual);
  if (Array.isArray(expected)) {
    return Array.isArray(actual) && actual.length === expected.length && expected.every((e, i) => matches(e, actual[i]));
  }
  if (expected !== null && typeof expected === 'object') {
    if (actual === null || typeof actual !== 'object' || Array.isArray(actual)) return false;
    const keys = Object.keys(expected).filter((k) => k !== MORE_KEYS);
    // The keys shown, in the order shown: all of the actual ones, or (with `...`) some of them.
    const order = Object.keys(actual).filter((k) => MORE_KEYS in expected ? keys.includes(k) : true);
    if (order.join('\u0000') !== keys.join('\u0000')) return false;
    return keys.every((k) => matches(expected[k], actual[k]));
  }
  return expected === actual;
}

/** The commands of a shell block, each with the output its comment shows (or null). */
export function steps(block) {
  const out = [];
  for (const l of logicalLines(block)) {
    const trimmed = l.text.trim();
    if (trimmed.startsWith('#')) {
      const last = out.at(-1);
      if (last !== undefined && last.expected === null && last.prints) last.expected = { comment: trimmed.slice(1).trim(), line: l.line };
      continue;
    }
    const { cmd, comment } = splitComment(l.text);
    const prints = !/^[A-Za-z_][A-Za-z0-9_]*=/.test(cmd.trim()); // an assignment prints nothing
    out.push({ cmd, line: l.line, prints, expected: comment === null ? null : { comment, line: l.line } });
  }
  return out;
}

/**
 * Runs `block` in bash with every `base` (its `B=` URL) replaced by `url`, the variables of
 * `env` set, and checks each shown output. Returns `{ commands, checked, vars }`: `vars` holds
 * the final values of the shell variables named in `keep`.
 */
export function runShellSession(block, { file, base, url, cwd, env = {}, keep = [] }) {
  const all = steps(block);
  const checked = all.filter((s) => s.expected !== null);
  const script = ['set -euo pipefail'];
  for (const [k, v] of Object.entries(env)) script.push(`${k}=${JSON.stringify(v)}`);
  all.forEach((s, i) => {
    script.push(s.cmd.replaceAll(base, url));
    if (s.prints) script.push(`printf '\\n@@step ${i}\\n'`);
  });
  for (const k of keep) script.push(`printf '@@var ${k}=%s\\n' "$${k}"`);
  const r = spawnSync('bash', ['-c', script.join('\n')], { cwd, encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, `${file}:${block.line}: the block failed:\n${r.stdout}${r.stderr}\n--- as run:\n${script.join('\n')}`);

  const outputs = new Map();
  let from = 0;
  for (const m of r.stdout.matchAll(/\n@@step (\d+)\n/g)) {
    outputs.set(Number(m[1]), r.stdout.slice(from, m.index));
    from = m.index + m[0].length;
  }
  all.forEach((s, i) => {
    if (s.expected === null) return;
    const out = outputs.get(i);
    assert.notEqual(out, undefined, `${file}:${s.line} printed nothing`);
    const want = pattern(s.expected.comment);
    const where = `${file}:${s.expected.line}: ${s.cmd.trim()}\n  shown:  ${s.expected.comment}\n  actual: ${out}`;
    if (want.json !== undefined) {
      let actual;
      assert.doesNotThrow(() => (actual = JSON.parse(out)), where);
      assert.ok(matches(want.json, actual), where);
    } else {
      assert.equal(out.trim(), want.text, where);
    }
  });
  const vars = Object.fromEntries([...r.stdout.matchAll(/^@@var (\w+)=(.*)$/gm)].map((m) => [m[1], m[2]]));
  return { commands: all.length, checked: checked.length, vars };
}
