//! The layer over a real redis-server (started on a spare loopback port), through a real HTTP
//! server. Two servers with a `RedisStore` each stand for two processes of one app.

#![allow(clippy::unwrap_used)] // Tests stop at the first surprise: unwrap is the assertion.

mod common;

use common::{Auth, TestServer, log_in, me, routes, scenarios, send, set_key};
use conformance::redis_server::RedisServer;
use serde_json::json;
use session_core::AsyncSessions;
use session_core_redis::RedisStore;
use session_core_tower::SessionLayer;
use std::sync::Arc;
use tokio::sync::Barrier;

/// An app on its own `RedisStore` (its own connection and record cache, as a process has).
fn server_with(redis: &RedisServer, barrier: Arc<Barrier>, auto_sweep: bool) -> TestServer {
    let url = redis.url();
    TestServer::start(|| async move {
        let store = RedisStore::connect(&url).await.unwrap();
        let layer = if auto_sweep {
            SessionLayer::new(store)
        } else {
            SessionLayer::new(AsyncSessions::new(store).with_auto_sweep(None))
        };
        routes(layer, barrier)
    })
}

fn server(redis: &RedisServer) -> TestServer {
    server_with(redis, Arc::new(Barrier::new(2)), true)
}

#[test]
fn login_sets_the_cookie_and_each_source_authenticates() {
    let redis = RedisServer::start();
    scenarios::login_sets_the_cookie_and_each_source_authenticates(&server(&redis));
}

#[test]
fn changes_persist_and_an_unchanged_session_writes_nothing() {
    let redis = RedisServer::start();
    scenarios::changes_persist_and_an_unchanged_session_writes_nothing(&server(&redis));
}

/// Counted on the server: a request that reads runs one script (the counted read), one that
/// changes `d` runs two, one that does not take the session runs nothing.
#[test]
fn redis_sees_one_script_per_read_and_one_per_changing_request() {
    let redis = RedisServer::start();
    let s = server_with(&redis, Arc::new(Barrier::new(2)), false);
    let t = log_in(&s, "ann");
    // Scripts, and GETs: each script reads the record once (that counts as a GET), so as
    // many GETs as scripts means no plain read went to Redis: the record came from the cache.
    let seen = || (redis.calls("evalsha"), redis.calls("get"));
    let delta = |f: &dyn Fn()| {
        let (scripts, gets) = seen();
        f();
        let (s2, g2) = seen();
        (s2 - scripts, g2 - gets)
    };
    assert_eq!(
        delta(&|| {
            send("GET", &s.url("/plain"), Auth::Bearer(&t), &[], None);
        }),
        (0, 0)
    );
    assert_eq!(
        delta(&|| {
            me(&s, Auth::Bearer(&t));
        }),
        (1, 1),
        "one round trip: the counted read"
    );
    assert_eq!(
        delta(&|| assert_eq!(set_key(&s, &t, "k", "1").status, 200)),
        (2, 2),
        "read + one set"
    );
    assert_eq!(
        delta(&|| assert_eq!(set_key(&s, &t, "k", "1").status, 200)),
        (1, 1),
        "same value: no set"
    );
    assert_eq!(
        delta(&|| {
            me(&s, Auth::None);
        }),
        (0, 0)
    );
}

#[test]
fn a_server_error_skips_the_write_and_save_writes_at_once() {
    let redis = RedisServer::start();
    scenarios::a_server_error_skips_the_write_and_save_writes_at_once(&server(&redis));
}

#[test]
fn values_that_are_not_flat_are_typed_errors() {
    let redis = RedisServer::start();
    scenarios::values_that_are_not_flat_are_typed_errors(&server(&redis));
}

#[test]
fn concurrent_requests_changing_different_keys_keep_both() {
    let redis = RedisServer::start();
    let s = server(&redis);
    scenarios::concurrent_requests_changing_different_keys_keep_both(&s, &s);
}

/// Two processes (each with its own connection and record cache) change different keys of
/// one session at the same time: both changes stay.
#[test]
fn two_processes_changing_different_keys_keep_both() {
    let redis = RedisServer::start();
    let barrier = Arc::new(Barrier::new(2));
    let a = server_with(&redis, barrier.clone(), true);
    let b = server_with(&redis, barrier, true);
    scenarios::concurrent_requests_changing_different_keys_keep_both(&a, &b);
}

#[test]
fn a_planted_token_is_dead_after_log_in() {
    let redis = RedisServer::start();
    scenarios::a_planted_token_is_dead_after_log_in(&server(&redis));
}

#[test]
fn log_out_and_log_out_everywhere() {
    let redis = RedisServer::start();
    scenarios::log_out_and_log_out_everywhere(&server(&redis));
}

#[test]
fn active_sessions_list_handles_and_end_one_device() {
    let redis = RedisServer::start();
    scenarios::active_sessions_list_handles_and_end_one_device(&server(&redis));
}

#[test]
fn forged_and_malformed_tokens_are_no_session() {
    let redis = RedisServer::start();
    scenarios::forged_and_malformed_tokens_are_no_session(&server(&redis));
}

#[test]
fn require_session_answers_401() {
    let redis = RedisServer::start();
    scenarios::require_session_answers_401(&server(&redis));
}

/// Redis down: a request that needs the session is a 503 (the store's message stays on the
/// server); one that does not is served; when Redis is back, so are sessions.
#[test]
fn redis_down_is_a_503_and_back_is_back() {
    let mut redis = RedisServer::start();
    let s = server(&redis);
    let t = log_in(&s, "ann");
    redis.stop();
    let r = send("GET", &s.url("/me"), Auth::Bearer(&t), &[], None);
    assert_eq!(r.status, 503, "{r:?}");
    assert_eq!(
        r.json(),
        json!({"error": {"name": "storeError", "message": "the session store is unavailable"}})
    );
    assert_eq!(
        send("POST", &s.url("/login/bob"), Auth::None, &[], None).status,
        503
    );
    assert_eq!(
        send("GET", &s.url("/plain"), Auth::Bearer(&t), &[], None).status,
        200
    );
    redis.restart(); // empty: nothing is persisted
    assert_eq!(me(&s, Auth::Bearer(&t))["authenticated"], false);
    let t = log_in(&s, "ann");
    assert_eq!(me(&s, Auth::Bearer(&t))["authenticated"], true);
}
