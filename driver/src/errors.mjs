// Errors: the one error class every operation rejects with, and how the core's error answers
// and a store's failures become one. Kept apart so that every other module (and every user)
// meets the same class.

/**
 * The error every operation rejects with. `name` and `code` are the core's error name
 * (redis-sessions' `missingParameter`, `invalidFormat`, `invalidValue`, or `storeError`,
 * `conflict`, `tooLarge`); `message` is the core's text, which names the field; `field` is
 * the input field at fault, when there is one.
 */
export class SessionError extends Error {
  constructor(name, message, field) {
    super(message);
    this.name = name;
    this.code = name;
    if (field !== undefined) this.field = field;
  }
}

/** The core's `{name, message, field?}` as a SessionError. */
export function toError(e) {
  return new SessionError(e.name, e.message, e.field);
}

/** A failure of the store (or of a remote engine) as the core words it. */
export function storeError(message) {
  return new SessionError('storeError', `Store error: ${message}`);
}

/** What a thrown value says about itself, for a storeError's message. */
export function describe(thrown) {
  if (thrown instanceof Error) return thrown.message || thrown.name;
  return String(thrown);
}
