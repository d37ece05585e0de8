// The JS-store loop: one operation against a store written in JavaScript. The machine
// (NativeOp, the core's WireOp) answers batches of store commands; this loop hands each batch
// to `store.apply` and the replies back, until the machine answers the operation's result.
// All session logic stays in the machine: a conflict, a bad reply or a thrown error is the
// machine's to judge (retry, or storeError).
import { describe } from './errors.mjs';

/** Checks `options.store` (TypeError when it is no store). */
export function checkStore(store) {
  if (typeof store?.apply !== 'function') {
    throw new TypeError('options.store must have an apply(batch) method');
  }
  return store;
}

/**
 * Runs a started machine (`new NativeOp(...)`) against `store`; resolves to its final answer,
 * parsed (`{done, events}` or `{error, events}`).
 */
export async function runOnStore(machine, store) {
  let answer = JSON.parse(machine.start());
  while (answer.batch !== undefined) {
    let next;
    try {
      let replies = store.apply(answer.batch);
      // Any thenable, callable ones too: a Durable Object RPC call returns a function with `then`.
      if (replies != null && typeof replies.then === 'function') replies = await replies;
      next = machine.resume(JSON.stringify(replies) ?? 'null');
    } catch (e) {
      next = machine.fail(describe(e));
    }
    answer = JSON.parse(next);
  }
  return answer;
}
