// The native backend interface (see driver.mjs) over the wasm module's classes. The one thing
// added to wasm-bindgen's classes: a NativeOp frees its wasm memory as soon as it has given its
// final answer, instead of waiting for a FinalizationRegistry that may run late (or, in some
// runtimes, never). NativeSessions lives as long as its Sessions object: the glue's
// FinalizationRegistry frees it with it.
export function wasmBackend(glue) {
  const Raw = glue.NativeOp;

  class NativeOp {
    #op;

    constructor(op, inputJson, now, namespace) {
      this.#op = new Raw(op, inputJson, now, namespace);
    }

    #step(answer) {
      // Every answer but `{"batch": …}` is final.
      if (!answer.startsWith('{"batch"')) {
        this.#op.free();
        this.#op = null;
      }
      return answer;
    }

    start() {
      return this.#step(this.#op.start());
    }

    resume(repliesJson) {
      return this.#step(this.#op.resume(repliesJson));
    }

    fail(message) {
      return this.#step(this.#op.fail(message));
    }
  }

  return { NativeSessions: glue.NativeSessions, NativeOp };
}
