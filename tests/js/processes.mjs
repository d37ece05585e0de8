// What every test server helper (redis-server.mjs, postgres-server.mjs) does with its child
// processes: remember them, stop them by pid, and stop whatever is left if the test process
// exits without doing so.

/** Children still running, by the signal that stops each at once. */
const running = new Map();
process.on('exit', () => {
  for (const [child, signal] of running) {
    try {
      process.kill(child.pid, signal);
    } catch {
      // already gone
    }
  }
});

/** Remembers `child`, to be stopped with `signal` if the test process exits first. */
export function track(child, signal) {
  running.set(child, signal);
  child.once('exit', () => running.delete(child));
}

/** Stops `child` by pid with `signal` (if it still runs) and waits until it has exited. */
export async function stopByPid(child, signal) {
  if (child.exitCode === null && child.signalCode === null) {
    const gone = new Promise((resolve) => child.once('exit', resolve));
    process.kill(child.pid, signal);
    await gone;
  }
  running.delete(child);
}
