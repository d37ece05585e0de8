// The wasm module for the Worker's modules, loaded at import: the .wasm is imported as a
// compiled module (wrangler's and miniflare's default rule for *.wasm, also when the Worker
// is bundled from node_modules/session-core-wasm). `engine` is the backend `Sessions` runs on
// (the module's classes with the panic guard of backend.mjs): its REST rules (`engine.rest`)
// and its sweep policy come from the core.
import wasmModule from '../pkg/session_core_wasm_bg.wasm';
import { backend, initSync } from '../sessions.mjs';

initSync(wasmModule);

export const engine = backend;
export { Sessions, SessionError } from '../sessions.mjs';
export { DurableObjectStore } from '../durable-object-store.mjs';

/** A reply of the core's REST rules (`{status, type, body, headers}`) as a Response. */
export function toResponse(reply) {
  return new Response(reply.body, {
    status: reply.status,
    headers: { 'content-type': reply.type, ...reply.headers },
  });
}

/** A JSON answer of the Worker's own (health, the object calls between its parts). */
export const json = (body, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
