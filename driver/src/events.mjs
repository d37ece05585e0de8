// Events: an answer's session events as 'created', 'destroyed' and 'expired' on the Sessions
// (an event emitter: node:events' EventEmitter, or the driver's Emitter), and `settle`, which every engine path ends with: events first, then the
// result or the error. The events themselves come from the core; this maps them to names.
import { toError } from './errors.mjs';

/** Emits the core's events on `emitter`; a throwing listener never fails the call. */
export function emitEvents(emitter, events) {
  for (const e of events) {
    try {
      if (e.type === 'created') {
        emitter.emit('created', e);
      } else {
        emitter.emit('destroyed', e);
        if (e.reason === 'expired') emitter.emit('expired', e);
      }
    } catch (err) {
      // A throwing listener must not turn a stored result into a rejection: it goes to the
      // 'error' listeners, or, with none, is rethrown outside the call (an uncaught exception,
      // as from any event handler).
      if (emitter.listenerCount('error') > 0) {
        emitter.emit('error', err);
      } else {
        queueMicrotask(() => {
          throw err;
        });
      }
    }
  }
}

/** Emits an answer's events, then gives its result or throws its error. */
export function settle(emitter, answer) {
  if (answer.events.length > 0) emitEvents(emitter, answer.events);
  if (answer.error !== undefined) throw toError(answer.error);
  return answer.done;
}

/** Whether anybody listens to session events (if not, the engine does not send them). */
export function listened(emitter) {
  return emitter.listenerCount('created') + emitter.listenerCount('destroyed') + emitter.listenerCount('expired') > 0;
}
