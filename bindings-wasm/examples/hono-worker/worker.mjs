// A Worker with Hono and session-core: the app runs in the Worker, its sessions in a Durable
// Object, which applies each batch of store commands atomically.
import { DurableObject } from 'cloudflare:workers';
import { Hono } from 'hono';
import { DurableObjectStore, Sessions } from 'session-core-wasm';
import { authenticateRequest, session } from 'session-core-wasm/hono';

// The sessions' home: batches arrive over RPC; an alarm sweeps out expired sessions.
export class SessionStore extends DurableObject {
  store = new DurableObjectStore(this.ctx.storage);
  sessions = new Sessions({ store: this.store, autoSweep: false });

  async apply(batch) {
    if ((await this.ctx.storage.getAlarm()) === null) await this.ctx.storage.setAlarm(Date.now() + 600_000);
    return this.store.apply(batch);
  }

  async alarm() {
    const { more } = await this.sessions.sweep({ app: 'shop' });
    if (more) await this.ctx.storage.setAlarm(Date.now());
  }
}

// One Sessions per isolate; its store sends each batch to the object.
let sessions;
const sessionsOf = (env) =>
  (sessions ??= new Sessions({
    store: { apply: async (batch) => env.SESSIONS.get(env.SESSIONS.idFromName('shop')).apply(batch) },
    autoSweep: false, // the object's alarm sweeps
  }));

const app = new Hono();
app.use(session({ app: 'shop', sessions: (c) => sessionsOf(c.env) }));

app.post('/login', async (c) => {
  const { user } = await c.req.json(); // check the password here
  await c.get('session').logIn(user);
  return c.json({ ok: true });
});

app.get('/', authenticateRequest, (c) => {
  const s = c.get('session');
  s.d.visits = (s.d.visits ?? 0) + 1; // saved when the response goes out
  return c.json({ user: s.authenticatableID, visits: s.d.visits });
});

app.get('/devices', authenticateRequest, async (c) => c.json(await c.get('session').activeSessions()));

app.post('/logout', async (c) => c.json({ ok: await c.get('session').logOut() }));

export default app;
