// Types of `session-core-wasm/worker`, the ready Worker. They use the Workers runtime's types
// (`Request`, `DurableObjectNamespace`, the `cloudflare:workers` module): those of
// @cloudflare/workers-types, or the ones `wrangler types` writes. No node: module, no Node
// type.
import { DurableObject } from 'cloudflare:workers';

/**
 * The Worker's bindings (wrangler.toml): the two Durable Object namespaces, the variables of
 * `[vars]` (text, as wrangler passes them) and the secret AUTH_TOKEN. A Worker with bindings
 * of its own extends it: `interface MyEnv extends Env { MY_KV: KVNamespace }`.
 */
export interface Env {
  /** One SessionsObject per app, holding that app's sessions. */
  SESSIONS: DurableObjectNamespace<SessionsObject>;
  /** The registry of apps (one object, "apps"), for POST /sweep and GET /metrics. */
  APPS: DurableObjectNamespace<AppsObject>;
  /**
   * The shared secret (`wrangler secret put AUTH_TOKEN`): every request but GET /ping and GET
   * /health must carry `Authorization: Bearer <AUTH_TOKEN>`. Unset: no authentication.
   */
  AUTH_TOKEN?: string;
  /** The key prefix of the records ("rs"). */
  RS_NAMESPACE?: string;
  /** Milliseconds between the alarms that sweep each app's object ("60000"); "0": no alarms. */
  SWEEP_INTERVAL_MS?: string;
  /** The largest request body in bytes ("262144"); larger ones get 413 tooLarge. */
  BODY_LIMIT?: string;
  /** The most sessions in one soapp or soid answer ("10000"); "0": no cap. */
  MAX_LIST?: string;
  /** Tests only: "true" lets the x-session-core-now header set the clock. Never in production. */
  TEST_CLOCK?: string;
  /** Benchmarks only (the repository's bench/edge.mjs): "true" opens /_bench/<app>. Never in production. */
  BENCH?: string;
}

/** The Worker: rest-sessions' HTTP API, and the sweep of every app on a Cron Trigger. */
declare const worker: {
  fetch(request: Request, env: Env, ctx: ExecutionContext): Promise<Response>;
  /** One tick of the core's sweep policy over every app (`[triggers] crons` in wrangler.toml). */
  scheduled(controller: ScheduledController, env: Env, ctx: ExecutionContext): Promise<void>;
};
export default worker;

/**
 * One app's sessions in a Durable Object (binding SESSIONS, one object per app, named by the
 * app): its storage is the store, and its alarm sweeps it. Declare it in `new_sqlite_classes`.
 */
export declare class SessionsObject extends DurableObject<Env> {
  constructor(ctx: DurableObjectState, env: Env);
  fetch(request: Request): Promise<Response>;
  alarm(): Promise<void>;
}

/** The registry of apps (binding APPS): every app with an object. Declare it in `new_sqlite_classes`. */
export declare class AppsObject extends DurableObject<Env> {
  constructor(ctx: DurableObjectState, env: Env);
  fetch(request: Request): Promise<Response>;
}
