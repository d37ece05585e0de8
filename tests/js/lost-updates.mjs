// The lost-update probe, for any store shared by processes: 2 processes × 300 concurrent
// `set`s of distinct keys on one session; every write must be counted and every key kept.
//
//   await probeLostUpdates({
//     sessions,                                  // a Sessions on the store, in this process
//     cwd: packageDir,                           // where the children resolve their imports
//     open: `import { Sessions } from 'session-core';
//            const s = new Sessions({ redis: ARGS[0], wipe: 0 });`,   // ARGS: `args` below
//     args: [redis.url],
//   });
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';

const N = 300;

/** Runs `open` (module source that defines `s`, a Sessions, from `ARGS`) in a child that sets
 *  N distinct keys `tag + i` concurrently on the session of `token`. */
function child(cwd, open, args, token, tag) {
  const script = `
    const [token, tag, ...ARGS] = process.argv.slice(1);
    ${open}
    const results = await Promise.allSettled(
      Array.from({ length: ${N} }, (_, i) => s.set({ app: 'race', token, d: { [tag + i]: i } })),
    );
    const failed = results.filter((r) => r.status === 'rejected').map((r) => r.reason.name + ': ' + r.reason.message);
    const found = results.filter((r) => r.status === 'fulfilled' && r.value !== null).length;
    console.log(JSON.stringify({ found, failed: failed.slice(0, 3), failures: failed.length }));
    await s.quit();
  `;
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['--input-type=module', '-e', script, token, tag, ...args], {
      cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (err += d));
    p.on('error', reject);
    p.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`child ${tag} exited ${code}: ${err}`))));
  });
}

/** The probe (see the module comment); asserts that nothing was lost. */
export async function probeLostUpdates({ sessions, cwd, open, args = [] }) {
  const { token } = await sessions.create({ app: 'race', id: 'hot', ip: '::1' });
  const results = await Promise.all([child(cwd, open, args, token, 'a'), child(cwd, open, args, token, 'b')]);
  for (const r of results) assert.deepEqual(r, { found: N, failed: [], failures: 0 });
  const got = await sessions.get({ app: 'race', token });
  assert.equal(got.w, 2 * N + 1, 'every write counted');
  assert.equal(Object.keys(got.d).length, 2 * N, 'every key kept');
  for (let i = 0; i < N; i++) {
    assert.equal(got.d[`a${i}`], i);
    assert.equal(got.d[`b${i}`], i);
  }
}
