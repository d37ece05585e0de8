// The embedded engine's operations, answered at once: one native call runs a whole
// operation. `Sessions` wraps these answers in Promises and `SessionsSync` returns them, so
// both classes take the same paths (the typed fast path when the caller gave the usual
// types, else the option object as JSON) and give the same answers and errors.
import { listened, settle } from './events.mjs';
import { dataJson, isObject, optionsJson, secondsArg } from './json.mjs';
import { typedValue } from './typed.mjs';

/** Settles a JSON answer of `native.call(op, ...)` on `emitter`. */
export function embeddedCall(native, op, options, now, emitter) {
  const input = optionsJson(options);
  return settle(emitter, JSON.parse(native.call(op, input, now())));
}

/** `create`: typed when the options have the usual types. `now` is the clock. */
export function embeddedCreate(native, options, now, emitter, out) {
  if (typeof options === 'object' && options !== null) {
    const { app, id, ip, d } = options;
    const noResave = options.no_resave;
    const ttl = secondsArg(options.ttl);
    const lifetime = secondsArg(options.lifetime);
    if (
      typeof app === 'string' &&
      typeof id === 'string' &&
      typeof ip === 'string' &&
      ttl !== undefined &&
      lifetime !== undefined &&
      (d === undefined || isObject(d)) &&
      (noResave === undefined || typeof noResave === 'boolean')
    ) {
      const data = d === undefined ? '' : dataJson(d);
      return typedValue(native.create(app, id, ip, ttl, data, noResave === true, lifetime, now(), listened(emitter), out), out, emitter);
    }
  }
  return embeddedCall(native, 'create', options, now, emitter);
}

/** `set`: typed when app and token are strings and `d` an object. */
export function embeddedSet(native, options, now, emitter, out) {
  if (typeof options === 'object' && options !== null) {
    const { app, token, d } = options;
    if (typeof app === 'string' && typeof token === 'string' && isObject(d)) {
      return typedValue(native.set(app, token, dataJson(d), now(), listened(emitter), out), out, emitter);
    }
  }
  return embeddedCall(native, 'set', options, now, emitter);
}

/** `get`, `touch` or `regenerate`: typed when app and token are strings. */
export function embeddedOnToken(native, op, options, now, emitter, out) {
  if (typeof options === 'object' && options !== null) {
    const { app, token } = options;
    if (typeof app === 'string' && typeof token === 'string') {
      return typedValue(native[op](app, token, now(), listened(emitter), out), out, emitter);
    }
  }
  return embeddedCall(native, op, options, now, emitter);
}
