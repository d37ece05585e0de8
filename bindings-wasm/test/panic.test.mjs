// The panic guard of backend.mjs on a .wasm built with the feature `test-panic` (an input that
// names the app `__panic__` panics inside the call). That build is made here, in the dev
// profile, and never shipped; its glue is made with the shipped flags (scripts/bindgen.mjs).
//
// panic = "abort": a panic traps. Unguarded, the trap reaches the caller as a
// `RuntimeError: unreachable`, objects borrowed at the time can never be freed, and every trap
// leaks the shadow stack until the instance answers nothing but "memory access out of bounds"
// (even to the FinalizationRegistry's frees, which then throw outside any call).
// Guarded, each panic is a `storeError` answer and the instance is replaced.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { BINDGEN_FLAGS } from '../scripts/bindgen.mjs';
import { wasmBackend } from '../backend.mjs';
import { makeSessionsClass, MapStore, SessionError } from '../driver.mjs';

const root = fileURLToPath(new URL('../..', import.meta.url));
const targetDir = process.env.CARGO_TARGET_DIR ?? join(root, 'target');
const out = mkdtempSync(join(tmpdir(), 'session-core-wasm-panic-'));
after(() => rmSync(out, { recursive: true, force: true }));

function run(cmd, args) {
  const r = spawnSync(cmd, args, { cwd: root, encoding: 'utf8' });
  assert.equal(r.status, 0, `${cmd} ${args.join(' ')} failed:\n${r.stdout}\n${r.stderr}`);
}

/** A fresh copy of the test build's glue (a module of its own: its own instance). */
let copies = 0;
async function loadGlue() {
  const glue = await import(`${pathToFileURL(join(out, 'session_core_wasm.js'))}?copy=${copies++}`);
  glue.initSync({ module: readFileSync(join(out, 'session_core_wasm_bg.wasm')) });
  return glue;
}

before(() => {
  run('cargo', ['build', '--target', 'wasm32-unknown-unknown', '-p', 'session-core-wasm', '--features', 'test-panic']);
  const wasm = join(targetDir, 'wasm32-unknown-unknown', 'debug', 'session_core_wasm.wasm');
  const bindgen = join(targetDir, 'tools', 'bin', 'wasm-bindgen');
  run(bindgen, ['--target', 'web', ...BINDGEN_FLAGS, '--out-dir', out, '--out-name', 'session_core_wasm', wasm]);
});

const APP = { app: 'shop', id: 'u1', ip: '10.0.0.1' };
const PANIC = { app: '__panic__', id: 'u1', ip: '10.0.0.1' };

/** Awaits `promise` and checks it rejects with a SessionError `storeError` naming the bug. */
async function rejectsWithStoreError(promise) {
  await assert.rejects(promise, (e) => {
    assert.ok(e instanceof SessionError, `not a SessionError: ${e}`);
    assert.equal(e.name, 'storeError');
    assert.match(e.message, /^Store error: internal error in session-core-wasm \(a bug\): RuntimeError: unreachable/);
    return true;
  });
}

describe('a panic inside the wasm module (panic = "abort")', () => {
  test('unguarded, it reaches the caller as a trap and slowly breaks the instance', async () => {
    const glue = await loadGlue();
    const s = new glue.NativeSessions('rs', false);
    const create = (input) => s.call('create', JSON.stringify(input), Date.now());
    assert.throws(() => create(PANIC), WebAssembly.RuntimeError);
    // An operation borrowed when it trapped can never be freed.
    const op = new glue.NativeOp('create', JSON.stringify(PANIC), Date.now(), 'rs');
    assert.match(op.start(), /^\{"batch"/);
    assert.throws(() => op.resume('[null]'), WebAssembly.RuntimeError);
    assert.throws(() => op.free(), /borrowed/);
    // Each trap leaks the frames it unwound past: the instance ends up out of bounds.
    let broken = null;
    for (let i = 0; i < 100_000 && broken === null; i++) {
      try {
        create(PANIC);
      } catch (e) {
        if (!(e instanceof WebAssembly.RuntimeError && e.message === 'unreachable')) broken = e;
      }
    }
    assert.ok(broken instanceof WebAssembly.RuntimeError, 'the instance never broke');
    assert.throws(() => create(APP), WebAssembly.RuntimeError, 'every call fails now');
    // Even the garbage collector's frees would fail now (an uncaught exception, later, from a
    // FinalizationRegistry): replace the instance, so that they skip its stale objects.
    glue.__wbg_reset_state();
  });

  test('guarded, each panic is a storeError, and the in-module memory store starts again', async () => {
    const Sessions = makeSessionsClass(wasmBackend(await loadGlue()));
    const sessions = new Sessions();
    const other = new Sessions();
    const { token } = await sessions.create(APP);
    await rejectsWithStoreError(sessions.get({ ...PANIC, token }));
    // The module answers again, for this Sessions and for another one; the sessions that
    // lived in the old instance are gone (as a crashed server's memory store loses them).
    assert.equal(await sessions.get({ app: 'shop', token }), null);
    const { token: t2 } = await other.create(APP);
    assert.equal((await other.get({ app: 'shop', token: t2 })).id, 'u1');
    // Far more panics than it takes to break an unguarded instance: no trace of them.
    for (let i = 0; i < 1500; i++) {
      await rejectsWithStoreError(sessions.create(PANIC));
      const { token: t } = await sessions.create(APP);
      assert.equal((await sessions.get({ app: 'shop', token: t })).r, 1);
    }
  });

  test('guarded, a panic between store batches is a storeError, and a JavaScript store keeps its sessions', async () => {
    const Sessions = makeSessionsClass(wasmBackend(await loadGlue()));
    const store = new MapStore();
    const sessions = new Sessions({ store });
    const { token } = await sessions.create({ ...APP, d: { cart: 2 } });
    // The panic comes in `resume`, after the store has answered the operation's first batch.
    await rejectsWithStoreError(sessions.create(PANIC));
    const got = await sessions.get({ app: 'shop', token });
    assert.deepEqual([got.id, got.d], ['u1', { cart: 2 }]);
    const { token: t2 } = await sessions.create(APP);
    assert.equal((await sessions.get({ app: 'shop', token: t2 })).id, 'u1');
  });

  test('an operation waiting for its store when another one panics answers storeError', async () => {
    const backend = wasmBackend(await loadGlue());
    const { NativeOp, NativeSessions } = backend;
    const waiting = new NativeOp('create', JSON.stringify(APP), Date.now(), 'rs');
    assert.match(waiting.start(), /^\{"batch"/);
    const memory = new NativeSessions('rs', false);
    assert.equal(JSON.parse(memory.call('create', JSON.stringify(PANIC), Date.now())).error.name, 'storeError');
    const answer = JSON.parse(waiting.resume('[null]'));
    assert.equal(answer.error.name, 'storeError');
    assert.match(answer.error.message, /restarted during this operation/);
    waiting.free(); // nothing left to free, and no stale object touched
    assert.match(JSON.parse(memory.call('create', JSON.stringify(APP), Date.now())).done.token, /^[A-Za-z0-9]{64}$/);
  });
});
