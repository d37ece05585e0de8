//! Sentinel: the store finds the master through three sentinels, passes the store kit there,
//! and follows a failover without a restart: while the master is gone calls fail with
//! `storeError`; once the sentinels promote the replica they succeed again, and no write the
//! store acknowledged (with `WAIT 1`) is lost.

#![allow(clippy::unwrap_used)] // Tests stop at the first surprise: unwrap is the assertion.

mod common;

use common::Sentinels;
use session_core::testkit::check_async_store;
use session_core::{AsyncSessions, Create, Error, Patch};
use session_core_redis::{ConnectError, RedisConfig, RedisStore};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_store_kit_passes_on_the_master_sentinel_names() {
    let set = Sentinels::start();
    let store = RedisStore::connect(&set.url()).await.unwrap();
    let mut n = 0;
    check_async_store(|| {
        n += 1;
        store.with_namespace(&format!("kit{n}")).unwrap()
    })
    .await
    .assert_passed();
    assert!(
        set.servers[0].calls("evalsha") > 500,
        "the master ran the batches"
    );
    assert_eq!(set.servers[1].calls("evalsha"), 0, "the replica ran none");
}

#[tokio::test]
async fn a_sentinel_url_that_names_no_master_is_a_config_error() {
    for url in [
        "redis+sentinel://127.0.0.1:1",
        "redis+sentinel://127.0.0.1:x/m",
    ] {
        let e = RedisStore::connect(url).await.unwrap_err();
        assert!(matches!(e, ConnectError::Config(_)), "{url}: {e}");
        assert!(e.to_string().contains("Sentinel URL"), "{e}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_master_name_is_a_config_error() {
    let set = Sentinels::start();
    let url = set.url().replace(Sentinels::MASTER, "other");
    let e = RedisStore::connect(&url).await.unwrap_err();
    assert!(matches!(e, ConnectError::Config(_)), "{e}");
    assert!(e.to_string().contains("no master named \"other\""), "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_store_follows_a_failover_and_keeps_acknowledged_writes() {
    let mut set = Sentinels::start();
    let replica = set.servers[1].port;
    let store = RedisConfig::sentinel(set.addrs(), Sentinels::MASTER)
        .command_timeout(Duration::from_secs(2))
        .wait_replicas(1, Duration::from_secs(1))
        .connect()
        .await
        .unwrap();
    let sessions = Arc::new(AsyncSessions::new(store).with_auto_sweep(None));

    // Writers: each bumps its own session's counter; `acked` is the last value acknowledged.
    let writers = 4;
    let mut tokens = Vec::new();
    for i in 0..writers {
        let create = Create::new("shop", format!("u{i}"), "10.0.0.1");
        tokens.push(sessions.create(create).await.unwrap());
    }
    let stop = Arc::new(AtomicBool::new(false));
    let acked: Arc<Vec<AtomicU64>> = Arc::new((0..writers).map(|_| AtomicU64::new(0)).collect());
    let errors = Arc::new(Mutex::new(Vec::<Error>::new()));
    let ok_after_error = Arc::new(AtomicU64::new(0));
    let tasks: Vec<_> = tokens
        .iter()
        .enumerate()
        .map(|(i, token)| {
            let (sessions, token) = (sessions.clone(), token.clone());
            let (stop, acked, errors) = (stop.clone(), acked.clone(), errors.clone());
            let ok_after_error = ok_after_error.clone();
            tokio::spawn(async move {
                let mut n = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    n += 1;
                    match sessions
                        .set("shop", token.as_str(), Patch::new().set("n", n))
                        .await
                    {
                        Ok(s) => {
                            assert!(s.is_some(), "session {i} is there");
                            acked[i].store(n, Ordering::Relaxed);
                            if !errors.lock().unwrap().is_empty() {
                                ok_after_error.fetch_add(1, Ordering::Relaxed);
                            }
                        }
                        Err(e) => errors.lock().unwrap().push(e),
                    }
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(acked.iter().all(|a| a.load(Ordering::Relaxed) > 0));

    set.servers[0].stop();
    // Bounds against hanging, not timing assertions.
    let deadline = Instant::now() + Duration::from_secs(90);
    while set.master_port() != Some(replica) {
        assert!(
            Instant::now() < deadline,
            "the sentinels promoted no replica"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Once every sentinel names the new master, the old one comes back, as a supervisor must
    // restart a master without persistence: as the new master's replica, never promoted
    // (empty, it would lose every write). Without a replica, no write could be acknowledged
    // by `WAIT 1`.
    set.servers[0].restart_as_replica_of(replica);
    while ok_after_error.load(Ordering::Relaxed) < 20 {
        assert!(
            Instant::now() < deadline,
            "no recovery: {} errors, sentinels name port {:?}",
            errors.lock().unwrap().len(),
            set.master_port()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    stop.store(true, Ordering::Relaxed);
    for t in tasks {
        t.await.unwrap();
    }

    let errors = std::mem::take(&mut *errors.lock().unwrap());
    eprintln!(
        "{} failed calls, the first: {:?}",
        errors.len(),
        errors.first().map(ToString::to_string)
    );
    assert!(!errors.is_empty(), "calls failed while the master was gone");
    for e in errors.iter() {
        assert_eq!(e.name(), "storeError", "{e}");
    }
    assert_eq!(set.master_port(), Some(replica), "the replica was promoted");
    // Every acknowledged write is there (a later, failed one may have been applied too).
    for (i, token) in tokens.iter().enumerate() {
        let s = sessions.get("shop", token.as_str()).await.unwrap().unwrap();
        let n =
            s.d.as_ref()
                .and_then(|d| d.get("n"))
                .and_then(|v| v.as_u64())
                .unwrap();
        assert!(n >= acked[i].load(Ordering::Relaxed), "session {i}: {n}");
    }
    assert!(
        set.servers[1]
            .cmd(&["INFO", "replication"])
            .contains("role:master")
    );
}
