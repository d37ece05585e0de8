// The conformance vectors through the ready Worker inside a real workerd (miniflare 3): every
// step is one HTTP request to `POST /v1/{op}` with the JS option object as its body, served by
// the app's Durable Object on its storage. Each case gets objects of its own (the test-only
// x-session-core-scope header) and carries the vector's clock (x-session-core-now), as the
// REST server's HTTP vectors do. HTTP has no events, so event checks are not observable here;
// an unknown token's `null` arrives as rest-sessions' `{}`.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { loadVectors, runVectors } from '../../tests/js/vectors.mjs';
import { startWorker } from './workerd.mjs';

const persist = mkdtempSync(join(tmpdir(), 'session-core-worker-vectors-'));
// Alarms sweep by the real clock: far enough off that no case sees one.
const mf = startWorker({ persist, bindings: { TEST_CLOCK: 'true', SWEEP_INTERVAL_MS: '86400000' } });
after(async () => {
  await mf.dispose();
  rmSync(persist, { recursive: true, force: true });
});

/** Every operation the vectors use. */
const OPERATIONS = new Set(loadVectors().flatMap((f) => f.cases.flatMap((c) => c.steps.map((s) => s.op))));

class SessionError extends Error {
  constructor(name, message) {
    super(message);
    this.name = name;
  }
}

/** The Sessions API, each call one request to the Worker, in a scope of its own. */
function httpSessions(clock, scope) {
  const call = async (op, input) => {
    const res = await mf.dispatchFetch(`http://localhost/v1/${op}`, {
      method: 'POST',
      body: JSON.stringify(input ?? null),
      headers: { 'x-session-core-now': String(clock()), 'x-session-core-scope': scope },
    });
    const body = await res.json();
    if (res.status !== 200) throw new SessionError(body.error, body.message);
    return body !== null && typeof body === 'object' && Object.keys(body).length === 0 ? null : body;
  };
  const api = { on() {} };
  for (const op of OPERATIONS) api[op] = (input) => call(op, input);
  return api;
}

let cases = 0;
runVectors('the Worker over HTTP (Durable Object store, workerd)', (clock) => httpSessions(clock, `case-${++cases}`), undefined, {
  events: false,
});
