// What the redis-sessions drop-in's cache needs from Node beyond the Sessions options: a Redis
// pub/sub channel (the addon's NativeRedisChannel, src/channel.rs) and a token's handle.
'use strict';
const { createHash } = require('node:crypto');
const native = require('./native.cjs');
const { redisTarget } = require('./backend.cjs');

const noop = () => {};

// The kinds of NativeRedisChannel's events (src/channel.rs).
const MESSAGE = 0;
const LIVE = 1;
const LOST = 2;
const PUBLISHED = 3;

/**
 * One pub/sub channel of the Redis at `url`. `listener` gets `message(text)`, `live()` once
 * subscribed (again) and `lost(reason)` whenever the subscription fails or drops (it is tried
 * again by itself). `publish(messages)` resolves once Redis took them (rejects if it did not).
 * Nothing keeps the process alive but publishes in flight; `quit()` ends it all.
 */
class RedisChannel {
  #native;
  #pending = new Map();
  #nextId = 0;
  #keepAlive = null;
  /** Held here (the addon's callback holds it weakly). */
  #listener;

  constructor(url, channel, listener, settings) {
    // The addon holds this callback for as long as the channel lives: it reaches the channel
    // and the listener only weakly, so that a drop-in dropped without quit() is collected
    // (and its connections closed with it).
    const self = new WeakRef(this);
    const events = new WeakRef(listener);
    this.#listener = listener;
    this.#native = new native.NativeRedisChannel(url, channel, (kind, id, text) => {
      if (kind === PUBLISHED) self.deref()?.#published(id, text);
      else {
        if (kind !== MESSAGE) self.deref()?.#subscribing(false);
        const l = events.deref();
        if (l === undefined) return;
        if (kind === MESSAGE) l.message(text);
        else if (kind === LIVE) l.live();
        else if (kind === LOST) l.lost(text);
      }
    }, settings);
  }

  /** Starts the subscription; the process stays alive until its first attempt's outcome. */
  subscribe() {
    this.#subscribing(true);
    this.#native.subscribe();
  }

  publish(messages) {
    return new Promise((resolve, reject) => {
      const id = (this.#nextId = (this.#nextId + 1) >>> 0);
      this.#pending.set(id, { resolve, reject });
      this.#busy();
      this.#native.publish(id, messages);
    });
  }

  quit() {
    this.#native.quit();
    this.#subscribing(false);
  }

  #published(id, error) {
    const call = this.#pending.get(id);
    if (call === undefined) return;
    this.#pending.delete(id);
    this.#busy();
    if (error === '') call.resolve();
    else call.reject(new Error(error));
  }

  /** Whether a first subscription attempt is under way (someone may be waiting for it). */
  #waiting = false;

  #subscribing(yes) {
    this.#waiting = yes;
    this.#busy();
  }

  /** A ref'd timer keeps the process alive while something is awaited from the addon. */
  #busy() {
    const busy = this.#waiting || this.#pending.size > 0;
    if (busy && this.#keepAlive === null) this.#keepAlive = setInterval(noop, 2 ** 31 - 1);
    if (!busy && this.#keepAlive !== null) {
      clearInterval(this.#keepAlive);
      this.#keepAlive = null;
    }
  }
}

/** A token's handle: the first 128 bits of its SHA-256, in base64url (as the core names it). */
function handleOf(token) {
  return createHash('sha256').update(token).digest().subarray(0, 16).toString('base64url');
}

/**
 * The `connect` result of session-core/redis-sessions for `redis` (what `new Sessions({ redis })`
 * takes: a URL, or `{ url, username, password, tls }`); the channel reaches the same Redis,
 * with the same credentials and TLS material.
 */
function redisReach(redis) {
  const { url, settings } = redisTarget(redis);
  return { redis, channel: (name, listener) => new RedisChannel(url, name, listener, settings), handleOf };
}

module.exports = { RedisChannel, handleOf, redisReach };
