// The conformance vectors (tests/vectors) on the Redis backend: `new Sessions({ redis })` over
// a real redis-server, with the injected clock, automatic sweeping off, and a fresh namespace
// per case (so each case starts on an empty store).
import { after } from 'node:test';
import { Sessions } from 'session-core';
import { startRedis } from '../../tests/js/redis-server.mjs';
import { runVectors } from '../../tests/js/vectors.mjs';

const redis = await startRedis();
const opened = [];
after(async () => {
  await Promise.all(opened.map((s) => s.quit()));
  await redis.close();
});

let cases = 0;
runVectors('Redis store', (clock) => {
  const s = new Sessions({ redis: redis.url, namespace: `vec${++cases}`, clock, wipe: 0 });
  opened.push(s);
  return s;
});
