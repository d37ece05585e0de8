// Emitter: the event emitter `Sessions` extends in runtimes without node:events (browsers,
// Cloudflare Workers without `nodejs_compat`, any bundle for the web). It keeps the part of
// node:events' EventEmitter that session-core's users call, with the same semantics, so that a
// program listening to `sessions.on('created', ...)` runs unchanged on either:
//
// - `on`/`addListener`, `once`, `off`/`removeListener` (the most recently added match; a
//   `once` listener is removed by the function given to `once`), `removeAllListeners`,
//   `emit` (true when something listened), `listenerCount`, `listeners`, `eventNames`;
// - `emit` calls the listeners registered when it starts, in order; a listener that throws
//   stops the emit and the exception propagates to the caller of `emit`;
// - `emit('error', err)` with no 'error' listener throws `err` (an Error as is; any other
//   value wrapped in an Error that says what it was).
//
// (The driver never lets a listener's exception reach an operation's caller: see events.mjs.)
// The Node entries of both packages pass node:events' EventEmitter instead (see
// makeSessionsClass), so that their Sessions stay `instanceof EventEmitter`.

/** The wrapper `once` registers: it knows the function it stands for. */
function onceWrapper(emitter, event, listener) {
  let fired = false;
  const wrapped = function (...args) {
    if (fired) return undefined;
    fired = true;
    emitter.off(event, wrapped);
    return listener.apply(this, args);
  };
  wrapped.listener = listener;
  return wrapped;
}

function checkListener(listener) {
  if (typeof listener !== 'function') {
    throw new TypeError(`The "listener" argument must be a function (got ${listener === null ? 'null' : typeof listener})`);
  }
}

export class Emitter {
  /** event name -> listeners, in the order they were added */
  #listeners = new Map();

  on(event, listener) {
    checkListener(listener);
    const list = this.#listeners.get(event);
    if (list === undefined) this.#listeners.set(event, [listener]);
    else list.push(listener);
    return this;
  }

  addListener(event, listener) {
    return this.on(event, listener);
  }

  once(event, listener) {
    checkListener(listener);
    return this.on(event, onceWrapper(this, event, listener));
  }

  off(event, listener) {
    checkListener(listener);
    const list = this.#listeners.get(event);
    if (list === undefined) return this;
    for (let i = list.length - 1; i >= 0; i--) {
      if (list[i] === listener || list[i].listener === listener) {
        list.splice(i, 1);
        if (list.length === 0) this.#listeners.delete(event);
        break;
      }
    }
    return this;
  }

  removeListener(event, listener) {
    return this.off(event, listener);
  }

  removeAllListeners(event) {
    if (event === undefined) this.#listeners.clear();
    else this.#listeners.delete(event);
    return this;
  }

  emit(event, ...args) {
    const list = this.#listeners.get(event);
    if (list === undefined) {
      if (event === 'error') {
        const err = args[0];
        if (err instanceof Error) throw err;
        const unhandled = new Error(`Unhandled error. (${describe(err)})`);
        unhandled.context = err;
        throw unhandled;
      }
      return false;
    }
    // The listeners as they are now: one added or removed by a listener takes effect next time.
    for (const listener of [...list]) listener.apply(this, args);
    return true;
  }

  listenerCount(event) {
    return this.#listeners.get(event)?.length ?? 0;
  }

  /** The listeners of `event` (for a `once` listener, the function given to `once`). */
  listeners(event) {
    return (this.#listeners.get(event) ?? []).map((l) => l.listener ?? l);
  }

  eventNames() {
    return [...this.#listeners.keys()];
  }
}

/**
 * The class a driver class extends: `options.EventEmitter` (the Node entries pass node:events'
 * EventEmitter, so that their instances stay `instanceof EventEmitter`), or `Emitter`.
 */
export function emitterBase(options) {
  const Base = options?.EventEmitter ?? Emitter;
  if (typeof Base !== 'function' || typeof Base.prototype?.emit !== 'function' || typeof Base.prototype.listenerCount !== 'function') {
    throw new TypeError('options.EventEmitter must be an event emitter class (with emit and listenerCount)');
  }
  return Base;
}

function describe(value) {
  if (typeof value === 'string') return `'${value}'`;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
