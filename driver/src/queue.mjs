// The per-session queue: operations on a store written in JavaScript that update the same
// session run one after another inside this process, so that many concurrent calls on a hot
// session take turns instead of failing each other's versioned writes (across processes,
// the versions guard). The key is the machine's lock key (`NativeOp#lockKey()`: the handle
// of the one session the operation updates), so `get({token})` and `kill({handle})` on one
// session queue together, as the core's own driver keys its lock stripes.

const noop = () => {};

export class KeyedQueue {
  /** key -> the promise the last queued run settles */
  #tails = new Map();

  /** Runs `run()` (which returns a Promise) after every run queued before under `key`. */
  run(key, run) {
    const tails = this.#tails;
    const prev = tails.get(key);
    const result = prev === undefined ? run() : prev.then(run);
    const tail = result.then(noop, noop);
    tails.set(key, tail);
    tail.then(() => {
      if (tails.get(key) === tail) tails.delete(key);
    });
    return result;
  }

  /** How many keys have runs queued or in flight (for tests). */
  get size() {
    return this.#tails.size;
  }
}
