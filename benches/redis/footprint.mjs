// Bytes of Redis memory per session: session-core, redis-sessions 4.0.0 and connect-redis 7
// (express-session's Redis store), each in a redis-server of its own (started here, on a spare
// port, without persistence). Each stores 100,000 sessions with the same data (3 small keys)
// and the same client address; `used_memory` before and after, divided by the sessions.
// Measured twice: every session of a user of its own, and two sessions per user (a phone and
// a laptop), since session-core and redis-sessions keep per-user indexes.
// Run: `npm run bench` (here or at the repository root).
import connectRedis from 'connect-redis';
import session from 'express-session';
import { createClient } from 'redis';
import redisSessions from 'redis-sessions';
import { Sessions } from 'session-core';
import { startRedis } from '../../tests/js/redis-server.mjs';

const N = Number(process.env.FOOTPRINT_SESSIONS ?? 100_000);
const IN_FLIGHT = 64;
const APP = 'bench';
const IP = '192.168.1.10';
const data = () => ({ theme: 'dark', cart: 3, admin: false });
const RedisSessions = redisSessions.default ?? redisSessions;
const RedisStore = connectRedis.default ?? connectRedis;

async function usedMemory(redis) {
  const info = await redis.command('INFO', 'memory');
  return Number(/^used_memory:(\d+)/m.exec(info)[1]);
}

/** Runs `create(i)` for i in 0..N, IN_FLIGHT at a time. */
async function createAll(create) {
  for (let i = 0; i < N; i += IN_FLIGHT) {
    await Promise.all(Array.from({ length: Math.min(IN_FLIGHT, N - i) }, (_, j) => create(i + j)));
  }
}

const contenders = {
  'session-core': async (url, port, perUser) => {
    const s = new Sessions({ redis: url, wipe: 0 });
    return {
      create: (i) => s.create({ app: APP, id: `user${Math.floor(i / perUser)}`, ip: IP, d: data() }),
      close: () => s.quit(),
    };
  },
  'redis-sessions 4.0.0': async (url, port, perUser) => {
    const s = new RedisSessions({ host: '127.0.0.1', port, wipe: 0 });
    return {
      create: (i) => s.create({ app: APP, id: `user${Math.floor(i / perUser)}`, ip: IP, ttl: 7200, d: data() }),
      close: () => s.quit(),
    };
  },
  'connect-redis 7 (express-session)': async (url) => {
    const client = createClient({ url });
    await client.connect();
    const store = new RedisStore({ client });
    const cookie = new session.Cookie({ maxAge: 7_200_000 });
    return {
      // What express-session stores for a session with these 3 keys (no per-user index).
      create: (i) =>
        new Promise((resolve, reject) =>
          store.set(`sid${i}-${Math.random().toString(36).slice(2, 12)}`, { cookie, ...data() }, (e) =>
            e ? reject(e) : resolve(),
          ),
        ),
      close: () => client.quit(),
    };
  },
};

const results = {};
for (const perUser of [1, 2]) {
  for (const [name, open] of Object.entries(contenders)) {
    const redis = await startRedis();
    const c = await open(redis.url, redis.port, perUser);
    const before = await usedMemory(redis);
    await createAll(c.create);
    const after = await usedMemory(redis);
    await c.close();
    await redis.close();
    (results[name] ??= {})[perUser] = (after - before) / N;
  }
}

const fmt = (x) => Math.round(x).toLocaleString('en-US');
console.log(`\nRedis memory per session (used_memory before and after ${N.toLocaleString('en-US')} sessions; data: 3 small keys)\n`);
console.log('| store | bytes per session, one session per user | two sessions per user |');
console.log('|---|---:|---:|');
for (const [name, r] of Object.entries(results)) console.log(`| ${name} | ${fmt(r[1])} | ${fmt(r[2])} |`);
const sc = results['session-core'];
console.log(
  `\ntarget: at most 500 bytes per session (session-core): ${sc[1] <= 500 ? 'met' : `NOT met with one session per user (${fmt(sc[1])})`}` +
    (sc[2] <= 500 ? `; met with two per user (${fmt(sc[2])})` : `; NOT met with two per user (${fmt(sc[2])})`),
);
