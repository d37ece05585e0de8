//! Bad input is rejected before any Redis command is sent: every validation failure of the
//! conformance vectors is replayed against a live session; none sends a batch (counted by a
//! wrapper store), Redis runs no script (INFO commandstats), and nothing stored changes.

#![allow(clippy::unwrap_used)] // Tests stop at the first surprise: unwrap is the assertion.

mod common;

use common::RedisServer;
use serde_json::Value;
use session_core::store::{ApplyError, AsyncStore, Batch, Reply};
use session_core::{AsyncSessions, Create, Patch};
use session_core_redis::RedisStore;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Counts the batches that reach the Redis store.
struct Counting {
    inner: RedisStore,
    batches: AtomicUsize,
}

impl AsyncStore for Counting {
    async fn apply(&self, batch: Batch) -> Result<Vec<Reply>, ApplyError> {
        self.batches.fetch_add(1, Ordering::SeqCst);
        self.inner.apply(batch).await
    }
}

/// Every step of the vectors that must fail validation, as (op, input, error name).
fn validation_steps() -> Vec<(String, Value, String)> {
    conformance::error_steps()
        .into_iter()
        .filter(|s| {
            ["missingParameter", "invalidFormat", "invalidValue"].contains(&s.name.as_str())
        })
        .map(|s| (s.op, s.input, s.name))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_sends_nothing_to_redis() {
    let server = RedisServer::start();
    let store = Counting {
        inner: RedisStore::connect(&server.url()).await.unwrap(),
        batches: AtomicUsize::new(0),
    };
    let sessions = AsyncSessions::new(store).with_auto_sweep(None);
    let token = sessions
        .create(Create::new("test", "user1", "127.0.0.1").data(Patch::new().set("a", 1)))
        .await
        .unwrap();
    // KEYS answers in hash-table order, which a rehash may change: compare the sets.
    let sorted_keys = || {
        let mut k: Vec<String> = server
            .cmd(&["KEYS", "*"])
            .lines()
            .map(String::from)
            .collect();
        k.sort();
        k
    };
    let keys = sorted_keys();
    let record = server.cmd(&["GET", &format!("rs:{{test}}:s:{}", token.handle())]);
    let batches = sessions.store().batches.load(Ordering::SeqCst);
    let scripts = server.calls("evalsha");

    let steps = validation_steps();
    assert!(steps.len() > 200, "found {} steps", steps.len());
    for (op, input, name) in &steps {
        let input = conformance::bind(input, token.as_str());
        match sessions.call(op, &input).await {
            Err(e) => {
                assert_eq!(e.name(), name, "{op} {input}: {e}");
                assert_eq!(
                    sessions.store().batches.load(Ordering::SeqCst),
                    batches,
                    "{op} {input} ({name}) reached the store"
                );
            }
            Ok(got) => panic!("{op} {input} was expected to fail with {name}, got {got}"),
        }
    }
    assert_eq!(server.calls("evalsha"), scripts, "Redis ran no script");
    assert_eq!(sorted_keys(), keys);
    assert_eq!(
        server.cmd(&["GET", &format!("rs:{{test}}:s:{}", token.handle())]),
        record
    );
}

#[tokio::test]
async fn typed_calls_with_bad_input_send_nothing() {
    let server = RedisServer::start();
    let store = Counting {
        inner: RedisStore::connect(&server.url()).await.unwrap(),
        batches: AtomicUsize::new(0),
    };
    let sessions = AsyncSessions::new(store).with_auto_sweep(None);
    let good = "a".repeat(64);
    let errors = [
        sessions
            .create(Create::new("x", "u1", "::1"))
            .await
            .unwrap_err(),
        sessions
            .create(Create::new("shop", "", "::1"))
            .await
            .unwrap_err(),
        sessions
            .create(Create::new("shop", "u1", "::1").ttl(5))
            .await
            .unwrap_err(),
        sessions.get("shop", "short").await.unwrap_err(),
        sessions.get("sh op", &good).await.unwrap_err(),
        sessions.set("shop", &good, Patch::new()).await.unwrap_err(),
        sessions.set_ttl("shop", &good, 3).await.unwrap_err(),
        sessions.kill_handle("shop", "nope").await.unwrap_err(),
        sessions.activity("shop", 1).await.unwrap_err(),
        sessions.soid("shop", "bad\u{7}id").await.unwrap_err(),
        sessions.sweep(Some("!"), 10).await.unwrap_err(),
    ];
    for e in &errors {
        assert_ne!(e.name(), "storeError", "{e}");
    }
    assert_eq!(sessions.store().batches.load(Ordering::SeqCst), 0);
    assert_eq!(server.calls("evalsha"), 0);
    assert_eq!(server.cmd(&["DBSIZE"]), "0");
}
