//! The HTTP routes: rest-sessions' API, plus touch, regenerate, TTL, handles, health, metrics
//! and the OpenAPI document.

use crate::auth::{self, Auth};
use crate::backend::{Backend, TestClock};
use crate::errors::{self, ApiError, HttpError};
use crate::metrics::{self, Metrics};
use axum::body::{Body, Bytes, HttpBody as _, to_bytes};
use axum::extract::rejection::PathRejection;
use axum::extract::{FromRequestParts, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post, put};
use axum::{Json, Router};
use http_body_util::{BodyExt as _, LengthLimitError, Limited};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};
use session_core::Error;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

/// What every handler shares.
pub(crate) struct App {
    pub(crate) backend: Backend,
    pub(crate) metrics: Metrics,
    pub(crate) body_limit: usize,
    /// How long a body may take to arrive once the headers are in.
    pub(crate) body_timeout: Duration,
    pub(crate) test_clock: TestClock,
    /// `--auth-token`, if set.
    pub(crate) auth: Option<Auth>,
}

type Shared = State<Arc<App>>;
type Params = Query<HashMap<String, String>>;

/// The OpenAPI document served at `/openapi.json`.
const OPENAPI: &str = include_str!("openapi.json");

pub(crate) fn router(app: Arc<App>) -> Router {
    let test_clock = app.test_clock.0.is_some();
    let router = Router::new()
        .route("/ping", get(ping))
        .route("/health", get(health))
        .route("/metrics", get(metrics))
        .route("/openapi.json", get(openapi))
        .route("/{app}/create/{id}", put(create))
        .route("/{app}/get/{token}", get(get_session))
        .route("/{app}/set/{token}", post(set))
        .route("/{app}/touch/{token}", post(touch))
        .route("/{app}/regenerate/{token}", post(regenerate))
        .route("/{app}/ttl/{token}", put(set_ttl))
        .route("/{app}/activity", get(activity))
        .route("/{app}/soapp", get(soapp))
        .route("/{app}/soid/{id}", get(soid))
        .route("/{app}/kill/{token}", delete(kill))
        .route("/{app}/handle/{handle}", delete(kill_handle))
        .route("/{app}/killsoid/{id}", delete(killsoid))
        .route("/{app}/killall", delete(killall))
        .route("/{app}/sweep", post(sweep))
        .route("/sweep", post(sweep_all))
        .route("/v1/{op}", post(call))
        .fallback(not_found);
    let router = if test_clock {
        router.layer(axum::middleware::from_fn_with_state(
            app.clone(),
            set_test_clock,
        ))
    } else {
        router
    };
    let router = match &app.auth {
        Some(auth) => router.layer(axum::middleware::from_fn_with_state(
            Arc::new(auth.clone()),
            auth::require,
        )),
        None => router,
    };
    // Outermost: whatever answered, an error goes out as JSON.
    router
        .layer(axum::middleware::from_fn(json_errors))
        .with_state(app)
}

/// The safety net under "every error is JSON": an error answer that is not JSON (one the
/// framework wrote: 405 for a route without that method, a rejected extractor) is rewritten
/// as `{"error", "message"}` with the same status and headers (`Allow`, `WWW-Authenticate`).
async fn json_errors(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let response = next.run(req).await;
    let status = response.status();
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if !(status.is_client_error() || status.is_server_error()) || is_json {
        return response;
    }
    let (parts, body) = response.into_parts();
    let text = to_bytes(body, 16 * 1024)
        .await
        .map(|b| String::from_utf8_lossy(&b).trim().to_owned())
        .unwrap_or_default();
    let message = if status == StatusCode::METHOD_NOT_ALLOWED {
        // The router adds the `Allow` header after this layer.
        format!("{method} is not allowed on {path} (the Allow header lists the methods it takes)")
    } else if text.is_empty() {
        status.canonical_reason().unwrap_or("Error").to_owned()
    } else {
        text
    };
    let mut out = errors::error(status, errors::name_of(status), &message);
    for (name, value) in &parts.headers {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            out.headers_mut().insert(name.clone(), value.clone());
        }
    }
    out
}

/// Path parameters whose rejection is JSON: a segment that is not UTF-8 once
/// percent-decoded is `invalidFormat` for its field, as a bad value of it would be.
struct Seg<T>(T);

impl<T, S> FromRequestParts<S> for Seg<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Response> {
        use axum::extract::path::ErrorKind;
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(v)) => Ok(Seg(v)),
            Err(PathRejection::FailedToDeserializePathParams(e)) => {
                let message = match e.kind() {
                    ErrorKind::InvalidUtf8InPathParam { key } => {
                        return Err(HttpError::new(
                            StatusCode::BAD_REQUEST,
                            "invalidFormat",
                            format!("Invalid {key} format: the path segment is not UTF-8"),
                        )
                        .into_response());
                    }
                    _ => e.body_text(),
                };
                Err(HttpError::new(StatusCode::BAD_REQUEST, "badRequest", message).into_response())
            }
            Err(e) => Err(
                HttpError::new(e.status(), errors::name_of(e.status()), e.body_text())
                    .into_response(),
            ),
        }
    }
}

/// `--test-clock`: the request says what time it is.
async fn set_test_clock(
    State(app): Shared,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let now = req
        .headers()
        .get("x-session-core-now")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if let (Some(clock), Some(now)) = (&app.test_clock.0, now) {
        clock.set(now);
    }
    next.run(req).await
}

/// Runs one operation and shapes the answer: `null` (unknown token) becomes `200 {}`, as
/// rest-sessions clients expect; errors become `{"error", "message"}` with their status.
async fn run(app: &App, route: &str, op: &str, input: Value) -> Response {
    let result = app.backend.call(op, &input).await;
    app.metrics.record(route, result.is_ok());
    match result {
        Ok(Value::Null) => Json(json!({})).into_response(),
        Ok(v) => Json(v).into_response(),
        Err(e) => ApiError(e).into_response(),
    }
}

/// Reads a body of at most the configured size within the configured time: 413 when it is
/// (or announces to be) larger, 408 when it is too slow, 400 when it cannot be read (a
/// malformed chunk, a connection closed before the announced length).
async fn read_body(app: &App, body: Body) -> Result<Bytes, HttpError> {
    let too_large = || {
        let e = ApiError(Error::TooLarge {
            message: format!("The request body is larger than {} bytes", app.body_limit),
        });
        HttpError::new(e.status(), e.0.name(), e.0.to_string())
    };
    // A Content-Length over the limit is refused before a byte is read.
    if usize::try_from(body.size_hint().lower()).map_or(true, |n| n > app.body_limit) {
        return Err(too_large());
    }
    let read = Limited::new(body, app.body_limit).collect();
    match tokio::time::timeout(app.body_timeout, read).await {
        Ok(Ok(collected)) => Ok(collected.to_bytes()),
        Ok(Err(e)) if e.downcast_ref::<LengthLimitError>().is_some() => Err(too_large()),
        Ok(Err(e)) => {
            let mut why = e.to_string();
            let mut source = std::error::Error::source(e.as_ref());
            while let Some(s) = source {
                let s_text = s.to_string();
                if !why.contains(&s_text) {
                    why = format!("{why}: {s_text}");
                }
                source = s.source();
            }
            Err(HttpError::new(
                StatusCode::BAD_REQUEST,
                "badRequest",
                format!("The request body could not be read ({why})"),
            ))
        }
        Err(_) => Err(HttpError::new(
            StatusCode::REQUEST_TIMEOUT,
            "timeout",
            format!(
                "The request body did not arrive within {} s",
                app.body_timeout.as_secs_f64()
            ),
        )),
    }
}

/// Reads a JSON body (see [`read_body`]). An empty body is `None`.
async fn body_json(app: &App, body: Body) -> Result<Option<Value>, Response> {
    let bytes = read_body(app, body).await.map_err(|e| {
        let mut response = e.into_response();
        // The rest of the body was not read: the connection cannot carry another request.
        response
            .headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
        response
    })?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    serde_json::from_slice(&bytes).map(Some).map_err(|e| {
        ApiError(Error::value(
            "d",
            format!("d must be an object (the body is not JSON: {e})"),
        ))
        .into_response()
    })
}

/// The option object for an operation: the path's fields, then the query's.
fn input(fields: &[(&str, &str)], query: &HashMap<String, String>, from_query: &[&str]) -> Value {
    let mut o = Map::new();
    for (k, v) in fields {
        o.insert((*k).to_owned(), Value::String((*v).to_owned()));
    }
    for k in from_query {
        if let Some(v) = query.get(*k) {
            o.insert((*k).to_owned(), Value::String(v.clone()));
        }
    }
    Value::Object(o)
}

/// `PONG`, four bytes of plain text, exactly as rest-sessions answers.
async fn ping(State(app): Shared) -> Response {
    app.metrics.record("ping", true);
    (
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        "PONG",
    )
        .into_response()
}

async fn health(State(app): Shared) -> Response {
    let probe = app
        .backend
        .call("activity", &json!({"app": "_health", "dt": 10}))
        .await;
    let status = if probe.is_ok() {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let body = json!({
        "status": if probe.is_ok() { "ok" } else { "unavailable" },
        "store": app.backend.kind(),
        "sessions": app.backend.live_sessions(),
    });
    (status, Json(body)).into_response()
}

async fn metrics(State(app): Shared) -> Response {
    let text = app.metrics.render(app.backend.live_sessions());
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], text).into_response()
}

async fn openapi() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI).into_response()
}

async fn not_found() -> Response {
    let body = json!({"error": "notFound", "message": "No such route; see /openapi.json"});
    (StatusCode::NOT_FOUND, Json(body)).into_response()
}

async fn create(
    State(app): Shared,
    Seg((a, id)): Seg<(String, String)>,
    Query(q): Params,
    body: Body,
) -> Response {
    let mut input = input(&[("app", &a), ("id", &id)], &q, &["ip", "ttl", "lifetime"]);
    if q.get("no_resave").is_some_and(|v| v == "true" || v == "1") {
        input["no_resave"] = json!(true);
    }
    match body_json(&app, body).await {
        // rest-sessions passes the body as `d` only when it has keys.
        Ok(Some(Value::Object(d))) if d.is_empty() => {}
        Ok(Some(d)) => input["d"] = d,
        Ok(None) => {}
        Err(e) => {
            app.metrics.record("create", false);
            return e.into_response();
        }
    }
    run(&app, "create", "create", input).await
}

async fn get_session(State(app): Shared, Seg((a, token)): Seg<(String, String)>) -> Response {
    run(
        &app,
        "get",
        "get",
        input(&[("app", &a), ("token", &token)], &HashMap::new(), &[]),
    )
    .await
}

async fn set(State(app): Shared, Seg((a, token)): Seg<(String, String)>, body: Body) -> Response {
    let mut input = input(&[("app", &a), ("token", &token)], &HashMap::new(), &[]);
    match body_json(&app, body).await {
        Ok(Some(d)) => input["d"] = d,
        Ok(None) => {}
        Err(e) => {
            app.metrics.record("set", false);
            return e.into_response();
        }
    }
    run(&app, "set", "set", input).await
}

async fn touch(State(app): Shared, Seg((a, token)): Seg<(String, String)>) -> Response {
    run(
        &app,
        "touch",
        "touch",
        input(&[("app", &a), ("token", &token)], &HashMap::new(), &[]),
    )
    .await
}

async fn regenerate(State(app): Shared, Seg((a, token)): Seg<(String, String)>) -> Response {
    let input = input(&[("app", &a), ("token", &token)], &HashMap::new(), &[]);
    run(&app, "regenerate", "regenerate", input).await
}

async fn set_ttl(
    State(app): Shared,
    Seg((a, token)): Seg<(String, String)>,
    Query(q): Params,
) -> Response {
    run(
        &app,
        "setTtl",
        "setTtl",
        input(&[("app", &a), ("token", &token)], &q, &["ttl"]),
    )
    .await
}

async fn activity(State(app): Shared, Seg(a): Seg<String>, Query(q): Params) -> Response {
    run(
        &app,
        "activity",
        "activity",
        input(&[("app", &a)], &q, &["dt"]),
    )
    .await
}

async fn soapp(State(app): Shared, Seg(a): Seg<String>, Query(q): Params) -> Response {
    run(&app, "soapp", "soapp", input(&[("app", &a)], &q, &["dt"])).await
}

async fn soid(State(app): Shared, Seg((a, id)): Seg<(String, String)>) -> Response {
    run(
        &app,
        "soid",
        "soid",
        input(&[("app", &a), ("id", &id)], &HashMap::new(), &[]),
    )
    .await
}

async fn kill(State(app): Shared, Seg((a, token)): Seg<(String, String)>) -> Response {
    run(
        &app,
        "kill",
        "kill",
        input(&[("app", &a), ("token", &token)], &HashMap::new(), &[]),
    )
    .await
}

async fn kill_handle(State(app): Shared, Seg((a, handle)): Seg<(String, String)>) -> Response {
    let input = input(&[("app", &a), ("handle", &handle)], &HashMap::new(), &[]);
    run(&app, "killHandle", "kill", input).await
}

async fn killsoid(State(app): Shared, Seg((a, id)): Seg<(String, String)>) -> Response {
    run(
        &app,
        "killsoid",
        "killsoid",
        input(&[("app", &a), ("id", &id)], &HashMap::new(), &[]),
    )
    .await
}

async fn killall(State(app): Shared, Seg(a): Seg<String>) -> Response {
    run(
        &app,
        "killall",
        "killall",
        input(&[("app", &a)], &HashMap::new(), &[]),
    )
    .await
}

async fn sweep(State(app): Shared, Seg(a): Seg<String>, Query(q): Params) -> Response {
    run(
        &app,
        "sweep",
        "sweep",
        input(&[("app", &a)], &q, &["limit"]),
    )
    .await
}

async fn sweep_all(State(app): Shared, Query(q): Params) -> Response {
    run(&app, "sweep", "sweep", input(&[], &q, &["limit"])).await
}

/// Any operation by name with its JSON option object as the body, exactly as the JS API takes
/// it: for clients that want the whole API with JSON types (and the conformance tests).
async fn call(State(app): Shared, Seg(op): Seg<String>, body: Body) -> Response {
    let route = metrics::ROUTES
        .iter()
        .find(|r| **r == op)
        .copied()
        .unwrap_or("other");
    match body_json(&app, body).await {
        Ok(input) => run(&app, route, &op, input.unwrap_or(Value::Null)).await,
        Err(e) => {
            app.metrics.record(route, false);
            e.into_response()
        }
    }
}
