// session-core-driver: the JavaScript driver that session-core (napi) and session-core-wasm
// both build their `Sessions` class with, from this one source. Each module holds one concern:
//
//   emitter.mjs         Emitter, the event emitter of runtimes without node:events
//   errors.mjs          SessionError, and how answers and store failures become one
//   json.mjs            options and `d` as the JSON the core parses
//   events.mjs          the core's events on the Sessions (an emitter); settling an answer
//   typed.mjs           the embedded engine's typed answers (the fast path)
//   queue.mjs           the per-session queue (keyed by the machine's lock key)
//   sweep.mjs           sweeping as the core's policy says: inside calls, or on a timer
//   js-store.mjs        the loop that runs an operation against a store written in JS
//   map-store.mjs       MapStore, the reference store, and compareMembers
//   redis-sessions.mjs  the redis-sessions compatibility shell
//   embedded.mjs        the embedded engine's operations, answered at once
//   sessions.mjs        the Sessions class over a backend
//   sessions-sync.mjs   SessionsSync: the same methods returning values (embedded store)
//   dropins/            token-session, users-session-manager and jwt-redis-session stand-ins
export { Emitter } from './emitter.mjs';
export { SessionError } from './errors.mjs';
export { compareMembers, MapStore } from './map-store.mjs';
export { makeRedisSessionsClass } from './redis-sessions.mjs';
export { makeSessionsClass } from './sessions.mjs';
export { makeSessionsSyncClass } from './sessions-sync.mjs';
export { makeTokenSessionClass } from './dropins/token-session.mjs';
export { makeSessionManagerClass } from './dropins/session-manager.mjs';
