// The redis-sessions compatibility shell: a class with redis-sessions' constructor options
// over any Sessions class. session-core's `session-core/redis-sessions` entry point builds it
// over Redis; over a backend with no Redis, each call fails, saying so.

const noop = () => {};

/**
 * The default `connect` of the shell, for backends that cannot reach Redis: a store whose
 * every call fails, saying so (bad input is still reported first, by its own error).
 */
function noRedis(_connection) {
  const fail = () => {
    throw new Error('this backend of session-core has no Redis store');
  };
  return { store: { apply: fail, ping: fail, quit: noop } };
}

/**
 * A class that takes redis-sessions' constructor options (`host`, `port`, `namespace`,
 * `wipe`, `options.url`, `options.password`...) and behaves like `require('redis-sessions')`
 * over the Redis that `connect(connection)` reaches: it returns the `Sessions` options for
 * it (session-core's napi backend: `{ redis: url }`; or `{ store }`). The constructor
 * connects nowhere and never throws.
 */
export function makeRedisSessionsClass(Sessions, connect = noRedis) {
  return class RedisSessions extends Sessions {
    constructor(o = {}) {
      const opts = o ?? {};
      const connection = opts.options?.url
        ? { url: opts.options.url, options: opts.options }
        : { host: opts.host ?? '127.0.0.1', port: opts.port ?? 6379, options: opts.options ?? {} };
      super({ namespace: opts.namespace ?? 'rs', wipe: opts.wipe, ...connect(connection) });
    }
  };
}
