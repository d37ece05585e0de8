// A ready Cloudflare Worker: rest-sessions' HTTP API over session-core-wasm, with one Durable
// Object per app holding that app's sessions (records and indexes in the object's storage;
// expiry swept by alarms).
//
// The Worker keeps no REST rule of its own: the core's `rest` module (through the wasm
// module, `engine.rest`) names the route, builds the operation's option object from the path,
// query and body, and shapes every answer and error exactly as the REST server's. The Worker
// reads the request, checks the input with the engine (bad input never reaches an object),
// sends it to the app's object, and writes the reply.
//
// Two routes span every app: POST /sweep and GET /metrics. They find the apps in a registry,
// one more Durable Object (AppsObject, binding APPS), where each app's object enters its app
// on its first session. A Cron Trigger (`[triggers] crons` in wrangler.toml) sweeps every app
// the same way: each event runs one tick of the core's timed sweep policy over all apps.
//
// This is the module `session-core-wasm/worker`: a Worker re-exports it (`export { default,
// SessionsObject, AppsObject } from 'session-core-wasm/worker'`), and wrangler bundles it
// with the .wasm. It imports no node: module (no `nodejs_compat` needed).
//
// Environment (wrangler.toml [vars]; the `Env` type of worker/index.d.ts):
//   RS_NAMESPACE       key prefix, "rs"
//   SWEEP_INTERVAL_MS  alarm period, 60000; "0": no alarms (a Worker swept by its Cron Trigger)
//   BODY_LIMIT         bytes, 262144
//   MAX_LIST           the most sessions in one soapp or soid answer, 10000 (larger listings
//                      come in pages with a cursor); 0: no cap
//   TEST_CLOCK         "true" lets the x-session-core-now header set the clock (tests only, as
//                      the server's --test-clock), and the x-session-core-scope header give a
//                      request objects of its own, so that each conformance vector runs on
//                      empty storage
// Secret (`wrangler secret put AUTH_TOKEN`): AUTH_TOKEN, the shared secret every request but
// the probes (/ping and /health, GET or HEAD, as the router reads paths) must carry as
// `Authorization: Bearer <token>`, as the server's --auth-token.
import { engine, json, toResponse } from './engine.mjs';
import { callApp, countAll, sweepAll, sweepTick } from './objects.mjs';
import { openapi } from './openapi.mjs';

export { SessionsObject } from './sessions-object.mjs';
export { AppsObject } from './apps-object.mjs';

const { rest } = engine;

/** The body as text within BODY_LIMIT bytes: `{text}`, or `{reply}` refusing it. */
async function readBody(request, env) {
  const limit = Number(env.BODY_LIMIT ?? 262144);
  const tooLarge = () => ({ reply: JSON.parse(rest.bodyError('tooLarge', String(limit))) });
  // A Content-Length over the limit is refused before a byte is read.
  if (Number(request.headers.get('content-length') ?? 0) > limit) return tooLarge();
  // Read chunk by chunk and stop at the limit: a chunked body announces no length, and
  // reading it whole first would hold any size in memory.
  const chunks = [];
  let size = 0;
  try {
    if (request.body !== null) {
      const reader = request.body.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        size += value.byteLength;
        if (size > limit) {
          await reader.cancel().catch(() => {});
          return tooLarge();
        }
        chunks.push(value);
      }
    }
  } catch (e) {
    return { reply: JSON.parse(rest.bodyError('unreadable', String(e?.message ?? e))) };
  }
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    bytes.set(c, at);
    at += c.byteLength;
  }
  return { text: new TextDecoder().decode(bytes) };
}

/** Checks `input` for `op` with the engine (no store work): the error answer, or null. */
function inputError(op, input) {
  const probe = new engine.NativeOp(op, JSON.stringify(input ?? null), 0, 'rs');
  try {
    const first = JSON.parse(probe.start());
    return first.error === undefined ? null : JSON.stringify({ error: first.error });
  } finally {
    probe.free();
  }
}

/** Runs a session operation named by the request, in its app's object. */
async function call(env, request, url, call) {
  let body = '';
  if (call.body) {
    const read = await readBody(request, env);
    if (read.reply !== undefined) return toResponse(read.reply);
    body = read.text;
  }
  const maxList = Number(env.MAX_LIST ?? 10000);
  const built = JSON.parse(rest.input(request.method, url.pathname, url.search.slice(1), body, maxList));
  if (built.reply !== undefined) return toResponse(built.reply);
  const { input } = built;
  let answer = inputError(call.op, input);
  if (answer === null) {
    if (call.op === 'sweep' && input?.app === undefined) {
      answer = await sweepAll(env, request, input);
    } else {
      const app = typeof input?.app === 'string' ? input.app : '';
      answer = await callApp(env, request, app, call.op, input, call.metric);
    }
  }
  return toResponse(JSON.parse(rest.answer(answer)));
}

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    try {
      if (env.AUTH_TOKEN) {
        const refused = rest.auth(env.AUTH_TOKEN, url.pathname, request.headers.get('authorization') ?? undefined);
        if (refused !== '') return toResponse(JSON.parse(refused));
      }
      const bench = /^\/_bench\/([^/]+)$/.exec(url.pathname);
      if (bench !== null && env.BENCH === 'true') {
        // Benchmarks only (bench/edge.mjs): a loop of operations inside one request.
        const stub = env.SESSIONS.get(env.SESSIONS.idFromName(bench[1]));
        const input = { ...JSON.parse((await request.text()) || '{}'), app: bench[1] };
        return stub.fetch('https://sessions/call', { method: 'POST', body: JSON.stringify({ op: '_bench', input }) });
      }
      const routed = JSON.parse(rest.route(request.method, url.pathname));
      if (routed.reply !== undefined) return toResponse(routed.reply);
      switch (routed.endpoint) {
        case 'health':
          return json({ status: 'ok', store: 'durable-object' });
        case 'openapi':
          return json(openapi);
        case 'metrics':
          return new Response(rest.metrics(JSON.stringify(await countAll(env, request))), {
            headers: { 'content-type': 'text/plain; version=0.0.4' },
          });
        default:
          return await call(env, request, url, routed.call);
      }
    } catch (e) {
      const message = `Store error: ${e?.message ?? e}`;
      return toResponse(JSON.parse(rest.answer(JSON.stringify({ error: { name: 'storeError', message } }))));
    }
  },

  /** A Cron Trigger: one tick of the core's sweep policy over every app. */
  async scheduled(controller, env) {
    await sweepTick(env);
  },
};
