// The inputs of the redis-sessions drop-in: redis-sessions 4's own checks and errors, ported
// from its source (dist/index.js: `VALID`, `_validate`, `_handleError`) so that the same
// input fails the same way, with the same message, typos included ("d must containt at least
// one key."), and an error object of the same shape; then the values that pass, as
// session-core's engine takes them.

/**
 * An error as redis-sessions' `_handleError` makes one: `new Error(name)` whose `name` and
 * `message` are then set (own properties; nothing else).
 */
export function rsError(name, message) {
  const e = new Error(name);
  e.name = name;
  e.message = message;
  return e;
}

/**
 * node-redis' error for a call on a client after `quit()`, which every redis-sessions method
 * (and a second `quit()`) rejects with once its input passed: an Error named "Error".
 */
export class ClientClosedError extends Error {
  constructor() {
    super('The client is closed');
  }
}

// lodash's checks, as redis-sessions calls them (`_.isString`, `_.isNumber`, `_.isBoolean`,
// `_.isObject`, `_.isArray`), for the values they meet here.
const tag = (v) => Object.prototype.toString.call(v);
const objectLike = (v) => typeof v === 'object' && v !== null;
const isString = (v) => typeof v === 'string' || (!Array.isArray(v) && objectLike(v) && tag(v) === '[object String]');
const isNumber = (v) => typeof v === 'number' || (objectLike(v) && tag(v) === '[object Number]');
const isBoolean = (v) => v === true || v === false || (objectLike(v) && tag(v) === '[object Boolean]');
const isObject = (v) => v !== null && (typeof v === 'object' || typeof v === 'function');

const VALID = {
  app: /^([\w-]){3,20}$/,
  id: /^(.*?){1,128}$/,
  ip: /^.{1,39}$/,
  token: /^([\dA-Za-z]){64}$/,
};

function missing(item) {
  return rsError('missingParameter', `No ${item} supplied`);
}

function invalidValue(msg) {
  return rsError('invalidValue', msg);
}

/** redis-sessions' `_validate(o, items)`: throws the first error, as it does. */
export function validate(o, items) {
  for (const item of items) {
    switch (item) {
      case 'app':
      case 'id':
      case 'ip':
      case 'token': {
        const value = o[item];
        if (!value) throw missing(item);
        if (!VALID[item].test(value)) throw rsError('invalidFormat', `Invalid ${item} format`);
        break;
      }
      case 'ttl': {
        const ttl = Number.parseInt(o.ttl ? `${o.ttl}` : '7200', 10);
        if (Number.isNaN(ttl) || ttl < 10) throw invalidValue('ttl must be a positive integer >= 10');
        break;
      }
      case 'deltaTime': {
        const dt = Number.parseInt(`${o[item]}`, 10);
        if (Number.isNaN(dt) || dt < 10) throw invalidValue('deltaTime must be a positive integer >= 10');
        break;
      }
      case 'd': {
        if (!o[item]) throw missing(item);
        if (!isObject(o.d) || Array.isArray(o.d)) throw invalidValue('d must be an object');
        const keys = Object.keys(o.d);
        if (keys.length === 0) throw invalidValue('d must containt at least one key.');
        for (const e of keys) {
          const v = o.d[e];
          if (!isString(v) && !isNumber(v) && !isBoolean(v) && v !== null) {
            throw invalidValue(`d.${e} has a forbidden type. Only strings, numbers, boolean and null are allowed.`);
          }
        }
        break;
      }
      default:
        // `no_resave`: not checked.
        break;
    }
  }
}

/** `d` as the engine takes it: the values JSON gives (a number that is not finite is null). */
export function engineData(d) {
  const out = {};
  for (const k of Object.keys(d)) {
    const v = d[k];
    out[k] = v === null || typeof v !== 'object' ? (typeof v === 'number' && !Number.isFinite(v) ? null : v) : v.valueOf();
  }
  return out;
}

/** A whole number of seconds as redis-sessions reads one (`parseInt` of its text). */
export function seconds(v, fallback) {
  return Number.parseInt(v ? `${v}` : fallback, 10);
}

/**
 * A session as redis-sessions answers one: `{id, r, w, ttl, idle, ip, no_resave?, d?}`, in
 * that key order (its `_prepareSession`), without session-core's listing `handle`.
 */
export function rsSession(s) {
  const o = { id: s.id, r: s.r, w: s.w, ttl: s.ttl, idle: s.idle, ip: s.ip };
  if (s.no_resave) o.no_resave = true;
  if (s.d !== undefined) o.d = s.d;
  return o;
}

/**
 * An error of session-core's engine, for an input that passed redis-sessions' checks, as
 * redis-sessions shapes errors (its name and message; no `code` or `field`).
 */
export function rsShaped(e) {
  if (e instanceof Error && typeof e.code === 'string' && e.code === e.name) return rsError(e.name, e.message);
  return e;
}
