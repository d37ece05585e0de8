// Seconds of unavailability in a Sentinel failover, from Node: a master, a replica and three
// sentinels (down-after-milliseconds 1000, started here on spare ports); 16 callers get and set
// sessions through `redis+sentinel://`; the master is killed (SIGKILL). Prints the time from
// the kill to the first call that succeeds again, and the span of failed calls, for each of
// RUNS failovers (each on a fresh set). Without waitReplicas, so no restart of the old master
// is needed for writes to succeed. Run: `node failover.mjs` (here), or `npm run bench`.
import { Sessions } from 'session-core';
import { startSentinels } from '../../tests/js/redis-server.mjs';

const RUNS = Number(process.env.FAILOVER_RUNS ?? 3);
const CALLERS = 16;
const APP = 'bench';
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function once() {
  const set = await startSentinels();
  const s = new Sessions({ redis: set.url });
  const tokens = [];
  for (let i = 0; i < CALLERS; i++) tokens.push((await s.create({ app: APP, id: `u${i}`, ip: '::1' })).token);
  let killedAt = null;
  let firstFailure = null;
  let lastFailure = null;
  let backAt = null;
  let stop = false;
  const callers = tokens.map(async (token, i) => {
    for (let n = 0; !stop; n++) {
      try {
        if (n % 2 === 0) await s.get({ app: APP, token });
        else await s.set({ app: APP, token, d: { n } });
        if (killedAt !== null && firstFailure !== null && backAt === null) backAt = performance.now();
      } catch {
        const now = performance.now();
        firstFailure ??= now;
        lastFailure = now;
      }
      await sleep(i % 4); // a steady load, not a spin while calls fail fast
    }
  });
  await sleep(500);
  killedAt = performance.now();
  await set.servers[0].stop();
  while (backAt === null) await sleep(20);
  await sleep(200);
  stop = true;
  await Promise.all(callers);
  await s.quit();
  await set.close();
  return { back: (backAt - killedAt) / 1000, failing: (lastFailure - firstFailure) / 1000 };
}

console.log(`Sentinel failover (down-after 1 s, ${CALLERS} callers, get/set): seconds from SIGKILL of the master`);
console.log('run | until calls succeed again | span of failed calls');
for (let r = 1; r <= RUNS; r++) {
  const { back, failing } = await once();
  console.log(`${r} | ${back.toFixed(2)} s | ${failing.toFixed(2)} s`);
}
