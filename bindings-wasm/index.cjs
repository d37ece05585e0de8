// session-core-wasm for Node.js (CommonJS): the same API as index.mjs. The glue (wasm-bindgen's
// nodejs target) reads and compiles the .wasm synchronously when required.
'use strict';
const glue = require('./pkg/session_core_wasm.cjs');
const { wasmBackend } = require('./backend.cjs');
const { makeSessionsClass, MapStore, SessionError } = require('session-core-driver');
const { DurableObjectStore } = require('./durable-object-store.cjs');

const Sessions = makeSessionsClass(wasmBackend(glue));

module.exports = { Sessions, MapStore, SessionError, DurableObjectStore, default: Sessions };
