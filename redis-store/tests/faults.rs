//! Redis goes away: calls fail with `storeError` and a clear message (never a panic, never a
//! hang past the command timeout), and the same `AsyncSessions` works again once Redis is
//! back on the same port.

#![allow(clippy::unwrap_used)] // Tests stop at the first surprise: unwrap is the assertion.

mod common;

use common::RedisServer;
use session_core::{AsyncSessions, Create, Error};
use session_core_redis::{RedisConfig, RedisStore};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

fn assert_store_error(e: &Error) {
    assert_eq!(e.name(), "storeError", "{e}");
    let message = e.to_string();
    assert!(
        message.contains("Redis"),
        "the message says what failed: {message}"
    );
}

async fn connect(server: &RedisServer) -> AsyncSessions<RedisStore> {
    let store = RedisConfig::new(server.url())
        .command_timeout(Duration::from_secs(2))
        .connect()
        .await
        .unwrap();
    AsyncSessions::new(store).with_auto_sweep(None)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn calls_fail_while_redis_is_down_and_succeed_after_it_restarts() {
    let mut server = RedisServer::start();
    let sessions = Arc::new(connect(&server).await);
    let token = sessions
        .create(Create::new("shop", "u1", "10.0.0.1"))
        .await
        .unwrap();

    // Callers keep calling throughout.
    let stop = Arc::new(AtomicBool::new(false));
    let ok = Arc::new(AtomicU64::new(0));
    let errors = Arc::new(Mutex::new(Vec::<Error>::new()));
    let callers: Vec<_> = (0..4)
        .map(|_| {
            let (sessions, token) = (sessions.clone(), token.clone());
            let (stop, ok, errors) = (stop.clone(), ok.clone(), errors.clone());
            tokio::spawn(async move {
                while !stop.load(Ordering::Relaxed) {
                    match sessions.get("shop", token.as_str()).await {
                        Ok(_) => {
                            ok.fetch_add(1, Ordering::Relaxed);
                        }
                        Err(e) => errors.lock().unwrap().push(e),
                    }
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(ok.load(Ordering::Relaxed) > 0);

    server.stop();
    let started = Instant::now();
    let e = sessions
        .create(Create::new("shop", "u2", "10.0.0.2"))
        .await
        .unwrap_err();
    eprintln!(
        "while down, a call failed after {:?}: {e}",
        started.elapsed()
    );
    assert_store_error(&e);
    assert!(started.elapsed() < Duration::from_secs(3), "no hang");
    let e = sessions.get("shop", token.as_str()).await.unwrap_err();
    assert_store_error(&e);
    tokio::time::sleep(Duration::from_millis(300)).await;

    server.restart();
    let restarted = Instant::now();
    let fresh = loop {
        match sessions.create(Create::new("shop", "u3", "::1")).await {
            Ok(t) => break t,
            Err(e) => {
                assert_store_error(&e);
                assert!(
                    restarted.elapsed() < Duration::from_secs(10),
                    "no recovery: {e}"
                );
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    };
    eprintln!("recovered {:?} after the restart", restarted.elapsed());
    // The restarted server kept nothing (no persistence); the new session is there, and the
    // script was loaded again on the new server (EVALSHA answered NOSCRIPT first).
    assert_eq!(sessions.get("shop", token.as_str()).await.unwrap(), None);
    let s = sessions.get("shop", fresh.as_str()).await.unwrap().unwrap();
    assert_eq!(s.id, "u3");

    stop.store(true, Ordering::Relaxed);
    for c in callers {
        c.await.expect("no caller panicked");
    }
    let errors = errors.lock().unwrap();
    assert!(!errors.is_empty(), "the callers saw the outage");
    for e in errors.iter() {
        assert_store_error(e);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_frozen_redis_times_out_and_thaws() {
    let server = RedisServer::start();
    let store = RedisConfig::new(server.url())
        .command_timeout(Duration::from_millis(300))
        .connect()
        .await
        .unwrap();
    let sessions = AsyncSessions::new(store).with_auto_sweep(None);
    let token = sessions
        .create(Create::new("shop", "u1", "10.0.0.1"))
        .await
        .unwrap();
    server.pause();
    let started = Instant::now();
    let e = sessions.get("shop", token.as_str()).await.unwrap_err();
    let waited = started.elapsed();
    server.resume();
    assert_store_error(&e);
    assert!(
        waited >= Duration::from_millis(250) && waited < Duration::from_secs(2),
        "{waited:?}"
    );
    eprintln!("frozen Redis: {e}");
    // Once thawed, the same sessions object answers again.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match sessions.get("shop", token.as_str()).await {
            Ok(s) => {
                assert!(s.is_some());
                break;
            }
            Err(e) => {
                assert_store_error(&e);
                assert!(Instant::now() < deadline, "no recovery: {e}");
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_while_idle_costs_no_failed_call() {
    let mut server = RedisServer::start();
    let sessions = connect(&server).await;
    sessions
        .create(Create::new("shop", "u1", "10.0.0.1"))
        .await
        .unwrap();
    server.stop();
    server.restart();
    // Give the background reconnection a moment, as any real restart takes.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let t = sessions
        .create(Create::new("shop", "u2", "10.0.0.2"))
        .await
        .unwrap();
    assert!(sessions.get("shop", t.as_str()).await.unwrap().is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_first_call_after_a_restart_succeeds() {
    let mut server = RedisServer::start();
    let sessions = connect(&server).await;
    let token = sessions
        .create(Create::new("shop", "u1", "10.0.0.1"))
        .await
        .unwrap();
    for idle in [false, true] {
        server.stop();
        // While Redis is down, calls fail, and so does every reconnection attempt.
        let e = sessions.get("shop", token.as_str()).await.unwrap_err();
        assert_store_error(&e);
        if idle {
            tokio::time::sleep(Duration::from_millis(1_500)).await;
        } else {
            let e = sessions.touch("shop", token.as_str()).await.unwrap_err();
            assert_store_error(&e);
        }
        server.restart();
        // The first call once Redis is back reconnects, then runs: no stale failure.
        let t = sessions
            .create(Create::new("shop", "u2", "10.0.0.2"))
            .await
            .unwrap_or_else(|e| panic!("the first call after the restart (idle: {idle}): {e}"));
        assert!(sessions.get("shop", t.as_str()).await.unwrap().is_some());
    }
}
