// session-core-wasm for Node.js (CommonJS): the same API as index.mjs. The glue (wasm-bindgen's
// nodejs target) reads and compiles the .wasm synchronously when required, so `init()` and
// `initSync()` have nothing left to do. As in session-core, Sessions is an EventEmitter.
'use strict';
const { EventEmitter } = require('node:events');
const glue = require('./pkg/session_core_wasm.cjs');
const { wasmBackend } = require('./backend.cjs');
const { makeSessionsClass, MapStore, SessionError } = require('session-core-driver');
const { DurableObjectStore } = require('./durable-object-store.cjs');

const Sessions = makeSessionsClass(wasmBackend(glue), { EventEmitter });

/** The module is loaded already: resolves at once. */
const init = () => Promise.resolve();
/** The module is loaded already: does nothing. */
const initSync = () => undefined;

module.exports = { Sessions, MapStore, SessionError, DurableObjectStore, init, initSync, default: Sessions };
