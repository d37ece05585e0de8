//! The HTTP surface: every request goes through the core's `rest` module, which names the
//! route, builds the operation's option object and shapes the answer. This file only moves
//! bytes: it reads the body within the limits, runs the operation on the backend, counts it,
//! and writes the reply. The Worker does the same through the wasm module.

use crate::backend::{Backend, TestClock};
use crate::body::read_body;
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, Version, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use session_core::Response as SessionResponse;
use session_core::host::write_listed_items;
use session_core::rest::{self, Auth, Call, Counters, Endpoint, Reply, RestError};
use std::sync::Arc;
use std::time::Duration;

/// What every request shares.
pub(crate) struct App {
    pub(crate) backend: Backend,
    pub(crate) metrics: Counters,
    pub(crate) body_limit: usize,
    /// Refused bodies (over `body_limit`) are read and discarded up to this many bytes in all
    /// (0: never), so that the client reads the 413 rather than a broken pipe.
    pub(crate) discard_limit: u64,
    /// How long discarding a refused body may take.
    pub(crate) discard_timeout: Duration,
    /// `--max-list`: the most sessions in one listing's answer (0: no cap).
    pub(crate) max_list: u32,
    /// How long a body may take to arrive once the headers are in.
    pub(crate) body_timeout: Duration,
    pub(crate) test_clock: TestClock,
    /// `--auth-token`, if set.
    pub(crate) auth: Option<Auth>,
}

pub(crate) fn router(app: Arc<App>) -> Router {
    Router::new().fallback(handle).with_state(app)
}

/// Writes a reply of the core's `rest` module.
fn respond(reply: Reply) -> Response {
    let mut response = (
        StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        [(header::CONTENT_TYPE, reply.content_type)],
        reply.body,
    )
        .into_response();
    for (name, value) in reply.headers {
        if let Ok(value) = HeaderValue::from_str(&value) {
            response
                .headers_mut()
                .insert(HeaderName::from_static(name), value);
        }
    }
    response
}

async fn handle(State(app): State<Arc<App>>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    if let Err(e) = check_host(parts.version, &parts.headers) {
        return closing(respond(e.reply()));
    }
    if let Some(clock) = &app.test_clock.0 {
        let now = parts
            .headers
            .get(rest::TEST_NOW_HEADER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        if let Some(now) = now {
            clock.set(now);
        }
    }
    let path = parts.uri.path();
    if let Some(auth) = &app.auth {
        let authorization = parts.headers.get(header::AUTHORIZATION);
        if let Err(e) = auth.check(path, authorization.map(HeaderValue::as_bytes)) {
            return respond(e.reply());
        }
    }
    match rest::route(parts.method.as_str(), path) {
        Err(e) => respond(e.reply()),
        Ok(Endpoint::Ping) => {
            app.metrics.record("ping", true);
            respond(rest::pong())
        }
        Ok(Endpoint::Health) => health(&app).await,
        Ok(Endpoint::Metrics) => {
            let live = app.backend.live_sessions().map(|n| n as u64);
            let mut text = app.metrics.render(live);
            if let Some(report) = app.backend.snapshots().map(|s| s.report()) {
                text.push_str(&rest::render_snapshot_metrics(
                    report.last_success_ms,
                    report.failures,
                ));
            }
            ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], text).into_response()
        }
        Ok(Endpoint::OpenApi) => respond(Reply::json(rest::OPENAPI.to_owned())),
        Ok(Endpoint::Call(call)) => run(&app, &call, parts.uri.query(), &parts.headers, body).await,
    }
}

/// RFC 9112, section 3.2: an HTTP/1.1 request carries exactly one `Host` header, and any
/// request at most one, with a valid value (empty, or `host[:port]`); otherwise `400`, as
/// nginx answers. An HTTP/1.0 request without one stays accepted (load balancers' health
/// checks send them).
fn check_host(version: Version, headers: &HeaderMap) -> Result<(), RestError> {
    let bad =
        |why: String| RestError::new(400, "badRequest", format!("{why} (RFC 9112, section 3.2)"));
    let mut hosts = headers.get_all(header::HOST).iter();
    match (hosts.next(), hosts.next()) {
        (None, _) if version >= Version::HTTP_11 => Err(bad(
            "An HTTP/1.1 request must carry a Host header".to_owned(),
        )),
        (None, _) => Ok(()),
        (Some(_), Some(_)) => Err(bad(format!(
            "A request must carry one Host header; this one has {}",
            headers.get_all(header::HOST).iter().count()
        ))),
        (Some(host), None) => {
            let bytes = host.as_bytes();
            let valid = bytes.is_empty()
                || (!bytes.contains(&b'@') && axum::http::uri::Authority::try_from(bytes).is_ok());
            if valid {
                Ok(())
            } else {
                Err(bad("The Host header is not a host[:port]".to_owned()))
            }
        }
    }
}

/// `response` with `Connection: close`: the connection cannot carry another request.
fn closing(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    response
}

/// Reads the body (when the route takes one), builds the input, runs the operation.
async fn run(
    app: &App,
    call: &Call,
    query: Option<&str>,
    headers: &HeaderMap,
    body: Body,
) -> Response {
    let bytes = if call.reads_body() {
        match read_body(app, headers, body).await {
            Ok(bytes) => bytes,
            Err(refused) => {
                app.metrics.record(call.metric(), false);
                let response = respond(refused.error.reply());
                // A body not read to its end: the connection cannot carry another request.
                return if refused.read_to_end {
                    response
                } else {
                    closing(response)
                };
            }
        }
    } else {
        Bytes::new()
    };
    let input = match call.input(query, &bytes) {
        Ok(mut input) => {
            call.cap_listing(&mut input, app.max_list);
            if app.max_list == 0 && whole_listing(call, &input) {
                return stream_listing(app, call, input).await;
            }
            input
        }
        Err(e) => {
            app.metrics.record(call.metric(), false);
            return respond(e.reply());
        }
    };
    let result = app.backend.call(call.op(), &input).await;
    app.metrics.record(call.metric(), result.is_ok());
    respond(rest::respond(result.as_ref()))
}

/// Whether a request asks for a whole listing (`soapp` or `soid` without `limit` or `cursor`).
fn whole_listing(call: &Call, input: &Value) -> bool {
    matches!(call.op(), "soapp" | "soid")
        && ["limit", "cursor"]
            .iter()
            .all(|k| input.get(k).is_none_or(Value::is_null))
}

/// A whole listing with no cap (`--max-list 0`), in bounded memory: the core answers it in
/// pages of the largest limit, and each page is written to the response as it comes, so the
/// server holds one page at a time, never the whole listing. A listing that fits in one page
/// is answered as usual. If the store fails after the first page, the response is cut short
/// (the connection closes before the JSON ends), never silently incomplete.
async fn stream_listing(app: &App, call: &Call, mut input: Value) -> Response {
    input["limit"] = Value::from(session_core::ops::page::LIMIT_MAX);
    let first = app.backend.call(call.op(), &input).await;
    app.metrics.record(call.metric(), first.is_ok());
    let (page, cursor) = match first {
        Ok(SessionResponse::Page(p)) => match p.cursor.clone() {
            Some(cursor) => (p, cursor),
            None => return respond(rest::respond(Ok(&SessionResponse::Page(p)))),
        },
        other => return respond(rest::respond(other.as_ref())),
    };
    let mut text = String::from("{\"sessions\":[");
    write_listed_items(&mut text, &page.sessions);
    let mut written = !page.sessions.is_empty();
    drop(page);
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(1);
    let backend = app.backend.clone();
    let op = call.op().to_owned();
    tokio::spawn(async move {
        if tx.send(Ok(Bytes::from(text))).await.is_err() {
            return;
        }
        let mut cursor = Some(cursor);
        while let Some(c) = cursor.take() {
            input["cursor"] = Value::String(c);
            let chunk = match backend.call(&op, &input).await {
                Ok(SessionResponse::Page(p)) => {
                    let mut text = String::new();
                    if written && !p.sessions.is_empty() {
                        text.push(',');
                    }
                    write_listed_items(&mut text, &p.sessions);
                    written |= !p.sessions.is_empty();
                    cursor = p.cursor;
                    if cursor.is_none() {
                        text.push_str("]}");
                    }
                    Ok(Bytes::from(text))
                }
                Ok(_) => Err(std::io::Error::other("a listing page was not a page")),
                Err(e) => Err(std::io::Error::other(e.to_string())),
            };
            let failed = chunk.is_err();
            if tx.send(chunk).await.is_err() || failed {
                return;
            }
        }
    });
    let stream = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|chunk| (chunk, rx))
    });
    (
        [(header::CONTENT_TYPE, "application/json")],
        Body::from_stream(stream),
    )
        .into_response()
}

/// `/health`: whether the store answers, which store, and the sessions it holds; with
/// `--data`, the snapshots' state: `degraded` (still 200: the server serves) while they fail,
/// with the reason.
async fn health(app: &App) -> Response {
    let probe = app
        .backend
        .call("activity", &json!({"app": "_health", "dt": 10}))
        .await;
    let snapshots = app.backend.snapshots().map(|s| s.report());
    let failing = snapshots.as_ref().and_then(|r| r.failing.as_deref());
    let (status, word) = match (probe.is_ok(), failing) {
        (false, _) => (StatusCode::SERVICE_UNAVAILABLE, "unavailable"),
        (true, Some(_)) => (StatusCode::OK, "degraded"),
        (true, None) => (StatusCode::OK, "ok"),
    };
    let mut body = json!({
        "status": word,
        "store": app.backend.kind(),
        "sessions": app.backend.live_sessions(),
    });
    if let Some(why) = failing {
        body["reason"] = json!(format!("the --data snapshot cannot be written: {why}"));
    }
    if let Some(r) = snapshots {
        body["snapshot"] = json!({
            "status": if r.failing.is_some() { "failing" } else { "ok" },
            "last_success": r.last_success_ms as f64 / 1000.0,
            "failures": r.failures,
            "writes": if r.refusing { "refused" } else { "accepted" },
        });
    }
    (status, axum::Json(body)).into_response()
}
