// What the drop-ins share: session data of any JSON shape over the core's flat `d`, and
// Node-style callbacks next to Promises.
//
// The core keeps `d` flat (strings, numbers, booleans), and merges it key by key. The
// packages these drop-ins replace keep any JSON value under a key (`req.session.user = {...}`),
// so each top-level value is stored as its JSON text: the core still merges key by key, and
// concurrent updates of different keys still keep both.

/** `data`'s keys as the core's `d`: each value as its JSON text; `null` (delete) stays null. */
export function encodeData(data) {
  const d = {};
  for (const key of Object.keys(data)) {
    const v = data[key];
    if (v === undefined || typeof v === 'function') continue;
    d[key] = v === null ? null : JSON.stringify(v);
  }
  return d;
}

/** The core's `d` back as the values `encodeData` was given. */
export function decodeData(d) {
  const data = {};
  if (d !== undefined && d !== null) for (const key of Object.keys(d)) data[key] = JSON.parse(d[key]);
  return data;
}

/**
 * `promise` as the caller asked: with a `callback`, `callback(err, value)` (nothing is
 * returned); without one, the Promise.
 */
export function answer(promise, callback) {
  if (typeof callback !== 'function') return promise;
  // Called outside the Promise chain: a throwing callback is an uncaught exception, as with
  // any Node callback, not a rejection nobody handles.
  promise.then(
    (v) => queueMicrotask(() => callback(null, v)),
    (e) => queueMicrotask(() => callback(e)),
  );
  return undefined;
}

/** Whether `v` looks like a Sessions instance (duck-typed: any binding's class will do). */
export { isSessions } from '../middleware/options.mjs';
