// One app of the benchmark, in its own process: `node app.mjs VARIANT PORT [REDIS_URL]`.
// Every variant is the same Express app: POST /login?user=U makes a session; GET / reads the
// session and increments a counter in it. VARIANT picks the sessions:
//
//   bare                    no sessions at all (the ceiling): a counter in a Map
//   session-core            session-core/express, the embedded store
//   session-core-redis      session-core/express over Redis ({ redis: url })
//   express-session-memory  express-session with its MemoryStore
//   express-session-redis   express-session with connect-redis, on the same Redis

import express from 'express';
import expressSession from 'express-session';
import RedisStore from 'connect-redis';
import { createClient } from 'redis';
import { session } from 'session-core/express';

const [variant, port, redisUrl] = process.argv.slice(2);
const app = express();
app.set('etag', false);
app.disable('x-powered-by');

/** What each variant's routes do with its session: `login(req, res, user)` and `bump(req)`. */
let sessions;
if (variant === 'bare') {
  const counts = new Map();
  sessions = {
    login: async (req, res, user) => counts.set(user, 0),
    bump: (req) => {
      const user = req.headers['x-user'];
      const n = (counts.get(user) ?? 0) + 1;
      counts.set(user, n);
      return n;
    },
  };
} else if (variant === 'session-core' || variant === 'session-core-redis') {
  const options = { app: 'bench', cookie: { secure: false } };
  if (variant === 'session-core-redis') options.redis = redisUrl;
  app.use(session(options));
  sessions = {
    login: async (req, res, user) => {
      await req.session.logIn(user, { count: 0 });
    },
    bump: (req) => {
      const d = req.session.d;
      d.count = (typeof d.count === 'number' ? d.count : 0) + 1;
      return d.count;
    },
  };
} else if (variant === 'express-session-memory' || variant === 'express-session-redis') {
  let store;
  if (variant === 'express-session-redis') {
    const client = createClient({ url: redisUrl });
    await client.connect();
    store = new RedisStore({ client, prefix: 'bench:' });
  } else {
    store = new expressSession.MemoryStore();
  }
  app.use(expressSession({ secret: 'benchmark secret', resave: false, saveUninitialized: false, store }));
  sessions = {
    login: async (req, res, user) => {
      req.session.user = user;
      req.session.count = 0;
    },
    bump: (req) => {
      req.session.count = (req.session.count ?? 0) + 1;
      return req.session.count;
    },
  };
} else {
  throw new Error(`unknown variant ${variant}`);
}

app.post('/login', async (req, res, next) => {
  try {
    await sessions.login(req, res, req.query.user);
    res.json({ ok: true });
  } catch (e) {
    next(e);
  }
});
app.get('/', (req, res) => res.json({ count: sessions.bump(req) }));
app.listen(Number(port), '127.0.0.1', () => console.log(`listening ${port}`));

// For profiling (see the README): exit by itself after APP_EXIT_AFTER seconds.
if (process.env.APP_EXIT_AFTER) setTimeout(() => process.exit(0), Number(process.env.APP_EXIT_AFTER) * 1000);
