// server/README.md's "Try it" block runs as written against the real server binary: the
// server starts on a spare port (the memory store, as `npm start` serves it), the block runs
// in bash with its `B=` pointed there, and each command's output is compared with the one
// shown in its comment (`cmd   # output`, or a `# output` line just after it). In a shown
// output, `"…"` stands for any string, `{...}` / `[...]` for any object / array, and `...`
// among an object's keys for more keys; prose after the value is ignored. An output that is
// not JSON (a bare word) must match the body exactly.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { sparePort } from '../js/redis-server.mjs';
import { blocks, leadingLiteral } from './readme-blocks.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const targetDir = process.env.CARGO_TARGET_DIR ?? join(root, 'target');
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

let server = null;
after(() => {
  if (server !== null && server.exitCode === null) process.kill(server.pid, 'SIGKILL');
});

/** The shell block that sets B (the server's base URL) and calls it with curl. */
function tryItBlock() {
  const found = blocks(root, 'server/README.md').filter((b) => b.lang === 'sh' && /^B=http/m.test(b.code));
  assert.equal(found.length, 1, 'server/README.md has one shell block that sets B=http://…');
  return found[0];
}

/** Logical lines (backslash continuations joined), each with its README line number. */
function logicalLines(block) {
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
function splitComment(text) {
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
function pattern(comment) {
  const text = comment
    .replaceAll('"…"', JSON.stringify(ANY_STRING))
    .replaceAll('{...}', JSON.stringify(ANY_OBJECT))
    .replaceAll('[...]', JSON.stringify(ANY_ARRAY))
    .replaceAll(/\{\s*\.\.\.\s*,/g, `{${JSON.stringify(MORE_KEYS)}:0,`)
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

function matches(expected, actual) {
  if (expected === ANY_STRING) return typeof actual === 'string';
  if (expected === ANY_OBJECT) return actual !== null && typeof actual === 'object' && !Array.isArray(actual);
  if (expected === ANY_ARRAY) return Array.isArray(actual);
  if (Array.isArray(expected)) {
    return Array.isArray(actual) && actual.length === expected.length && expected.every((e, i) => matches(e, actual[i]));
  }
  if (expected !== null && typeof expected === 'object') {
    if (actual === null || typeof actual !== 'object' || Array.isArray(actual)) return false;
    const keys = Object.keys(expected).filter((k) => k !== MORE_KEYS);
    if (!(MORE_KEYS in expected) && Object.keys(actual).length !== keys.length) return false;
    return keys.every((k) => k in actual && matches(expected[k], actual[k]));
  }
  return expected === actual;
}

/** The debug server binary, built if needed (`npm test` has built it with `cargo test`). */
function serverBinary() {
  const r = spawnSync('cargo', ['build', '-q', '-p', 'session-core-server'], { cwd: root, stdio: 'inherit' });
  assert.equal(r.status, 0, 'cargo build -p session-core-server');
  const bin = join(targetDir, 'debug', 'session-core-server');
  assert.ok(existsSync(bin), bin);
  return bin;
}

async function startServer(port) {
  server = spawn(serverBinary(), ['--port', String(port), '--bind', '127.0.0.1'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  server.stderr.on('data', (d) => (stderr += d));
  const deadline = Date.now() + 30_000;
  for (;;) {
    assert.equal(server.exitCode, null, `the server exited: ${stderr}`);
    try {
      await fetch(`http://127.0.0.1:${port}/health`);
      return;
    } catch {
      assert.ok(Date.now() < deadline, `the server did not answer on port ${port}: ${stderr}`);
      await sleep(50);
    }
  }
}

test("server/README.md's curl session runs as written against the server, with the outputs it shows", async (t) => {
  const block = tryItBlock();
  const lines = logicalLines(block);
  // Each command with the output its comment shows (on its line, or alone on the next one).
  const steps = [];
  for (const l of lines) {
    const trimmed = l.text.trim();
    if (trimmed.startsWith('#')) {
      const last = steps.at(-1);
      if (last !== undefined && last.expected === null && last.prints) last.expected = { comment: trimmed.slice(1).trim(), line: l.line };
      continue;
    }
    const { cmd, comment } = splitComment(l.text);
    const prints = !/^[A-Za-z_][A-Za-z0-9_]*=/.test(cmd.trim()); // an assignment prints nothing
    steps.push({ cmd, line: l.line, prints, expected: comment === null ? null : { comment, line: l.line } });
  }
  const checked = steps.filter((s) => s.expected !== null);
  assert.ok(checked.length >= 5, `the block shows outputs (${checked.length})`);

  const port = await sparePort();
  await startServer(port);
  const base = /^B=(\S+)$/m.exec(block.code)[1];
  const script = ['set -euo pipefail'];
  steps.forEach((s, i) => {
    script.push(s.cmd.replaceAll(base, `http://127.0.0.1:${port}`));
    if (s.prints) script.push(`printf '\\n@@step ${i}\\n'`);
  });
  const r = spawnSync('bash', ['-c', script.join('\n')], { cwd: root, encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, `the block failed:\n${r.stdout}${r.stderr}\n--- as run:\n${script.join('\n')}`);

  const outputs = new Map();
  let from = 0;
  for (const m of r.stdout.matchAll(/\n@@step (\d+)\n/g)) {
    outputs.set(Number(m[1]), r.stdout.slice(from, m.index));
    from = m.index + m[0].length;
  }
  steps.forEach((s, i) => {
    if (s.expected === null) return;
    const out = outputs.get(i);
    assert.notEqual(out, undefined, `server/README.md:${s.line} printed nothing`);
    const want = pattern(s.expected.comment);
    const where = `server/README.md:${s.expected.line}: ${s.cmd.trim()}\n  shown:  ${s.expected.comment}\n  actual: ${out}`;
    if (want.json !== undefined) {
      let actual;
      assert.doesNotThrow(() => (actual = JSON.parse(out)), where);
      assert.ok(matches(want.json, actual), where);
    } else {
      assert.equal(out.trim(), want.text, where);
    }
  });
  t.diagnostic(`${steps.length} commands run, ${checked.length} outputs checked`);
});
