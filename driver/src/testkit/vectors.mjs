// The conformance-vector runner: the vector format of tests/vectors/README.md, and nothing of
// any binding or store. The vectors themselves are the files of tests/vectors (the one source),
// bundled into vectors-data.mjs when the package is built; tests in the repository read the
// files directly. A case runs on a fresh `Sessions` from `factory(clock)` (an empty store,
// automatic sweeping off), reading the time from the clock it is given.
import { deepStrictEqual, fail } from 'node:assert';

/** Replaces `"$name"` strings with saved variables (unknown names stay as they are). */
export function substitute(v, vars) {
  if (typeof v === 'string') {
    return v.startsWith('$') && vars.has(v.slice(1)) ? vars.get(v.slice(1)) : v;
  }
  if (Array.isArray(v)) return v.map((x) => substitute(x, vars));
  if (v !== null && typeof v === 'object') {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, substitute(x, vars)]));
  }
  return v;
}

const isToken = (s) => typeof s === 'string' && /^[A-Za-z0-9]{64}$/.test(s);
const isHandle = (s) => typeof s === 'string' && /^[A-Za-z0-9_-]{22}$/.test(s);
const isCursor = (s) => typeof s === 'string' && /^[A-Za-z0-9_-]+$/.test(s);

/** Deep equality with the README's matchers (`$token`, `$handle`, `$saved`). */
export function matches(want, got, vars, unordered = false) {
  if (typeof want === 'string' && want.startsWith('$')) {
    const name = want.slice(1);
    if (name === 'token') return isToken(got);
    if (name === 'handle') return isHandle(got);
    if (name === 'cursor') return isCursor(got);
    return vars.has(name) && matches(vars.get(name), got, new Map(), false);
  }
  if (Array.isArray(want)) {
    if (!Array.isArray(got) || got.length !== want.length) return false;
    if (!unordered) return want.every((x, i) => matches(x, got[i], vars, unordered));
    const used = new Array(got.length).fill(false);
    return want.every((x) => {
      const j = got.findIndex((y, k) => !used[k] && matches(x, y, vars, unordered));
      if (j < 0) return false;
      used[j] = true;
      return true;
    });
  }
  if (want !== null && typeof want === 'object') {
    if (got === null || typeof got !== 'object' || Array.isArray(got)) return false;
    const keys = Object.keys(want);
    return (
      keys.length === Object.keys(got).length &&
      keys.every((k) => Object.hasOwn(got, k) && matches(want[k], got[k], vars, unordered))
    );
  }
  return want === got;
}

const show = (v) => JSON.stringify(v);

/**
 * Runs one case on a fresh `Sessions` from `factory(clock)`. Throws an AssertionError naming
 * the step at the first difference. `events: false` skips the event checks, for a target that
 * cannot observe events (HTTP).
 */
export async function runCase(testCase, factory, { events: checkEvents = true } = {}) {
  let now = 0;
  const sessions = factory(() => now);
  let events = [];
  sessions.on('created', (e) => events.push(e));
  sessions.on('destroyed', (e) => events.push(e));
  const vars = new Map();
  for (const [i, step] of testCase.steps.entries()) {
    if (typeof step.now === 'number') now = step.now;
    const input = substitute(step.in ?? null, vars);
    const at = `step ${i} (${step.op} ${show(step.in ?? null)})`;
    if (typeof sessions[step.op] !== 'function') fail(`${at}: no method ${step.op}`);
    events = [];
    let got;
    let error;
    try {
      got = await sessions[step.op](input);
    } catch (e) {
      error = e;
    }
    if (step.err !== undefined) {
      if (error === undefined) fail(`${at}: expected error ${show(step.err)}, got ${show(got)}`);
      const gotErr = { name: error.name, message: error.message };
      const wantErr = { message: error.message, ...step.err };
      deepStrictEqual(gotErr, wantErr, `${at}: wrong error`);
    } else {
      if (error !== undefined) fail(`${at}: unexpected error ${error.name}: ${error.message}`);
      if ('out' in step && !matches(step.out, got, vars, step.unordered === true)) {
        fail(`${at}: expected ${show(step.out)}, got ${show(got)}`);
      }
      if (typeof step.save === 'string') vars.set(step.save, got?.token ?? null);
      if (typeof step.save_cursor === 'string') vars.set(step.save_cursor, got?.cursor ?? null);
    }
    if (checkEvents && step.events !== undefined && !matches(step.events, events, vars, false)) {
      fail(`${at}: expected events ${show(step.events)}, got ${show(events)}`);
    }
  }
}
