// Typed answers: how the embedded engine's fast path answers (the core's host.rs,
// `MemoryHost::call_typed`). When a caller passes the usual types (strings, whole numbers, a
// plain object for `d`), they cross to the engine as they are, and a session comes back as
// its numbers in a shared Float64Array plus one text of id, ip and d, instead of one JSON
// answer. The engine validates typed arguments exactly as it validates the option object, so
// both paths give the same answers and errors (the conformance vectors run through both).
import { settle } from './events.mjs';

/** The Float64Array a typed call writes its answer's numbers into (one per Sessions). */
export function typedOut() {
  return new Float64Array(8);
}

/**
 * The result of a typed call, from its text and `out`: `out[0]` says what the text is.
 * 0: null; 1: a session, as its numbers in `out` and one text of id, ip and d; 2: a token;
 * 3: a whole answer (an error, or events somebody listens to), settled on `emitter` (an
 * error answer throws).
 */
export function typedValue(text, out, emitter) {
  switch (out[0]) {
    case 0:
      return null;
    case 1: {
      const a = out[5];
      const b = a + out[6];
      const s = { id: text.slice(0, a), r: out[1], w: out[2], ttl: out[3], idle: out[4], ip: text.slice(a, b) };
      const flags = out[7];
      if (flags & 2) s.d = JSON.parse(text.slice(b));
      if (flags & 1) s.no_resave = true;
      return s;
    }
    case 2:
      return { token: text };
    default:
      return settle(emitter, JSON.parse(text));
  }
}
