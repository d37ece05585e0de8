// The wasm module, with the panic guard of backend.mjs (the same classes `Sessions` uses),
// for the Worker's modules: its REST rules (`engine.rest`) and sweep policy come from the core.
import * as glue from '../pkg/session_core_wasm.js';
import { wasmBackend } from '../backend.mjs';

export const engine = wasmBackend(glue);

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
