//! The route table: (method, path) to an [`Endpoint`], and a [`Call`]'s option object from
//! its path, query and body.

use super::answer::RestError;
use crate::error::Error;
use serde_json::{Map, Value};
use std::borrow::Cow;

/// What a request asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Endpoint {
    /// `GET /ping`: answer [`super::pong`], as rest-sessions does.
    Ping,
    /// `GET /health`: the host's readiness (its store answers).
    Health,
    /// `GET /metrics`: [`super::render_metrics`].
    Metrics,
    /// `GET /openapi.json`: [`super::OPENAPI`].
    OpenApi,
    /// A session operation.
    Call(Call),
}

/// What the body of a route is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Body {
    /// None is read.
    Ignored,
    /// `d` (`set`).
    Data,
    /// `d` when it has keys (`create`): rest-sessions passes the body on only then.
    DataWithKeys,
    /// The whole option object (`POST /v1/{op}`).
    Options,
}

/// A session operation named by a request: the operation, where its options come from, and
/// the route it counts under in the metrics.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    op: String,
    metric: &'static str,
    /// The path's fields, decoded.
    fields: Vec<(&'static str, String)>,
    /// The fields taken from the query string.
    query: &'static [&'static str],
    body: Body,
}

/// One route: method, pattern (`{name}` is a path field), operation, metric name, query
/// fields, body.
struct Route {
    method: &'static str,
    pattern: &'static [&'static str],
    op: &'static str,
    metric: &'static str,
    query: &'static [&'static str],
    body: Body,
}

const fn r(
    method: &'static str,
    pattern: &'static [&'static str],
    op: &'static str,
    query: &'static [&'static str],
    body: Body,
) -> Route {
    Route {
        method,
        pattern,
        op,
        metric: op,
        query,
        body,
    }
}

/// rest-sessions' routes, then ours (touch, regenerate, TTL, handles, sweep).
const ROUTES: &[Route] = &[
    r(
        "PUT",
        &["{app}", "create", "{id}"],
        "create",
        &["ip", "ttl", "lifetime", "no_resave"],
        Body::DataWithKeys,
    ),
    r(
        "GET",
        &["{app}", "get", "{token}"],
        "get",
        &[],
        Body::Ignored,
    ),
    r("POST", &["{app}", "set", "{token}"], "set", &[], Body::Data),
    r(
        "POST",
        &["{app}", "touch", "{token}"],
        "touch",
        &[],
        Body::Ignored,
    ),
    r(
        "POST",
        &["{app}", "regenerate", "{token}"],
        "regenerate",
        &[],
        Body::Ignored,
    ),
    r(
        "PUT",
        &["{app}", "ttl", "{token}"],
        "setTtl",
        &["ttl"],
        Body::Ignored,
    ),
    r(
        "GET",
        &["{app}", "activity"],
        "activity",
        &["dt"],
        Body::Ignored,
    ),
    r(
        "GET",
        &["{app}", "soapp"],
        "soapp",
        &["dt", "limit", "cursor"],
        Body::Ignored,
    ),
    r(
        "GET",
        &["{app}", "soid", "{id}"],
        "soid",
        &["limit", "cursor"],
        Body::Ignored,
    ),
    r(
        "DELETE",
        &["{app}", "kill", "{token}"],
        "kill",
        &[],
        Body::Ignored,
    ),
    Route {
        metric: "killHandle",
        ..r(
            "DELETE",
            &["{app}", "handle", "{handle}"],
            "kill",
            &[],
            Body::Ignored,
        )
    },
    r(
        "DELETE",
        &["{app}", "killsoid", "{id}"],
        "killsoid",
        &[],
        Body::Ignored,
    ),
    r(
        "DELETE",
        &["{app}", "killall"],
        "killall",
        &[],
        Body::Ignored,
    ),
    r(
        "POST",
        &["{app}", "sweep"],
        "sweep",
        &["limit"],
        Body::Ignored,
    ),
    r("POST", &["sweep"], "sweep", &["limit"], Body::Ignored),
];

/// The endpoints without an operation.
const PLAIN: &[(&str, Endpoint)] = &[
    ("ping", Endpoint::Ping),
    ("health", Endpoint::Health),
    ("metrics", Endpoint::Metrics),
    ("openapi.json", Endpoint::OpenApi),
];

/// A path segment, percent-decoded; `None` when the bytes it decodes to are not UTF-8.
fn decode(segment: &str) -> Option<Cow<'_, str>> {
    percent_encoding::percent_decode_str(segment)
        .decode_utf8()
        .ok()
}

/// The path's segments as every route reads them: without the leading slash, and with one
/// trailing slash ignored (as Express does by default).
fn segments(path: &str) -> Vec<&str> {
    let trimmed = path.strip_prefix('/').unwrap_or(path);
    let trimmed = match trimmed.strip_suffix('/') {
        Some(t) if !t.is_empty() => t,
        _ => trimmed,
    };
    trimmed.split('/').collect()
}

/// The endpoint without an operation that `path` names, read as [`route`] reads it.
fn plain(segments: &[&str]) -> Option<&'static Endpoint> {
    match segments {
        [one] => PLAIN
            .iter()
            .find(|(name, _)| name == one)
            .map(|(_, endpoint)| endpoint),
        _ => None,
    }
}

/// Whether `path` names a probe (`/ping`, `/health`), read exactly as [`route`] reads paths
/// (so `/ping/` is a probe too): the routes open without the shared secret ([`super::Auth`]).
pub(super) fn is_probe(path: &str) -> bool {
    matches!(
        plain(&segments(path)),
        Some(Endpoint::Ping | Endpoint::Health)
    )
}

/// The endpoint for `method` and `path` (the request target's path, still percent-encoded;
/// one trailing slash is ignored, as Express does by default).
///
/// The endpoints without an operation (`/ping`, `/health`, `/metrics`, `/openapi.json`) take
/// `GET` and `HEAD` (load balancers probe with either); a host answers `HEAD` as `GET`
/// without the body. The session routes take no `HEAD`: a read counts, it is never a probe.
///
/// Errors: `notFound` (404) for a path no route has; `methodNotAllowed` (405, with the
/// methods the path takes in [`RestError::allow`]); `invalidFormat` (400) for a path field
/// that is not UTF-8 once decoded, named as a bad value of that field would be.
pub fn route(method: &str, path: &str) -> Result<Endpoint, RestError> {
    let segments = segments(path);
    let not_allowed = |allow: &str| RestError::method_not_allowed(method, path, allow);
    if let Some(endpoint) = plain(&segments) {
        return if matches!(method, "GET" | "HEAD") {
            Ok(endpoint.clone())
        } else {
            Err(not_allowed("GET, HEAD"))
        };
    }
    if let ["v1", op] = segments[..] {
        if method != "POST" {
            return Err(not_allowed("POST"));
        }
        let op = decode(op).ok_or_else(|| not_utf8("op"))?;
        let metric = super::metric_route(&op);
        return Ok(Endpoint::Call(Call {
            op: op.into_owned(),
            metric,
            fields: Vec::new(),
            query: &[],
            body: Body::Options,
        }));
    }
    let mut allowed: Vec<&'static str> = Vec::new();
    for route in ROUTES {
        if !matches(route.pattern, &segments) {
            continue;
        }
        if route.method != method {
            allowed.push(route.method);
            continue;
        }
        let mut fields = Vec::with_capacity(2);
        for (part, segment) in route.pattern.iter().zip(&segments) {
            if let Some(name) = part.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
                let value = decode(segment).ok_or_else(|| not_utf8(name))?;
                fields.push((name, value.into_owned()));
            }
        }
        return Ok(Endpoint::Call(Call {
            op: route.op.to_owned(),
            metric: route.metric,
            fields,
            query: route.query,
            body: route.body,
        }));
    }
    match allowed[..] {
        [] => Err(RestError::not_found()),
        _ => Err(not_allowed(&allowed.join(", "))),
    }
}

/// Whether `segments` fit `pattern` (literal parts equal, fields anything).
fn matches(pattern: &[&str], segments: &[&str]) -> bool {
    pattern.len() == segments.len()
        && pattern
            .iter()
            .zip(segments)
            .all(|(p, s)| p.starts_with('{') || p == s)
}

/// A path field that is not UTF-8: `invalidFormat` for it, as a bad value of it would be.
fn not_utf8(field: &str) -> RestError {
    RestError::new(
        400,
        "invalidFormat",
        format!("Invalid {field} format: the path segment is not UTF-8"),
    )
}

impl Call {
    /// The operation to run (a JS method name: `create`, `get`, ... or, from `/v1/{op}`,
    /// whatever the path says; the core rejects unknown names).
    pub fn op(&self) -> &str {
        &self.op
    }

    /// The route this request counts under in the metrics (one of [`super::METRIC_ROUTES`]).
    pub fn metric(&self) -> &'static str {
        self.metric
    }

    /// The app the path names, if it names one (`/v1/{op}` takes it from the body).
    pub fn app(&self) -> Option<&str> {
        self.fields
            .iter()
            .find(|(k, _)| *k == "app")
            .map(|(_, v)| v.as_str())
    }

    /// Whether the route takes a body: read it (and pass it to [`Call::input`]) only then.
    pub fn reads_body(&self) -> bool {
        self.body != Body::Ignored
    }

    /// The option object of the operation: the path's fields, then the named fields of the
    /// query string (`query` without its `?`), as strings (the core parses numbers from
    /// strings, as redis-sessions does), then the body.
    ///
    /// The rules that are the REST API's own, not the core's:
    /// - `create`'s body becomes `d` only when it is JSON with keys (rest-sessions passes the
    ///   body on only then); `set`'s body is `d` as it is; an empty (or blank) body is no `d`.
    /// - `no_resave` in a query is `true`/`1` or `false`/`0`; any other text goes to the core
    ///   as it is, which rejects it as it rejects a non-boolean.
    /// - A body that is not JSON is `invalidValue`: for `d`, "d must be an object (the body is
    ///   not JSON: ...)"; for `/v1/{op}`, "The body must be the JSON option object (...)".
    /// - Of a query field given twice, the first counts (as `URLSearchParams.get`).
    pub fn input(&self, query: Option<&str>, body: &[u8]) -> Result<Value, RestError> {
        let body = self.body_json(body)?;
        if self.body == Body::Options {
            return Ok(body.unwrap_or(Value::Null));
        }
        let mut o = Map::new();
        for (k, v) in &self.fields {
            o.insert((*k).to_owned(), Value::String(v.clone()));
        }
        if let Some(query) = query {
            for (k, v) in form_urlencoded::parse(query.as_bytes()) {
                if !self.query.contains(&k.as_ref()) || o.contains_key(k.as_ref()) {
                    continue;
                }
                let value = match (k.as_ref(), v.as_ref()) {
                    ("no_resave", "true" | "1") => Value::Bool(true),
                    ("no_resave", "false" | "0") => Value::Bool(false),
                    _ => Value::String(v.into_owned()),
                };
                o.insert(k.into_owned(), value);
            }
        }
        match (self.body, body) {
            (Body::DataWithKeys, Some(Value::Object(d))) if d.is_empty() => {}
            (_, Some(d)) => {
                o.insert("d".to_owned(), d);
            }
            (_, None) => {}
        }
        Ok(Value::Object(o))
    }

    /// Caps a listing (`soapp`, `soid`) at `max` sessions per answer, the host's setting (the
    /// server's `--max-list`): a listing asked for without a `limit`, or with a larger one,
    /// gets `limit: max`, so it comes in pages with a cursor once it holds more than `max`
    /// sessions (and whole, as before, when it fits). `max` 0 caps nothing, and a `max` over
    /// the largest page ([`crate::ops::page::LIMIT_MAX`]) is that; a `limit` the core would
    /// reject is left for it to reject.
    ///
    /// ```
    /// use session_core::rest::{Endpoint, route};
    /// let Ok(Endpoint::Call(call)) = route("GET", "/shop/soapp") else { panic!() };
    /// let mut input = call.input(Some("dt=60"), b"").unwrap();
    /// call.cap_listing(&mut input, 10_000);
    /// assert_eq!(input["limit"], 10_000);
    /// ```
    pub fn cap_listing(&self, input: &mut Value, max: u32) {
        let (true, Some(o)) = (
            max > 0 && matches!(self.op.as_str(), "soapp" | "soid"),
            input.as_object_mut(),
        ) else {
            return;
        };
        let given = match o.get("limit") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) if s.is_empty() => None,
            Some(Value::String(s)) => Some(s.parse::<u64>().ok()),
            Some(v) => Some(v.as_u64()),
        };
        let max = max.min(crate::ops::page::LIMIT_MAX);
        match given {
            None => {}
            // Within the cap, or not a limit at all (the core says what is wrong with it).
            Some(None) => return,
            Some(Some(n)) if n <= u64::from(max) || n > u64::from(crate::ops::page::LIMIT_MAX) => {
                return;
            }
            Some(Some(_)) => {}
        }
        o.insert("limit".to_owned(), Value::from(max));
    }

    /// The body as JSON; `None` when it is empty or blank.
    fn body_json(&self, body: &[u8]) -> Result<Option<Value>, RestError> {
        if self.body == Body::Ignored || body.iter().all(u8::is_ascii_whitespace) {
            return Ok(None);
        }
        let text = std::str::from_utf8(body).map_err(|_| {
            RestError::from(&Error::value(
                if self.body == Body::Options {
                    "body"
                } else {
                    "d"
                },
                "The body is not UTF-8",
            ))
        })?;
        serde_json::from_str(text).map(Some).map_err(|e| {
            let (field, message) = match self.body {
                Body::Options => (
                    "body",
                    format!("The body must be the JSON option object (it is not JSON: {e})"),
                ),
                _ => (
                    "d",
                    format!("d must be an object (the body is not JSON: {e})"),
                ),
            };
            RestError::from(&Error::value(field, message))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn call(method: &str, path: &str) -> Call {
        match route(method, path) {
            Ok(Endpoint::Call(c)) => c,
            other => panic!("{method} {path}: {other:?}"),
        }
    }

    #[test]
    fn paths_are_decoded_and_a_trailing_slash_is_ignored() {
        let c = call("GET", "/my%20app/get/abc/");
        assert_eq!((c.op(), c.app()), ("get", Some("my app")));
        assert_eq!(
            c.input(None, b"").unwrap(),
            json!({"app": "my app", "token": "abc"})
        );
        assert_eq!(route("GET", "/ping/"), Ok(Endpoint::Ping));
        let e = route("GET", "/app/get/%FF").unwrap_err();
        assert_eq!((e.status, e.name), (400, "invalidFormat"));
        assert_eq!(
            e.message,
            "Invalid token format: the path segment is not UTF-8"
        );
    }

    #[test]
    fn head_is_get_on_the_plain_endpoints_only() {
        for path in ["/ping", "/health/", "/metrics", "/openapi.json"] {
            assert_eq!(route("HEAD", path), route("GET", path), "{path}");
        }
        let e = route("HEAD", "/shop/get/abc").unwrap_err();
        assert_eq!((e.status, e.allow.as_deref()), (405, Some("GET")));
    }

    #[test]
    fn probes_are_named_as_the_router_reads_paths() {
        for path in ["/ping", "/ping/", "/health", "/health/", "ping"] {
            assert!(is_probe(path), "{path}");
        }
        for path in [
            "/metrics", "/ping/x", "//ping", "/pingx", "/p%69ng", "/", "",
        ] {
            assert!(!is_probe(path), "{path}");
            assert_ne!(route("GET", path), Ok(Endpoint::Ping), "{path}");
        }
    }

    #[test]
    fn unknown_paths_and_wrong_methods() {
        assert_eq!(route("GET", "/nope").unwrap_err().status, 404);
        assert_eq!(route("GET", "/").unwrap_err().status, 404);
        let e = route("POST", "/ping").unwrap_err();
        assert_eq!((e.status, e.allow.as_deref()), (405, Some("GET, HEAD")));
        let e = route("GET", "/v1/get").unwrap_err();
        assert_eq!((e.status, e.allow.as_deref()), (405, Some("POST")));
        assert_eq!(
            e.message,
            "GET is not allowed on /v1/get (the Allow header lists the methods it takes)"
        );
    }

    #[test]
    fn create_takes_its_query_fields_and_a_body_with_keys() {
        let c = call("PUT", "/shop/create/u1");
        let q = Some("ip=10.0.0.1&ttl=60&other=x&ip=10.9.9.9&no_resave=1");
        assert_eq!(
            c.input(q, b"{}").unwrap(),
            json!({"app": "shop", "id": "u1", "ip": "10.0.0.1", "ttl": "60", "no_resave": true})
        );
        assert_eq!(
            c.input(Some("no_resave=0"), b"{\"a\":1}").unwrap()["no_resave"],
            false
        );
        assert_eq!(
            c.input(Some("no_resave=yes"), b"").unwrap()["no_resave"],
            "yes"
        );
        assert_eq!(c.input(None, b" [1] ").unwrap()["d"], json!([1]));
        let e = c.input(None, b"{nope").unwrap_err();
        assert_eq!((e.status, e.name), (400, "invalidValue"));
        assert!(
            e.message
                .starts_with("d must be an object (the body is not JSON: ")
        );
    }

    #[test]
    fn listings_are_capped_unless_asked_for_less() {
        let c = call("GET", "/shop/soid/u1");
        let capped = |q: &str| {
            let mut input = c.input(Some(q), b"").unwrap();
            c.cap_listing(&mut input, 100);
            input["limit"].clone()
        };
        assert_eq!(capped(""), json!(100));
        assert_eq!(capped("limit=5"), json!("5"));
        assert_eq!(capped("limit=500"), json!(100));
        assert_eq!(capped("limit=abc"), json!("abc"));
        assert_eq!(capped("limit=10001"), json!("10001"));
        let v1 = call("POST", "/v1/soapp");
        let mut input = json!({"app": "a", "dt": 60, "limit": 7});
        v1.cap_listing(&mut input, 5);
        assert_eq!(input["limit"], 5);
        let mut input = json!({"app": "a", "dt": 60});
        v1.cap_listing(&mut input, 0);
        assert!(input.get("limit").is_none());
    }

    #[test]
    fn v1_takes_the_whole_option_object() {
        let c = call("POST", "/v1/soid");
        assert_eq!((c.metric(), c.app()), ("soid", None));
        assert_eq!(c.input(None, b"").unwrap(), Value::Null);
        assert_eq!(
            c.input(None, br#"{"app":"a"}"#).unwrap(),
            json!({"app": "a"})
        );
        assert_eq!(call("POST", "/v1/whatever").metric(), "other");
        let e = c.input(None, b"nope").unwrap_err();
        assert!(
            e.message
                .starts_with("The body must be the JSON option object")
        );
    }

    #[test]
    fn a_handle_kill_counts_apart_and_sweep_spans_apps() {
        let c = call("DELETE", "/shop/handle/h");
        assert_eq!((c.op(), c.metric()), ("kill", "killHandle"));
        let c = call("POST", "/sweep");
        assert_eq!(
            c.input(Some("limit=0"), b"").unwrap(),
            json!({"limit": "0"})
        );
        assert_eq!(c.app(), None);
    }
}
