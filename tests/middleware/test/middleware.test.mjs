// The middleware of every framework (Express, Fastify, Hono on Node), each on a real server on
// a loopback port, driven by fetch, on the embedded store and on a real redis-server: the
// same behaviour everywhere.
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { Sessions } from 'session-core';
import { startRedis } from '../../js/redis-server.mjs';
import { frameworks } from './apps.mjs';
import { counting } from './routes.mjs';
import { behaviour } from './suite.mjs';

let redis;
before(async () => {
  redis = await startRedis();
});
after(async () => {
  await redis?.close();
});

const quits = [];
after(async () => {
  for (const s of quits) await s.quit();
});

let apps = 0;
/** A fresh app name per test, so that tests on one store never see each other's sessions. */
const nextApp = () => `mw${++apps}x${randomBytes(3).toString('hex')}`;

const stores = {
  embedded: () => new Sessions(),
  redis: () => {
    const s = new Sessions({ redis: redis.url });
    quits.push(s);
    return s;
  },
};

/** A server of `framework` over a counting Sessions of `store`. */
async function start(framework, store) {
  const inner = stores[store]();
  const sessions = counting(inner);
  const app = nextApp();
  const errors = [];
  const server = await frameworks[framework]({ sessions, app, onError: (e) => errors.push(e) });
  return {
    ...server,
    calls: async () => ({ ...sessions.calls }),
    peek: (token) => inner.get({ app, token }),
    errors: async () => errors.map((e) => ({ name: e.name, field: e.field })),
  };
}

for (const framework of Object.keys(frameworks)) {
  for (const store of Object.keys(stores)) {
    describe(`${framework} on the ${store} store`, () => behaviour(() => start(framework, store)));
  }
}
