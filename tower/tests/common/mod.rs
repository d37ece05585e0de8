//! The test app, a server on a loopback port, an HTTP client, and the scenarios that both the
//! memory and the Redis suites run.

#![allow(dead_code, clippy::unwrap_used)] // Each suite uses part of this; unwrap asserts.

pub(crate) mod scenarios;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::middleware::from_extractor;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{Value, json};
use session_core::store::{ApplyError, Batch, Command, Reply, SyncStore};
use session_core::{Listed, MemoryStore};
use session_core_tower::{RequireSession, Session, SessionError, SessionLayer};
use std::future::Future;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;
use tokio::sync::Barrier;

/// The app every scenario drives: one route per session call.
pub(crate) fn routes(layer: SessionLayer, barrier: Arc<Barrier>) -> Router {
    unlayered(barrier).layer(layer)
}

/// The routes, without the session layer (for stacking other layers inside it).
pub(crate) fn unlayered(barrier: Arc<Barrier>) -> Router {
    let guarded = Router::new()
        .route("/guarded/a", get(|| async { "guarded" }))
        .route_layer(from_extractor::<RequireSession>());
    Router::new()
        .route("/login/{user}", post(h_log_in))
        .route("/me", get(h_me))
        .route("/get/{key}", get(h_get_key))
        .route("/set/{key}", post(h_set_key))
        .route("/remove/{key}", post(h_remove_key))
        .route("/race/{key}", post(h_race))
        .route("/logout", post(h_log_out))
        .route("/logout-everywhere", post(h_log_out_everywhere))
        .route("/sessions", get(h_sessions))
        .route("/end/{handle}", post(h_end))
        .route("/private", get(h_private))
        .route("/plain", get(|| async { "plain" }))
        .route("/fail-after-change/{key}", post(h_fail_after_change))
        .route("/save-now/{key}", post(h_save_now))
        .merge(guarded)
        .with_state(barrier)
}

async fn h_log_in(
    session: Session,
    Path(user): Path<String>,
    body: String,
) -> Result<Json<Value>, SessionError> {
    if body.is_empty() {
        session.log_in(&user, ()).await?;
    } else {
        let d: Value = serde_json::from_str(&body).unwrap();
        session.log_in(&user, d).await?;
    }
    Ok(Json(
        json!({ "token": session.token(), "handle": session.handle().map(|h| h.to_string()) }),
    ))
}

async fn h_me(session: Session) -> Json<Value> {
    Json(json!({
        "authenticated": session.authenticated(),
        "user": session.user_id(),
        "r": session.r(),
        "w": session.w(),
        "idle": session.idle(),
        "ttl": session.ttl(),
        "ip": session.ip(),
        "handle": session.handle().map(|h| h.to_string()),
    }))
}

async fn h_get_key(session: Session, Path(key): Path<String>) -> Result<Json<Value>, SessionError> {
    Ok(Json(session.get::<Value>(&key)?.unwrap_or(Value::Null)))
}

async fn h_set_key(
    session: Session,
    Path(key): Path<String>,
    Json(value): Json<Value>,
) -> Result<&'static str, SessionError> {
    session.insert(key, value)?;
    Ok("ok")
}

async fn h_remove_key(
    session: Session,
    Path(key): Path<String>,
) -> Result<&'static str, SessionError> {
    session.remove(&key)?;
    Ok("ok")
}

/// Waits until the other request of the pair has read the session too, then changes one key:
/// both requests read before either writes.
async fn h_race(
    session: Session,
    State(barrier): State<Arc<Barrier>>,
    Path(key): Path<String>,
) -> Result<&'static str, SessionError> {
    barrier.wait().await;
    session.insert(key, true)?;
    Ok("ok")
}

async fn h_log_out(session: Session) -> Result<Json<bool>, SessionError> {
    Ok(Json(session.log_out().await?))
}

async fn h_log_out_everywhere(session: Session) -> Result<Json<u64>, SessionError> {
    Ok(Json(session.log_out_everywhere().await?))
}

async fn h_sessions(session: Session) -> Result<Json<Vec<String>>, SessionError> {
    let list: Vec<Listed> = session.active_sessions().await?;
    Ok(Json(list.iter().map(|s| s.handle.to_string()).collect()))
}

async fn h_end(session: Session, Path(handle): Path<String>) -> Result<Json<bool>, SessionError> {
    Ok(Json(session.log_out_session(&handle).await?))
}

async fn h_private(session: RequireSession) -> String {
    session.user_id().unwrap_or_default()
}

async fn h_fail_after_change(
    session: Session,
    Path(key): Path<String>,
) -> Result<Response, SessionError> {
    session.insert(key, "lost")?;
    Ok((StatusCode::INTERNAL_SERVER_ERROR, "the handler failed").into_response())
}

async fn h_save_now(session: Session, Path(key): Path<String>) -> Response {
    if let Err(e) = session.insert(key, "saved") {
        return e.into_response();
    }
    match session.save().await {
        Ok(()) => Json(json!({ "saved": true, "w": session.w() })).into_response(),
        Err(e) => (StatusCode::IM_A_TEAPOT, e.name()).into_response(),
    }
}

/// A server on a loopback port, on its own Tokio runtime; stopped when dropped.
pub(crate) struct TestServer {
    pub(crate) base: String,
    rt: Option<tokio::runtime::Runtime>,
}

impl TestServer {
    /// Builds the router inside the server's runtime (a Redis store's connection lives there)
    /// and serves it with the client's address (`ConnectInfo`).
    pub(crate) fn start<F, Fut>(make: F) -> Self
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Router>,
    {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let router = rt.block_on(make());
        let listener = rt
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .unwrap();
        let addr = listener.local_addr().unwrap();
        rt.spawn(async move {
            axum::serve(
                listener,
                router.into_make_service_with_connect_info::<SocketAddr>(),
            )
            .await
        });
        Self {
            base: format!("http://{addr}"),
            rt: Some(rt),
        }
    }

    /// Runs `f` on the server's runtime.
    pub(crate) fn block_on<F: Future>(&self, f: F) -> F::Output {
        self.rt.as_ref().unwrap().block_on(f)
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub(crate) fn addr(&self) -> String {
        self.base.trim_start_matches("http://").to_owned()
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(rt) = self.rt.take() {
            rt.shutdown_background();
        }
    }
}

/// How a request presents its token.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Auth<'a> {
    None,
    Cookie(&'a str),
    Bearer(&'a str),
    Header(&'a str),
}

/// An answer, with the headers the tests look at.
#[derive(Debug)]
pub(crate) struct Got {
    pub(crate) status: u16,
    pub(crate) set_cookie: Vec<String>,
    pub(crate) authorization: Option<String>,
    pub(crate) www_authenticate: Option<String>,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: String,
}

impl Got {
    pub(crate) fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {self:?}"))
    }

    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .into()
}

/// Sends `method url` with the token as `auth` says, extra headers, and an optional body.
pub(crate) fn send(
    method: &str,
    url: &str,
    auth: Auth<'_>,
    extra: &[(&str, &str)],
    body: Option<&str>,
) -> Got {
    let agent = agent();
    let mut headers: Vec<(String, String)> = extra
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    match auth {
        Auth::None => {}
        Auth::Cookie(t) => headers.push(("cookie".into(), format!("session={t}"))),
        Auth::Bearer(t) => headers.push(("authorization".into(), format!("Bearer {t}"))),
        Auth::Header(t) => headers.push(("x-access-token".into(), t.to_owned())),
    }
    let result = match method {
        "GET" => {
            let mut req = agent.get(url);
            for (k, v) in &headers {
                req = req.header(k, v);
            }
            req.call()
        }
        "POST" => {
            let mut req = agent.post(url);
            for (k, v) in &headers {
                req = req.header(k, v);
            }
            match body {
                Some(b) => req.content_type("application/json").send(b),
                None => req.send_empty(),
            }
        }
        _ => panic!("unsupported method {method}"),
    };
    let mut resp = result.unwrap_or_else(|e| panic!("{method} {url}: {e}"));
    let all = |name: &str| -> Vec<String> {
        resp.headers()
            .get_all(name)
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .collect()
    };
    let set_cookie = all("set-cookie");
    let authorization = all("authorization").into_iter().next();
    let www_authenticate = all("www-authenticate").into_iter().next();
    let headers = resp
        .headers()
        .iter()
        .map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap_or("").to_owned()))
        .collect();
    let status = resp.status().as_u16();
    let body = resp.body_mut().read_to_string().unwrap();
    Got {
        status,
        set_cookie,
        authorization,
        www_authenticate,
        headers,
        body,
    }
}

/// Logs `user` in; returns the token (from the `Authorization` response header, checked
/// against the cookie).
pub(crate) fn log_in(s: &TestServer, user: &str) -> String {
    let r = send(
        "POST",
        &s.url(&format!("/login/{user}")),
        Auth::None,
        &[],
        None,
    );
    assert_eq!(r.status, 200, "{r:?}");
    token_of(&r)
}

/// The token a login answer hands out, in its `Authorization` header.
pub(crate) fn token_of(r: &Got) -> String {
    let auth = r
        .authorization
        .as_deref()
        .unwrap_or_else(|| panic!("no Authorization header: {r:?}"));
    auth.strip_prefix("Bearer ").unwrap().to_owned()
}

pub(crate) fn me(s: &TestServer, auth: Auth<'_>) -> Value {
    let r = send("GET", &s.url("/me"), auth, &[], None);
    assert_eq!(r.status, 200, "{r:?}");
    r.json()
}

pub(crate) fn get_key(s: &TestServer, token: &str, key: &str) -> Value {
    let r = send(
        "GET",
        &s.url(&format!("/get/{key}")),
        Auth::Bearer(token),
        &[],
        None,
    );
    assert_eq!(r.status, 200, "{r:?}");
    r.json()
}

pub(crate) fn set_key(s: &TestServer, token: &str, key: &str, value: &str) -> Got {
    send(
        "POST",
        &s.url(&format!("/set/{key}")),
        Auth::Bearer(token),
        &[],
        Some(value),
    )
}

/// Raw bytes on a fresh connection (for header bytes no client library would send); the
/// status of the answer.
pub(crate) fn raw_status(addr: &str, request: &[u8]) -> u16 {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(15))).unwrap();
    s.write_all(request).unwrap();
    let mut buf = Vec::new();
    let mut chunk = [0u8; 1024];
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = s.read(&mut chunk).unwrap();
        assert!(n > 0, "closed before an answer");
        buf.extend_from_slice(&chunk[..n]);
    }
    let line = String::from_utf8_lossy(&buf);
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

/// A memory store that counts the batches it applies, the batches that write, and that can
/// be made to fail.
#[derive(Default)]
pub(crate) struct Counting {
    inner: MemoryStore,
    pub(crate) batches: AtomicU64,
    pub(crate) writes: AtomicU64,
    pub(crate) fail: AtomicBool,
}

impl SyncStore for Counting {
    fn apply(&self, batch: Batch) -> Result<Vec<Reply>, ApplyError> {
        if self.fail.load(Ordering::SeqCst) {
            return Err(ApplyError::Store("the test store is down".into()));
        }
        self.batches.fetch_add(1, Ordering::SeqCst);
        if batch.iter().any(|c| matches!(c, Command::Put { .. })) {
            self.writes.fetch_add(1, Ordering::SeqCst);
        }
        self.inner.apply(batch)
    }
}

impl Counting {
    pub(crate) fn writes(&self) -> u64 {
        self.writes.load(Ordering::SeqCst)
    }

    pub(crate) fn batches(&self) -> u64 {
        self.batches.load(Ordering::SeqCst)
    }
}
