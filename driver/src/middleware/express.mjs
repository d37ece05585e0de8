// Express (4 and 5, and any Connect-style framework over Node's http): `session(options)`,
// `authenticateRequest` and `injectSession(req, res, options)`, as
// @universal-packages/express-session has them, over a binding's Sessions.
//
// The session is saved when the handler ends the response: `res.end` is wrapped (as
// express-session does), the changed keys are written, then the response goes out. So the
// client's next request always sees the write. If the write fails before anything was sent,
// the response becomes a 500 (the app's answer would claim a change that was not kept); if
// the handler had already streamed part of it, the error goes to `onError`.
import { makeSessionsSource, settingsOf } from './options.mjs';
import { loadSession } from './request-session.mjs';

/** How RequestSession reaches an Express (or plain Node) request and response. */
const adapter = {
  // Express's req.ip (which honours 'trust proxy') parses X-Forwarded-For on every read;
  // without that header it is the socket's address, so that is read directly.
  ip: (req) => (req.headers['x-forwarded-for'] === undefined ? req.socket?.remoteAddress : (req.ip ?? req.socket?.remoteAddress)),
  userAgent: (req) => req.headers['user-agent'],
  header: (req, res, name, value) => res.setHeader(name, value),
  cookie(req, res, value) {
    const had = res.getHeader('set-cookie');
    res.setHeader('set-cookie', had === undefined ? [value] : [].concat(had, value));
  },
};

/** Wraps `res.end` so that the session's changes are saved first. */
function saveOnEnd(session, settings, req, res) {
  const end = res.end;
  res.end = function endAfterSave(...args) {
    res.end = end;
    let changes;
    try {
      changes = session.changes();
    } catch (e) {
      return failed(e, settings, req, res, end, args);
    }
    if (changes === null) return end.apply(res, args);
    session.save().then(
      () => end.apply(res, args),
      (e) => failed(e, settings, req, res, end, args),
    );
    return res;
  };
}

function failed(error, settings, req, res, end, args) {
  settings.onError(error, req);
  if (res.headersSent) return end.apply(res, args);
  res.statusCode = 500;
  res.removeHeader('content-length');
  res.removeHeader('content-encoding');
  res.setHeader('content-type', 'text/plain; charset=utf-8');
  return end.call(res, 'Internal Server Error: the session could not be saved');
}

/** `session-core/express` over a binding: `{ Sessions, redis }` (see options.mjs). */
export function makeExpress(binding) {
  const source = makeSessionsSource(binding);
  /** injectSession's settings, by options object (made once per object). */
  const known = new WeakMap();
  let defaults = null;

  function inject(settings, req, res) {
    const h = req.headers;
    return loadSession(settings, adapter, req, res, h.authorization, h['x-access-token'], h.cookie).then((session) => {
      req.session = session;
      saveOnEnd(session, settings, req, res);
      return session;
    });
  }

  /** The middleware: `app.use(session({ app: 'shop' }))`. */
  function session(options) {
    const settings = settingsOf(options, source);
    return function sessionCore(req, res, next) {
      inject(settings, req, res).then(() => next(), next);
    };
  }

  /** The same work, without being middleware: resolves to `req.session`. */
  async function injectSession(req, res, options) {
    let settings;
    if (options === undefined || options === null) settings = defaults ??= settingsOf(undefined, source);
    else {
      settings = known.get(options);
      if (settings === undefined) {
        settings = settingsOf(options, source);
        known.set(options, settings);
      }
    }
    return inject(settings, req, res);
  }

  /** Ends the response with 401 unless the request has a live session. */
  function authenticateRequest(req, res, next) {
    if (req.session?.authenticated === true) return next();
    res.statusCode = 401;
    res.end();
  }

  return { session, injectSession, authenticateRequest };
}
