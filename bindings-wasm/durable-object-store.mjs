// A session-core store over a Cloudflare Durable Object's storage (`state.storage`): records
// and sorted sets as plain keys of the object. A batch is applied all or nothing: every
// expectation is checked before anything is written; the commands then run against an overlay
// that reads through to the storage and buffers every write; and the buffered writes are
// issued together at the end with no `await` between them, which the Durable Object commits as
// one atomic write (automatic write coalescing). While the object awaits its storage, its input
// gate holds other events back, so no other request interleaves with a batch. (This is about
// five times faster than `storage.transaction()` per batch, measured in workerd.)
//
// Layout (SEP is "\u0000", which no key or member of the core contains):
//   "r" SEP key                        -> { value, version }   a record
//   "z" SEP key SEP member             -> score                 a sorted set's member
//   "s" SEP key SEP score16 SEP member -> member                the same, ordered by score
// score16 is the score in 16 decimal digits (scores are integers below 2^53), so that the
// storage's key order (UTF-8 byte order) is score order, then member order, as in Redis.
import { compareMembers } from 'session-core-driver';

const SEP = '\u0000';
const RECORD = `r${SEP}`;
const MEMBER = `z${SEP}`;
const SCORE = `s${SEP}`;
/** storage.get(keys), put(entries) and delete(keys) take at most 128 keys a call. */
const MAX_KEYS = 128;
const DELETED = Symbol('deleted');

const pad = (score) => String(Math.max(0, Math.trunc(score))).padStart(16, '0');

function expectationHolds(expect, record) {
  if (expect === 'any') return true;
  if (expect === 'absent') return record === undefined;
  return record !== undefined && record.version === expect;
}

/** A session-core store (`apply(batch)`) over a Durable Object's `state.storage`. */
export class DurableObjectStore {
  #storage;

  /** @param storage the Durable Object's `state.storage` (or `ctx.storage`). */
  constructor(storage) {
    this.#storage = storage;
  }

  async apply(batch) {
    // 1. All or nothing: every expectation is checked before anything changes.
    const checked = batch.filter((c) => c.op === 'put' || c.op === 'delete');
    for (let i = 0; i < checked.length; i += MAX_KEYS) {
      const part = checked.slice(i, i + MAX_KEYS);
      const current = await this.#storage.get(part.map((c) => RECORD + c.key));
      for (const c of part) {
        if (!expectationHolds(c.expect, current.get(RECORD + c.key))) return { conflict: true };
      }
    }
    // 2. Run in order against the overlay; each command sees the effects of the ones before.
    const txn = new Overlay(this.#storage);
    const replies = [];
    for (const c of batch) replies.push(await run(txn, c));
    // 3. One atomic write.
    await txn.commit();
    return replies;
  }

  ping() {
    return 'PONG';
  }
}


/** Reads through to the storage; buffers writes until `commit()`. */
class Overlay {
  #storage;
  #writes = new Map();

  constructor(storage) {
    this.#storage = storage;
  }

  async get(key) {
    const v = this.#writes.get(key);
    if (v !== undefined) return v === DELETED ? undefined : v;
    return this.#storage.get(key);
  }

  put(entries) {
    for (const k of Object.keys(entries)) this.#writes.set(k, entries[k]);
  }

  /** Deletes `keys`; whether the first existed. */
  async delete(...keys) {
    const existed = (await this.get(keys[0])) !== undefined;
    for (const k of keys) this.#writes.set(k, DELETED);
    return existed;
  }

  async list({ start, end, prefix, reverse = false, limit }) {
    const inRange = (k) =>
      (prefix === undefined || k.startsWith(prefix)) &&
      (start === undefined || compareMembers(k, start) >= 0) &&
      (end === undefined || compareMembers(k, end) < 0);
    const pending = [...this.#writes.keys()].filter(inRange);
    const options = { reverse };
    if (start !== undefined) options.start = start;
    if (end !== undefined) options.end = end;
    if (prefix !== undefined) options.prefix = prefix;
    if (pending.length === 0) {
      if (limit !== undefined) options.limit = limit;
      return this.#storage.list(options);
    }
    // Rare (a range read after a write to it in the same batch): merge in full.
    const found = await this.#storage.list(options);
    for (const k of pending) {
      const v = this.#writes.get(k);
      if (v === DELETED) found.delete(k);
      else found.set(k, v);
    }
    let keys = [...found.keys()].sort(compareMembers);
    if (reverse) keys.reverse();
    if (limit !== undefined) keys = keys.slice(0, limit);
    return new Map(keys.map((k) => [k, found.get(k)]));
  }

  /** Issues every buffered write with no await between them: one atomic write. */
  commit() {
    const puts = [];
    const deletes = [];
    for (const [k, v] of this.#writes) {
      if (v === DELETED) deletes.push(k);
      else puts.push([k, v]);
    }
    const pending = [];
    for (let i = 0; i < puts.length; i += MAX_KEYS) {
      pending.push(this.#storage.put(Object.fromEntries(puts.slice(i, i + MAX_KEYS))));
    }
    for (let i = 0; i < deletes.length; i += MAX_KEYS) {
      pending.push(this.#storage.delete(deletes.slice(i, i + MAX_KEYS)));
    }
    return Promise.all(pending);
  }
}

async function run(txn, c) {
  switch (c.op) {
    case 'get':
      return (await txn.get(RECORD + c.key)) ?? null;
    case 'put': {
      const old = await txn.get(RECORD + c.key);
      // c.ttlMs is a hint; the core checks expiry itself and sweeps (alarms) reclaim records.
      txn.put({ [RECORD + c.key]: { value: c.value, version: old === undefined ? 1 : old.version + 1 } });
      return true;
    }
    case 'delete':
      return txn.delete(RECORD + c.key);
    case 'zadd': {
      const m = MEMBER + c.key + SEP + c.member;
      const old = await txn.get(m);
      if (old !== undefined) await txn.delete(SCORE + c.key + SEP + pad(old) + SEP + c.member);
      txn.put({ [m]: c.score, [SCORE + c.key + SEP + pad(c.score) + SEP + c.member]: c.member });
      return true;
    }
    case 'zrem':
      return zrem(txn, c.key, c.member);
    case 'zremIfEmpty': {
      const watched = await txn.list({ prefix: MEMBER + c.watched + SEP, limit: 1 });
      return watched.size > 0 ? false : zrem(txn, c.key, c.member);
    }
    case 'zrange': {
      const found = await range(txn, c, c.limit == null ? undefined : c.limit, c.rev === true);
      const out = [];
      const at = SCORE.length + c.key.length + 1;
      for (const [k, member] of found) out.push([member, Number(k.slice(at, at + 16))]);
      return out;
    }
    case 'zcount':
      return (await range(txn, c, undefined, false)).size;
    default:
      throw new Error(`unknown store command ${JSON.stringify(c.op)}`);
  }
}

async function zrem(txn, key, member) {
  const m = MEMBER + key + SEP + member;
  const score = await txn.get(m);
  if (score === undefined) return false;
  await txn.delete(m, SCORE + key + SEP + pad(score) + SEP + member);
  return true;
}

/** The score-ordered entries of sorted set `c.key` with `c.min <= score <= c.max`. */
function range(txn, c, limit, reverse) {
  if (c.max < c.min || c.max < 0 || limit === 0) return new Map();
  const base = SCORE + c.key + SEP;
  // Every key of score s starts with base + pad(s) + SEP, and SEP + 1 sorts after all of them.
  const options = { start: base + pad(c.min), end: `${base + pad(c.max)}\u0001`, reverse };
  if (limit !== undefined) options.limit = limit;
  return txn.list(options);
}
