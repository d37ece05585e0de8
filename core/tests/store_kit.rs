//! The store kit (`session_core::testkit`: every conformance vector, the differential runs
//! against the reference model, the store contract) against `MemoryStore`, and against
//! stores that break the contract, which it must catch.

#![allow(clippy::unwrap_used)] // Tests stop at the first surprise: unwrap is the assertion.

use serde_json::json;
use session_core::store::{ApplyError, Batch, Command, Expect, MAX_BATCH, Reply, SyncStore};
use session_core::testkit::{check_sync_store, check_sync_store_in};
use session_core::{ManualClock, MemoryStore, Sessions, Shards};
use std::sync::atomic::{AtomicUsize, Ordering};

#[test]
fn the_store_kit_passes_on_memory_store() {
    check_sync_store(MemoryStore::new).assert_passed();
}

/// Every vector and differential run again with each app over 16 shards: the fan-out of
/// `activity`, `soapp` (whole and paged), `killall` and `sweep` answers as one shard does.
#[test]
fn the_store_kit_passes_with_sixteen_shards() {
    check_sync_store_in(Shards::new(16).unwrap(), MemoryStore::new).assert_passed();
}

/// A store that forgets to check versions: every write goes through.
struct Careless(MemoryStore);

impl SyncStore for Careless {
    fn apply(&self, mut batch: Batch) -> Result<Vec<Reply>, ApplyError> {
        for c in &mut batch {
            if let Command::Put { expect, .. } | Command::Delete { expect, .. } = c {
                *expect = Expect::Any;
            }
        }
        self.0.apply(batch)
    }
}

#[test]
fn the_kit_catches_a_store_that_ignores_versions() {
    let report = check_sync_store(|| Careless(MemoryStore::new()));
    assert!(
        report
            .failures
            .iter()
            .any(|f| f.starts_with("store contract / all or nothing")),
        "{:#?}",
        report.failures
    );
    assert!(
        report
            .failures
            .iter()
            .any(|f| f.starts_with("store contract / versions"))
    );
}

/// A store that refuses batches over 1,000 commands.
struct Small(MemoryStore);

impl SyncStore for Small {
    fn apply(&self, batch: Batch) -> Result<Vec<Reply>, ApplyError> {
        if batch.len() > 1000 {
            return Err(ApplyError::Store("batch too large".into()));
        }
        self.0.apply(batch)
    }
}

#[test]
fn the_kit_catches_a_store_that_refuses_the_largest_batch() {
    let report = check_sync_store(|| Small(MemoryStore::new()));
    assert_eq!(
        report.failures,
        [
            "store contract / largest batch: the store refused a batch that must apply: batch too large"
        ]
    );
}

/// Passes batches on, remembering the largest.
struct Counting {
    inner: MemoryStore,
    largest: AtomicUsize,
}

impl SyncStore for Counting {
    fn apply(&self, batch: Batch) -> Result<Vec<Reply>, ApplyError> {
        self.largest.fetch_max(batch.len(), Ordering::Relaxed);
        self.inner.apply(batch)
    }
}

#[test]
fn max_batch_is_what_a_sweep_at_its_largest_limit_sends() {
    let clock = ManualClock::new(1_700_000_000_000);
    let store = Counting {
        inner: MemoryStore::new(),
        largest: AtomicUsize::new(0),
    };
    let sessions = Sessions::new(store)
        .with_clock(clock.clone())
        .with_auto_sweep(None);
    let limit = session_core::sweep::LIMIT_MAX;
    for i in 0..limit {
        let input = json!({"app": "big", "id": format!("user{i}"), "ip": "::1", "ttl": 10});
        sessions.call("create", &input).unwrap();
    }
    clock.advance(11_000);
    sessions.store().largest.store(0, Ordering::Relaxed);
    let swept = sessions.call("sweep", &json!({ "limit": limit })).unwrap();
    assert_eq!(swept, json!({"swept": limit, "more": false}));
    assert_eq!(sessions.store().largest.load(Ordering::Relaxed), MAX_BATCH);
}
