// AppsObject: the registry of apps, one Durable Object (named "apps") that lists every app
// with an object, for the routes that span all apps (POST /sweep, GET /metrics).
import { DurableObject } from 'cloudflare:workers';
import { json } from './engine.mjs';

/** The registry's key of an app: APP_KEY + app. */
const APP_KEY = 'a\u0000';

export class AppsObject extends DurableObject {
  #storage;

  constructor(state, env) {
    super(state, env);
    this.#storage = state.storage;
  }

  async fetch(request) {
    if (request.method === 'PUT') {
      const { app } = await request.json();
      await this.#storage.put(APP_KEY + app, true);
      return new Response(null, { status: 204 });
    }
    const apps = [];
    const page = 1000;
    for (let startAfter; ;) {
      const keys = [...(await this.#storage.list({ prefix: APP_KEY, startAfter, limit: page })).keys()];
      for (const k of keys) apps.push(k.slice(APP_KEY.length));
      if (keys.length < page) break;
      startAfter = keys.at(-1);
    }
    return json(apps);
  }
}
