// The differential run: seeded random sequences of operations and clock advances, each
// answered by the store under test and by the reference (MapStore), both through the same
// engine (`Sessions`) on the same clock, every answer compared. Tokens and handles are random,
// so they differ between the two: the run keeps each session's pair and compares answers with
// handles replaced by the session's number; lists and events are compared as multisets
// (their order among equal scores follows the random handles; the contract checks test the
// order itself).
import { AssertionError } from 'node:assert';
import { MapStore } from '../map-store.mjs';
import { random } from './random.mjs';

const APPS = ['diffapp', 'otherapp'];
const IDS = ['u0', 'u1', 'u2', 'user@example.com', 'Zoë 🚀', '42'];
const ADVANCES = [0, 1, 999, 1_000, 4_000, 9_999, 10_000, 30_000, 61_000, 600_000, 7_200_000];

/** One side of the run: a Sessions, its events, and its tokens and handles by session number. */
class Side {
  constructor(sessions) {
    this.sessions = sessions;
    this.events = [];
    this.tokens = [];
    this.handles = [];
    /** handle -> session number */
    this.numbers = new Map();
    const push = (e) => this.events.push(e);
    sessions.on('created', push);
    sessions.on('destroyed', push);
  }

  /** The handle the last `created` event gave, recorded as session `n`'s. */
  learn(n) {
    const created = this.events.find((e) => e.type === 'created');
    if (created === undefined) return;
    this.handles[n] = created.handle;
    this.numbers.set(created.handle, n);
  }

  /** `v` with every handle this side knows replaced by `#n`, events as a sorted list. */
  normal(v) {
    const walk = (x) => {
      if (Array.isArray(x)) return x.map(walk);
      if (x !== null && typeof x === 'object') {
        const out = {};
        for (const [k, y] of Object.entries(x)) {
          if (k === 'handle' && typeof y === 'string') out[k] = this.numbers.has(y) ? `#${this.numbers.get(y)}` : '?';
          else if (k === 'token' && typeof y === 'string') out[k] = '<token>';
          else out[k] = walk(y);
        }
        return out;
      }
      return x;
    };
    return walk(v);
  }
}

/** An answer (`{ok}` or `{error}`) with the sessions of a listing sorted: a multiset. */
function unordered(a) {
  const v = a.ok;
  if (v !== null && typeof v === 'object' && Array.isArray(v.sessions)) {
    const sessions = v.sessions.map((x) => JSON.stringify(x)).sort().map((x) => JSON.parse(x));
    return { ok: { ...v, sessions } };
  }
  return a;
}

const sortedEvents = (events) => events.map((e) => JSON.stringify(e)).sort();

async function answer(sessions, op, input) {
  try {
    return { ok: await sessions[op](input) };
  } catch (e) {
    return { error: { name: e.name, message: e.message, field: e.field } };
  }
}

/** One random operation: `[op, (side) => input, number?]` (number: the session it creates). */
function nextOp(rng, count) {
  const some = () => (count === 0 || rng.chance(0.05) ? -1 : rng.int(count));
  const token = (n) => (side) => (n < 0 ? 'Q'.repeat(64) : side.tokens[n]);
  const app = rng.pick(APPS);
  const roll = rng.int(100);
  if (roll < 20) {
    const input = { app, id: rng.pick(IDS), ip: `10.0.0.${rng.int(4)}` };
    if (rng.chance(0.5)) input.ttl = rng.pick([10, 11, 60, 3_600]);
    if (rng.chance(0.2)) input.no_resave = true;
    if (rng.chance(0.2)) input.lifetime = rng.pick([10, 30, 120]);
    if (rng.chance(0.4)) input.d = { a: rng.int(5), b: rng.pick(['x', 'y', true, null]) };
    return ['create', () => input, count];
  }
  const n = some();
  const onToken = (op, extra = {}) => [op, (side) => ({ app: side.apps[n] ?? app, token: token(n)(side), ...extra })];
  if (roll < 35) return onToken('get');
  if (roll < 47) return onToken('set', { d: rng.chance(0.1) ? {} : { [rng.pick(['a', 'b', 'c'])]: rng.pick([1, 'z', null, false]) } });
  if (roll < 52) return onToken('touch');
  if (roll < 56) return onToken('setTtl', { ttl: rng.pick([10, 60, 5]) });
  if (roll < 60) return [...onToken('regenerate'), n];
  if (roll < 64) return onToken('kill');
  if (roll < 68) return ['kill', (side) => ({ app: side.apps[n] ?? app, handle: n < 0 ? 'A'.repeat(22) : side.handles[n] })];
  // Inputs are drawn here, once: both sides must get the same.
  const dt = rng.pick([10, 60, 3_600]);
  const id = rng.pick(IDS);
  if (roll < 73) return ['activity', () => ({ app, dt })];
  if (roll < 78) return ['soapp', () => ({ app, dt })];
  if (roll < 83) return ['soid', () => ({ app, id })];
  if (roll < 86) return ['killsoid', () => ({ app, id })];
  if (roll < 87) return ['killall', () => ({ app })];
  // Sweeps whose limit never cuts a group of equal expiry bounds (which entries a cut takes
  // follows the random handles): the whole backlog, a probe, or every app.
  const sweep = rng.pick([{}, { limit: 0 }, { app }, { app, limit: 10_000 }]);
  return ['sweep', () => sweep];
}

/**
 * Runs `steps` random operations with `seed` on `store` and on a MapStore, through
 * `new Sessions({ store, clock, wipe: 0 })` each, comparing every answer and the events of
 * every call. Throws an AssertionError at the first difference, naming the seed and the step.
 */
export async function runDifferential({ Sessions, store, seed = 1, steps = 300 }) {
  let now = 1_700_000_000_000;
  const clock = () => now;
  const tested = new Side(new Sessions({ store, clock, wipe: 0 }));
  const reference = new Side(new Sessions({ store: new MapStore(), clock, wipe: 0 }));
  tested.apps = reference.apps = [];
  const rng = random(seed);
  let count = 0;
  for (let i = 0; i < steps; i++) {
    if (rng.chance(0.3)) now += rng.pick(ADVANCES);
    const [op, input, n] = nextOp(rng, count);
    const answers = [];
    for (const side of [tested, reference]) {
      side.events = [];
      const a = await answer(side.sessions, op, input(side));
      if (a.ok?.token !== undefined && n !== undefined) {
        side.tokens[n] = a.ok.token;
        side.learn(n);
      }
      answers.push([unordered(side.normal(a)), sortedEvents(side.normal(side.events))]);
    }
    if (op === 'create' && answers[1][0].ok !== undefined) {
      tested.apps[count] = input(tested).app;
      count++;
    }
    const [[got, gotEvents], [want, wantEvents]] = answers;
    const where = `seed ${seed}, step ${i}: ${op}(${JSON.stringify(input(reference))})`;
    for (const [what, g, w] of [['answer', got, want], ['events', gotEvents, wantEvents]]) {
      if (JSON.stringify(g) !== JSON.stringify(w)) {
        throw new AssertionError({
          message: `${where}: the store's ${what} differs from MapStore's`,
          actual: g,
          expected: w,
          operator: 'deepStrictEqual',
        });
      }
    }
  }
}
