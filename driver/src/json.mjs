// JSON conversion: the option object (or `d` alone) as the JSON text the core parses. The
// only place where a JS value is turned into input for the engine, so that both paths (the
// whole option object, and the typed fast path with `d` alone) treat odd values the same.
//
// JSON.stringify silently turns NaN and Infinity into null (which would delete a key of `d`)
// and drops functions and symbols (which would hide a wrong value). Values with no JSON form
// are sent as [], which the core rejects with the right error for the field (not a string,
// not a number, not a scalar). The scan is shallow because options are: fields plus `d`.

const NO_JSON = [];

function unrepresentable(v) {
  const t = typeof v;
  if (t === 'number') return !Number.isFinite(v);
  return t === 'bigint' || t === 'function' || t === 'symbol';
}

function replacer(_key, v) {
  return unrepresentable(v) ? NO_JSON : v;
}

function needsReplacer(options) {
  for (const k in options) {
    const v = options[k];
    if (unrepresentable(v)) return true;
    if (k === 'd' && typeof v === 'object' && v !== null) {
      for (const dk in v) if (unrepresentable(v[dk])) return true;
    }
  }
  return false;
}

/** The option object as the JSON the core parses. */
export function optionsJson(options) {
  if (options === undefined || options === null || typeof options !== 'object') return '{}';
  return JSON.stringify(options, needsReplacer(options) ? replacer : undefined);
}

/** A plain object, as `d` must be. */
export function isObject(v) {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** `d` as the JSON the core parses (values with no JSON form as in optionsJson). */
export function dataJson(d) {
  for (const k in d) if (unrepresentable(d[k])) return JSON.stringify(d, replacer);
  return JSON.stringify(d);
}

/** A whole number of seconds the typed fast path can pass, absent (-1), or undefined: not one. */
export function secondsArg(v) {
  if (v === undefined) return -1;
  return Number.isSafeInteger(v) && v >= 0 ? v : undefined;
}
