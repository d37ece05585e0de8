//! The layer over the in-process memory store, through a real HTTP server on a loopback port.

#![allow(clippy::unwrap_used)] // Tests stop at the first surprise: unwrap is the assertion.

mod common;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::IntoResponse;
use axum::routing::post;
use common::{Auth, Counting, TestServer, log_in, me, routes, scenarios, send, set_key, unlayered};
use serde_json::{Value, json};
use session_core::{MemoryStore, Sessions};
use session_core_tower::{Session, SessionLayer};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;
use tokio::sync::Barrier;

fn server() -> TestServer {
    TestServer::start(|| async {
        routes(
            SessionLayer::new(MemoryStore::new()),
            Arc::new(Barrier::new(2)),
        )
    })
}

/// A server over a counting store, without automatic sweeping (so that every batch is the
/// request's own).
fn counted() -> (TestServer, Arc<Sessions<Counting>>) {
    let sessions = Arc::new(Sessions::new(Counting::default()).with_auto_sweep(None));
    let layer = SessionLayer::new(sessions.clone());
    let s = TestServer::start(|| async { routes(layer, Arc::new(Barrier::new(2))) });
    (s, sessions)
}

#[test]
fn login_sets_the_cookie_and_each_source_authenticates() {
    scenarios::login_sets_the_cookie_and_each_source_authenticates(&server());
}

#[test]
fn changes_persist_and_an_unchanged_session_writes_nothing() {
    scenarios::changes_persist_and_an_unchanged_session_writes_nothing(&server());
}

#[test]
fn the_store_sees_one_write_per_read_and_one_per_changing_request() {
    let (s, sessions) = counted();
    let store = sessions.store();
    let t = log_in(&s, "ann");
    let delta = |f: &dyn Fn()| {
        let (b, w) = (store.batches(), store.writes());
        f();
        (store.batches() - b, store.writes() - w)
    };
    let plain = || {
        assert_eq!(
            send("GET", &s.url("/plain"), Auth::Bearer(&t), &[], None).status,
            200
        )
    };
    assert_eq!(
        delta(&plain),
        (0, 0),
        "a route without the extractor touches no store"
    );
    assert_eq!(
        delta(&|| {
            me(&s, Auth::Bearer(&t));
        })
        .1,
        1,
        "the counted read"
    );
    assert_eq!(
        delta(&|| assert_eq!(set_key(&s, &t, "k", "1").status, 200)).1,
        2,
        "read + one set"
    );
    assert_eq!(
        delta(&|| assert_eq!(set_key(&s, &t, "k", "1").status, 200)).1,
        1,
        "same value: no set"
    );
    let removal = || {
        assert_eq!(
            send(
                "POST",
                &s.url("/remove/absent"),
                Auth::Bearer(&t),
                &[],
                None
            )
            .status,
            200
        )
    };
    assert_eq!(delta(&removal).1, 1, "removing an absent key: no set");
    assert_eq!(
        delta(&|| {
            me(&s, Auth::None);
        }),
        (0, 0),
        "no token: no store access"
    );
    let forged = "F".repeat(64);
    assert_eq!(
        delta(&|| {
            me(&s, Auth::Bearer(&forged));
        })
        .1,
        0,
        "a forged token is looked up, never written"
    );
}

#[test]
fn a_server_error_skips_the_write_and_save_writes_at_once() {
    scenarios::a_server_error_skips_the_write_and_save_writes_at_once(&server());
}

#[test]
fn values_that_are_not_flat_are_typed_errors() {
    scenarios::values_that_are_not_flat_are_typed_errors(&server());
}

#[test]
fn concurrent_requests_changing_different_keys_keep_both() {
    let s = server();
    scenarios::concurrent_requests_changing_different_keys_keep_both(&s, &s);
}

#[test]
fn two_apps_on_one_store_keep_both_changes() {
    let shared = Arc::new(Sessions::new(MemoryStore::new()));
    let barrier = Arc::new(Barrier::new(2));
    let (l1, l2) = (SessionLayer::new(shared.clone()), SessionLayer::new(shared));
    let (b1, b2) = (barrier.clone(), barrier);
    let a = TestServer::start(|| async { routes(l1, b1) });
    let b = TestServer::start(|| async { routes(l2, b2) });
    scenarios::concurrent_requests_changing_different_keys_keep_both(&a, &b);
}

#[test]
fn a_planted_token_is_dead_after_log_in() {
    scenarios::a_planted_token_is_dead_after_log_in(&server());
}

#[test]
fn log_out_and_log_out_everywhere() {
    scenarios::log_out_and_log_out_everywhere(&server());
}

#[test]
fn active_sessions_list_handles_and_end_one_device() {
    scenarios::active_sessions_list_handles_and_end_one_device(&server());
}

#[test]
fn forged_and_malformed_tokens_are_no_session() {
    scenarios::forged_and_malformed_tokens_are_no_session(&server());
}

#[test]
fn require_session_answers_401() {
    scenarios::require_session_answers_401(&server());
}

#[test]
fn a_store_failure_is_a_503_before_or_after_the_handler() {
    let sessions = Arc::new(Sessions::new(Counting::default()).with_auto_sweep(None));
    let layer = SessionLayer::new(sessions.clone());
    // A handler that changes `d`, then takes the store down: the write after it fails.
    let down = sessions.clone();
    let extra = Router::new()
        .route(
            "/change-then-fail",
            post(
                |session: Session, State(s): State<Arc<Sessions<Counting>>>| async move {
                    session.insert("k", 1).unwrap();
                    s.store().fail.store(true, Ordering::SeqCst);
                    "handler done"
                },
            ),
        )
        .route(
            "/save-while-down",
            post(
                |session: Session, State(s): State<Arc<Sessions<Counting>>>| async move {
                    session.insert("k", 2).unwrap();
                    s.store().fail.store(true, Ordering::SeqCst);
                    let e = session.save().await.unwrap_err();
                    s.store().fail.store(false, Ordering::SeqCst);
                    (StatusCode::ACCEPTED, e.name()).into_response()
                },
            ),
        )
        .with_state(down);
    let s = TestServer::start(|| async {
        unlayered(Arc::new(Barrier::new(2)))
            .merge(extra)
            .layer(layer)
    });
    let store = sessions.store();
    let t = log_in(&s, "ann");

    store.fail.store(true, Ordering::SeqCst);
    let r = send("GET", &s.url("/me"), Auth::Bearer(&t), &[], None);
    assert_eq!(r.status, 503, "{r:?}");
    assert_eq!(
        r.json(),
        json!({"error": {"name": "storeError", "message": "the session store is unavailable"}})
    );
    assert!(
        !r.body.contains("test store"),
        "the store's own message stays on the server"
    );
    assert_eq!(
        send("POST", &s.url("/login/bob"), Auth::None, &[], None).status,
        503
    );
    assert_eq!(
        send("GET", &s.url("/plain"), Auth::Bearer(&t), &[], None).status,
        200
    );
    store.fail.store(false, Ordering::SeqCst);
    assert_eq!(
        me(&s, Auth::Bearer(&t))["authenticated"],
        true,
        "back when the store is"
    );

    let r = send(
        "POST",
        &s.url("/change-then-fail"),
        Auth::Bearer(&t),
        &[],
        None,
    );
    assert_eq!(r.status, 503, "the write after the handler failed: {r:?}");
    store.fail.store(false, Ordering::SeqCst);
    assert_eq!(common::get_key(&s, &t, "k"), Value::Null);

    // `save()` shows the failure to the handler; the changes stay for the write after it.
    let r = send(
        "POST",
        &s.url("/save-while-down"),
        Auth::Bearer(&t),
        &[],
        None,
    );
    assert_eq!((r.status, r.body.as_str()), (202, "storeError"));
    assert_eq!(common::get_key(&s, &t, "k"), 2);
}

#[test]
fn works_inside_and_outside_tower_http_layers() {
    use tower_http::compression::CompressionLayer;
    use tower_http::limit::RequestBodyLimitLayer;
    use tower_http::set_header::SetResponseHeaderLayer;
    use tower_http::timeout::TimeoutLayer;
    let s = TestServer::start(|| async {
        unlayered(Arc::new(Barrier::new(2)))
            // Inside: a response body that is not axum's, a request body that is limited.
            .layer(CompressionLayer::new())
            .layer(RequestBodyLimitLayer::new(4096))
            .layer(SessionLayer::new(MemoryStore::new()))
            // Outside: over the session layer's responses.
            .layer(CompressionLayer::new())
            .layer(SetResponseHeaderLayer::overriding(
                HeaderName::from_static("x-stack"),
                HeaderValue::from_static("tower-http"),
            ))
            .layer(TimeoutLayer::with_status_code(
                StatusCode::REQUEST_TIMEOUT,
                Duration::from_secs(10),
            ))
    });
    let r = send("POST", &s.url("/login/ann"), Auth::None, &[], None);
    assert_eq!(r.status, 200);
    assert_eq!(r.header("x-stack"), Some("tower-http"));
    let t = common::token_of(&r);
    assert_eq!(set_key(&s, &t, "theme", r#""dark""#).status, 200);
    let r = send(
        "GET",
        &s.url("/get/theme"),
        Auth::Cookie(&t),
        &[("accept-encoding", "identity")],
        None,
    );
    assert_eq!((r.status, r.json()), (200, json!("dark")));
    let big = format!("\"{}\"", "x".repeat(5000));
    assert_eq!(
        set_key(&s, &t, "big", &big).status,
        413,
        "the body limit still applies"
    );
    assert_eq!(
        send("GET", &s.url("/private"), Auth::None, &[], None).status,
        401
    );
    scenarios::changes_persist_and_an_unchanged_session_writes_nothing(&s);
}
