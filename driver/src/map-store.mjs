// MapStore: the reference store written in JavaScript, records and sorted sets in Maps. It
// shows the whole store interface (the README shows it verbatim), the conformance vectors run
// through it, and the test kit compares every other store with it. `compareMembers` is the
// order of sorted-set members of equal score, which every store's `zrange` answers in.

// #region MapStore (session-core's README shows this region verbatim; bindings-node/test/readme.test.mjs keeps them equal)

/** Code-point order (= UTF-8 byte order, as Redis and the memory store sort members). */
export function compareMembers(a, b) {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.codePointAt(i);
    const y = b.codePointAt(i);
    if (x !== y) return x < y ? -1 : 1;
    if (x > 0xffff) i++;
  }
  return a.length < b.length ? -1 : a.length > b.length ? 1 : 0;
}

function expectationHolds(expect, record) {
  if (expect === 'any') return true;
  if (expect === 'absent') return record === undefined;
  return record !== undefined && record.version === expect;
}

/**
 * A complete store in plain JavaScript: records (with versions) and sorted sets in Maps.
 * It shows the whole store interface, and the tests run the conformance vectors through it.
 * Swap the Maps for your database and keep the two rules: check every expectation before
 * changing anything (then apply nothing and answer `{conflict: true}`), and let no other
 * writer interleave with a batch.
 */
export class MapStore {
  /** key -> { value: string (base64), version: number } */
  records = new Map();
  /** key -> Map(member -> score) */
  zsets = new Map();

  apply(batch) {
    // 1. All or nothing: every expectation is checked before anything changes.
    for (const c of batch) {
      if ((c.op === 'put' || c.op === 'delete') && !expectationHolds(c.expect, this.records.get(c.key))) {
        return { conflict: true };
      }
    }
    // 2. Apply in order; each command sees the effects of the ones before it.
    return batch.map((c) => this.#run(c));
  }

  #run(c) {
    switch (c.op) {
      case 'get':
        return this.records.get(c.key) ?? null;
      case 'put': {
        const old = this.records.get(c.key);
        // c.ttlMs is a hint (the record may be dropped after it); the core checks expiry
        // itself, and sweep reclaims records, so this store ignores it.
        this.records.set(c.key, { value: c.value, version: old === undefined ? 1 : old.version + 1 });
        return true;
      }
      case 'delete':
        return this.records.delete(c.key);
      case 'zadd': {
        let z = this.zsets.get(c.key);
        if (z === undefined) this.zsets.set(c.key, (z = new Map()));
        z.set(c.member, c.score);
        return true;
      }
      case 'zrem':
        return this.#zrem(c.key, c.member);
      case 'zremIfEmpty':
        return this.zsets.has(c.watched) ? false : this.#zrem(c.key, c.member);
      case 'zrange': {
        const z = this.zsets.get(c.key);
        if (z === undefined) return [];
        const out = [];
        for (const [member, score] of z) if (score >= c.min && score <= c.max) out.push([member, score]);
        out.sort((x, y) => x[1] - y[1] || compareMembers(x[0], y[0]));
        if (c.rev) out.reverse();
        return c.limit == null ? out : out.slice(0, c.limit);
      }
      case 'zcount': {
        const z = this.zsets.get(c.key);
        let n = 0;
        if (z !== undefined) for (const score of z.values()) if (score >= c.min && score <= c.max) n++;
        return n;
      }
      default:
        throw new Error(`unknown store command ${JSON.stringify(c.op)}`);
    }
  }

  #zrem(key, member) {
    const z = this.zsets.get(key);
    if (z === undefined || !z.delete(member)) return false;
    if (z.size === 0) this.zsets.delete(key); // an empty sorted set does not exist
    return true;
  }
}

// #endregion MapStore
