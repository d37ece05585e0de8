// An in-memory stand-in for a Durable Object's `state.storage`, with the semantics the
// DurableObjectStore relies on: keys listed in UTF-8 byte order, start inclusive, end
// exclusive, values copied (structured clone), and transactions that roll back on a throw.
// The real storage runs in the workerd tests (worker.test.mjs); this one lets the conformance
// vectors run through DurableObjectStore under plain Node.
const utf8 = (s) => Buffer.from(s, 'utf8');

export class MemoryStorage {
  map = new Map();

  async transaction(closure) {
    const saved = new Map(this.map);
    try {
      return await closure(this);
    } catch (e) {
      this.map = saved;
      throw e;
    }
  }

  async get(key) {
    if (Array.isArray(key)) {
      const out = new Map();
      for (const k of key) if (this.map.has(k)) out.set(k, structuredClone(this.map.get(k)));
      return out;
    }
    return this.map.has(key) ? structuredClone(this.map.get(key)) : undefined;
  }

  async put(key, value) {
    if (typeof key === 'object') {
      for (const [k, v] of Object.entries(key)) this.map.set(k, structuredClone(v));
    } else {
      this.map.set(key, structuredClone(value));
    }
  }

  async delete(key) {
    if (Array.isArray(key)) return key.filter((k) => this.map.delete(k)).length;
    return this.map.delete(key);
  }

  async list({ start, end, prefix, reverse = false, limit } = {}) {
    let keys = [...this.map.keys()].filter(
      (k) =>
        (prefix === undefined || k.startsWith(prefix)) &&
        (start === undefined || Buffer.compare(utf8(k), utf8(start)) >= 0) &&
        (end === undefined || Buffer.compare(utf8(k), utf8(end)) < 0),
    );
    keys.sort((a, b) => Buffer.compare(utf8(a), utf8(b)));
    if (reverse) keys.reverse();
    if (limit !== undefined) keys = keys.slice(0, limit);
    return new Map(keys.map((k) => [k, structuredClone(this.map.get(k))]));
  }
}
