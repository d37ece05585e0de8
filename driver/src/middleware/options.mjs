// The options every middleware takes (Express, Fastify, Hono), checked once when the
// middleware is made: a bad option is a SessionError naming the field, at start-up rather
// than at the first request. Which Sessions a request uses is decided here too.
import { SessionError } from '../errors.mjs';
import { isCookieName } from './cookies.mjs';

const APP = /^[A-Za-z0-9_-]{3,20}$/;
const MAX_TTL = 31536000;

function invalid(field, message) {
  return new SessionError('invalidValue', message, field);
}

/** Whether `v` looks like a Sessions instance (duck-typed: any binding's class will do). */
export function isSessions(v) {
  return typeof v === 'object' && v !== null && typeof v.get === 'function' && typeof v.create === 'function' && typeof v.set === 'function';
}

/**
 * How a binding makes the Sessions its middleware falls back on: `binding.Sessions` (the
 * class), and whether it reaches Redis by URL (`binding.redis`, session-core's napi package).
 * One default embedded Sessions per binding, made on first use; one per Redis URL.
 */
export function makeSessionsSource(binding) {
  let embedded = null;
  const byUrl = new Map();
  return {
    Sessions: binding.Sessions,
    redis: binding.redis === true,
    embedded() {
      embedded ??= new binding.Sessions();
      return embedded;
    },
    overRedis(url) {
      let s = byUrl.get(url);
      if (s === undefined) {
        s = new binding.Sessions({ redis: url });
        byUrl.set(url, s);
      }
      return s;
    },
  };
}

/**
 * The checked settings of a middleware:
 *
 *   { app, ttl, cookie: {name, path, sameSite, secure, domain, maxAge}, sessionsFor(ctx), ip, onError }
 *
 * `sessionsFor(ctx)` gives the Sessions for a request: the `sessions` option (an instance, or
 * a function of the framework's request context: a Worker's bindings are known per request),
 * a Sessions over `redis`, or the binding's default embedded one.
 */
export function settingsOf(options, source) {
  const o = options ?? {};
  if (typeof o !== 'object') throw new TypeError('the middleware options must be an object');
  const app = o.app ?? 'app';
  if (typeof app !== 'string' || !APP.test(app)) {
    throw invalid('app', 'options.app must be 3 to 20 characters of [A-Za-z0-9_-]');
  }
  // The core's default (7200), stated here so that a new session's TTL is known without a read.
  const ttl = o.ttl ?? 7200;
  if (!Number.isInteger(ttl) || ttl < 10 || ttl > MAX_TTL) {
    throw invalid('ttl', `options.ttl must be whole seconds from 10 to ${MAX_TTL}`);
  }
  const name = o.cookieName ?? 'session';
  if (!isCookieName(name)) throw invalid('cookieName', 'options.cookieName must be a cookie name (letters, digits and !#$%&\'*+-.^_`|~)');
  const c = o.cookie ?? {};
  if (typeof c !== 'object') throw invalid('cookie', 'options.cookie must be an object');
  const secure = c.secure ?? true;
  if (typeof secure !== 'boolean') throw invalid('cookie.secure', 'options.cookie.secure must be a boolean');
  const sameSite = c.sameSite ?? 'Lax';
  if (!['Lax', 'Strict', 'None'].includes(sameSite)) throw invalid('cookie.sameSite', "options.cookie.sameSite must be 'Lax', 'Strict' or 'None'");
  if (sameSite === 'None' && !secure) throw invalid('cookie.sameSite', "options.cookie.sameSite 'None' needs a Secure cookie");
  const path = c.path ?? '/';
  if (typeof path !== 'string' || !path.startsWith('/') || /[;\s]/.test(path)) throw invalid('cookie.path', "options.cookie.path must be a path starting with '/'");
  const domain = c.domain;
  if (domain !== undefined && (typeof domain !== 'string' || !/^[A-Za-z0-9.-]+$/.test(domain))) {
    throw invalid('cookie.domain', 'options.cookie.domain must be a domain name');
  }
  const maxAge = c.maxAge;
  if (maxAge !== undefined && (!Number.isInteger(maxAge) || maxAge < 1)) {
    throw invalid('cookie.maxAge', 'options.cookie.maxAge must be whole seconds, at least 1');
  }
  const ip = o.ip;
  if (ip !== undefined && typeof ip !== 'function') throw invalid('ip', 'options.ip must be a function of the request');
  const onError = o.onError ?? defaultOnError;
  if (typeof onError !== 'function') throw invalid('onError', 'options.onError must be a function');
  return {
    app,
    ttl,
    cookie: { name, path, sameSite, secure, domain, maxAge },
    sessionsFor: sessionsOf(o, source),
    ip,
    onError,
  };
}

/** The `sessionsFor(ctx)` of the options. */
function sessionsOf(o, source) {
  const given = o.sessions;
  if (given !== undefined && given !== null) {
    if (o.redis !== undefined) throw invalid('redis', 'options.sessions and options.redis cannot both be given');
    if (typeof given === 'function' && !isSessions(given)) {
      return (ctx) => {
        const s = given(ctx);
        if (!isSessions(s)) throw invalid('sessions', 'options.sessions(context) must return a Sessions instance');
        return s;
      };
    }
    if (!isSessions(given)) throw invalid('sessions', 'options.sessions must be a Sessions instance (or a function of the request that returns one)');
    return () => given;
  }
  if (o.redis !== undefined) {
    if (!source.redis) throw invalid('redis', 'options.redis needs the napi package session-core; here, pass options.sessions');
    if (typeof o.redis !== 'string' || o.redis === '') throw invalid('redis', "options.redis must be a Redis URL, such as 'redis://127.0.0.1:6379'");
    const s = source.overRedis(o.redis);
    return () => s;
  }
  return () => source.embedded();
}

/** Where a failed save is reported when the app gives no `onError`. */
function defaultOnError(error) {
  console.error('session-core: the session could not be saved:', error);
}
