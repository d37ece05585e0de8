// server/README.md's "Try it" block runs as written against the real server binary: the
// server starts on a spare port (the memory store, as `npm start` serves it), the block runs
// in bash with its `B=` pointed there, and each command's output is compared with the one
// shown in its comment (see shell-session.mjs for how outputs are shown and matched).
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { sparePort } from '../js/redis-server.mjs';
import { blocks } from './readme-blocks.mjs';
import { runShellSession } from './shell-session.mjs';

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
  const port = await sparePort();
  await startServer(port);
  const base = /^B=(\S+)$/m.exec(block.code)[1];
  const { commands, checked } = runShellSession(block, { file: 'server/README.md', base, url: `http://127.0.0.1:${port}`, cwd: root });
  assert.ok(checked >= 5, `the block shows outputs (${checked})`);
  t.diagnostic(`${commands} commands run, ${checked} outputs checked`);
});
