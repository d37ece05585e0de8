// A Worker project's entry, as the README's quick start writes it (and as worker/template's
// src/index.js does): session-core-wasm's Worker, re-exported. Type-checked under the Workers
// runtime's types alone (@cloudflare/workers-types; no @types/node, no skipLibCheck).
export { default, SessionsObject, AppsObject } from 'session-core-wasm/worker';
