//! The typed Rust API beyond what the JSON vectors reach: handles from listings, events,
//! automatic sweeping, and the async driver.

#![allow(clippy::unwrap_used)] // Tests stop at the first surprise: unwrap is the assertion.

use session_core::store::{ApplyError, AsyncStore, Batch, Reply, SyncStore};
use session_core::{
    AsyncSessions, AutoSweep, Create, Event, EventKind, ManualClock, MemoryStore, Patch, Reason,
    Sessions,
};
use std::sync::{Arc, Mutex};

fn sessions(clock: &ManualClock) -> Sessions<MemoryStore> {
    Sessions::new(MemoryStore::new()).with_clock(clock.clone())
}

#[test]
fn a_handle_from_a_listing_kills_that_session_only() {
    let clock = ManualClock::new(1_000_000);
    let s = sessions(&clock);
    let phone = s.create(Create::new("shop", "ann", "10.0.0.1")).unwrap();
    let laptop = s.create(Create::new("shop", "ann", "10.0.0.2")).unwrap();
    let listed = s.soid("shop", "ann").unwrap();
    let phone_entry = listed.iter().find(|l| l.session.ip == "10.0.0.1").unwrap();
    assert_eq!(phone_entry.handle, phone.handle());
    assert_eq!(
        s.kill_handle("shop", &phone_entry.handle.to_string())
            .unwrap(),
        1
    );
    assert!(s.get("shop", &phone).unwrap().is_none());
    assert!(s.get("shop", &laptop).unwrap().is_some());
    assert_eq!(
        s.kill_handle("shop", &phone_entry.handle.to_string())
            .unwrap(),
        0
    );
}

#[test]
fn listeners_see_every_event_with_its_reason() {
    let clock = ManualClock::new(1_000_000);
    let seen: Arc<Mutex<Vec<Event>>> = Arc::default();
    let sink = seen.clone();
    let s = sessions(&clock)
        .with_auto_sweep(None)
        .on_event(move |e| sink.lock().unwrap().push(e.clone()));
    let t = s.create(Create::new("shop", "ann", "::1").ttl(10)).unwrap();
    let t = s.regenerate("shop", &t).unwrap().unwrap();
    clock.advance(10_000);
    assert!(s.get("shop", &t).unwrap().is_none());
    let kinds: Vec<EventKind> = seen.lock().unwrap().iter().map(|e| e.kind).collect();
    assert_eq!(
        kinds,
        [
            EventKind::Created,
            EventKind::Destroyed(Reason::Regenerate),
            EventKind::Created,
            EventKind::Destroyed(Reason::Expired),
        ]
    );
}

#[test]
fn unread_expired_sessions_are_reclaimed_in_bounded_steps() {
    let clock = ManualClock::new(1_000_000);
    let s = sessions(&clock).with_auto_sweep(Some(AutoSweep::new(1_000, 50)));
    for i in 0..300 {
        s.create(Create::new("shop", format!("u{i}"), "::1").ttl(10))
            .unwrap();
    }
    let keeper = s.create(Create::new("shop", "keeper", "::1")).unwrap();
    assert_eq!(s.store().record_count(), 301);
    clock.advance(11_000);
    // Nobody reads the 300 expired sessions; ordinary calls on another session reclaim them,
    // at most 50 per call.
    let mut left = s.store().record_count();
    for _ in 0..6 {
        s.touch("shop", &keeper).unwrap().unwrap();
        let now_left = s.store().record_count();
        assert!(
            left - now_left <= 50,
            "a call swept {} at once",
            left - now_left
        );
        left = now_left;
    }
    assert_eq!(left, 1);
    // The backlog is gone; the user index and app-wide indexes were cleaned with it.
    assert_eq!(s.activity("shop", 600).unwrap(), 1);
    assert!(s.soid("shop", "u1").unwrap().is_empty());
}

#[test]
fn typed_inputs_are_validated_before_any_store_work() {
    let s = Sessions::new(MemoryStore::new());
    let e = s.create(Create::new("x", "u", "::1")).unwrap_err();
    assert_eq!((e.name(), e.field()), ("invalidFormat", Some("app")));
    let e = s.set("shop", "a".repeat(64), Patch::new()).unwrap_err();
    assert_eq!(e.to_string(), "d must contain at least one key");
    let e = s.set_ttl("shop", "a".repeat(64), 5).unwrap_err();
    assert_eq!(e.to_string(), "ttl must be a positive integer >= 10");
    assert_eq!(s.store().record_count(), 0);
}

/// An async store over a MemoryStore, failing on demand.
struct Flaky {
    inner: MemoryStore,
    down: Mutex<bool>,
}

impl AsyncStore for Flaky {
    fn apply(&self, batch: Batch) -> impl Future<Output = Result<Vec<Reply>, ApplyError>> + Send {
        let result = if *self.down.lock().unwrap() {
            Err(ApplyError::Store("connection refused".into()))
        } else {
            self.inner.apply(batch)
        };
        std::future::ready(result)
    }
}

fn block_on<F: Future>(f: F) -> F::Output {
    let mut f = std::pin::pin!(f);
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    loop {
        if let std::task::Poll::Ready(v) = f.as_mut().poll(&mut cx) {
            return v;
        }
    }
}

#[test]
fn the_async_driver_reports_store_failures_and_recovers() {
    let store = Flaky {
        inner: MemoryStore::new(),
        down: Mutex::new(false),
    };
    let s = AsyncSessions::new(store);
    block_on(async {
        let t = s.create(Create::new("shop", "u1", "::1")).await.unwrap();
        *s.store().down.lock().unwrap() = true;
        let e = s.get("shop", &t).await.unwrap_err();
        assert_eq!(e.name(), "storeError");
        assert_eq!(e.to_string(), "Store error: connection refused");
        *s.store().down.lock().unwrap() = false;
        assert_eq!(s.get("shop", &t).await.unwrap().unwrap().r, 1);
    });
}

#[test]
fn a_sweep_does_bounded_work_even_when_it_only_meets_live_sessions() {
    let clock = ManualClock::new(1_000_000);
    let s = sessions(&clock).with_auto_sweep(None);
    let tokens: Vec<_> = (0..100)
        .map(|i| {
            s.create(Create::new("shop", format!("u{i}"), "::1").ttl(60))
                .unwrap()
        })
        .collect();
    // Reads slide every expiry to 90 s; the `_expiry` index keeps its lower bound of 60 s.
    clock.advance(30_000);
    for t in &tokens {
        s.get("shop", t).unwrap().unwrap();
    }
    clock.advance(31_000);
    // Every index entry is now due, but every session is alive: each sweep examines at most
    // its limit, moves those entries forward, and says whether more remain.
    let mut calls = 0;
    loop {
        let r = s.sweep(None, 10).unwrap();
        assert_eq!(r.count, 0);
        calls += 1;
        if !r.more {
            break;
        }
    }
    assert_eq!(calls, 10);
    assert!(tokens.iter().all(|t| s.touch("shop", t).unwrap().is_some()));
}

#[test]
fn a_sweep_tick_drains_a_backlog_in_bounded_steps() {
    let clock = ManualClock::new(1_000_000);
    let s = sessions(&clock).with_auto_sweep(None);
    for i in 0..2_500 {
        s.create(Create::new("shop", format!("u{i}"), "::1").ttl(10))
            .unwrap();
    }
    clock.advance(11_000);
    // Three steps of 1,000: the tick ends with nothing left.
    assert!(!s.sweep_tick());
    assert_eq!(
        s.sweep(None, 0).unwrap(),
        session_core::ops::Removal {
            count: 0,
            more: false
        }
    );
    assert_eq!(s.activity("shop", 600).unwrap(), 0);
}
