// A TypeScript Worker built on session-core-wasm under the Workers runtime's types alone
// (@cloudflare/workers-types; no @types/node, no skipLibCheck): the ready Worker with a route
// of its own in front, its typed Env extended, its Durable Object classes, and a Durable
// Object of its own that keeps sessions in its SQLite-backed storage. Type-checked, never run.
import { DurableObject } from 'cloudflare:workers';
import sessionsWorker, { AppsObject, SessionsObject, type Env } from 'session-core-wasm/worker';
import {
  DurableObjectStore,
  init,
  initSync,
  Sessions,
  SessionError,
  type InitInput,
  type SessionEvent,
} from 'session-core-wasm';
import wasm from 'session-core-wasm/session_core_wasm_bg.wasm';
import { init as initWeb, Sessions as WebSessions } from 'session-core-wasm/web';
import { Sessions as WorkerdSessions } from 'session-core-wasm/workerd';

export { SessionsObject, AppsObject };

interface MyEnv extends Env {
  LOGINS: DurableObjectNamespace<Logins>;
  GREETING: string;
}

export default {
  async fetch(request, env, ctx) {
    if (new URL(request.url).pathname === '/hello') return new Response(env.GREETING);
    const stub = env.SESSIONS.get(env.SESSIONS.idFromName('shop'));
    void stub;
    return sessionsWorker.fetch(request, env, ctx);
  },
  async scheduled(controller, env, ctx) {
    await sessionsWorker.scheduled(controller, env, ctx);
  },
} satisfies ExportedHandler<MyEnv>;

/** A Durable Object of the app's own, with sessions in its storage. */
export class Logins extends DurableObject<MyEnv> {
  sessions = new Sessions({ store: new DurableObjectStore(this.ctx.storage), autoSweep: false });

  constructor(ctx: DurableObjectState, env: MyEnv) {
    super(ctx, env);
    this.sessions.on('created', (e: SessionEvent) => console.log(e.handle));
  }

  async fetch(request: Request): Promise<Response> {
    const ip = request.headers.get('cf-connecting-ip') ?? '::1';
    try {
      const { token } = await this.sessions.create({ app: 'shop', id: 'u1', ip });
      return Response.json(await this.sessions.get({ app: 'shop', token }));
    } catch (e) {
      if (e instanceof SessionError) return Response.json({ error: e.name, message: e.message }, { status: 400 });
      throw e;
    }
  }

  async alarm(): Promise<void> {
    await this.sessions.sweep();
  }
}

// The ready Worker's parts have the runtime's types.
const handler: ExportedHandler<Env> = sessionsWorker;
const fromClass: DurableObject<Env> = new SessionsObject({} as DurableObjectState, {} as Env);
void [handler, fromClass];

// Loading the module by hand (a compiled module here, as wrangler imports the .wasm).
export async function load(): Promise<void> {
  const source: InitInput = wasm;
  await init(source);
  initSync(new Uint8Array(8));
  initSync(wasm as WebAssembly.Module);
  await initWeb(fetch('https://example.com/session_core_wasm_bg.wasm'));
  await initWeb(new URL('https://example.com/session_core_wasm_bg.wasm'));
  new WebSessions();
  new WorkerdSessions();
  // @ts-expect-error not a source of the .wasm (WebAssembly.Module's type has no members, so
  // any object passes for one: null does not)
  await initWeb(null);
}
