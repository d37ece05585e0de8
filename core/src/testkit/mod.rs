//! A kit for anybody writing a store (feature `testkit`): it runs every conformance vector,
//! a differential run against the reference model, and the store contract's own checks
//! against any [`SyncStore`] or [`AsyncStore`], and reports every failure.
//!
//! ```
//! use session_core::{MemoryStore, testkit};
//! testkit::check_sync_store(MemoryStore::new).assert_passed();
//! ```
//!
//! For a store across a network, in the caller's runtime:
//!
//! ```ignore
//! let report = testkit::check_async_store(|| MyStore::connect_fresh()).await;
//! report.assert_passed();
//! ```
//!
//! [`check_sync_store_in`] and [`check_async_store_in`] run the same kit with each app's keys
//! over K shards (a store that is a Redis Cluster spreads them over its masters):
//!
//! ```
//! use session_core::{MemoryStore, Shards, testkit};
//! testkit::check_sync_store_in(Shards::new(16).unwrap(), MemoryStore::new).assert_passed();
//! ```
//!
//! Each vector case and each differential run starts on a store `make` returns: it must be
//! empty (a new namespace, a flushed database). The parts are public too, for targets that
//! are not a store (the REST server over HTTP runs the vectors with [`Target`]).

mod contract;
mod model;
mod vectors;

pub use model::{APPS, Differential, IDS, KEYS, Op, ops};
pub use vectors::{
    AsyncTarget, ErrorStep, Outcome, Report, Target, VECTORS, bind, error_steps, matches, run,
    run_async, run_files,
};

use crate::driver::{AsyncSessions, ManualClock, Sessions};
use crate::event::Event;
use crate::shard::Shards;
use crate::store::{AsyncStore, SyncStore};
use serde_json::Value;
use std::sync::{Arc, Mutex, PoisonError};

/// How many differential runs, and how long each is.
const RUNS: u64 = 32;
const RUN_LEN: usize = 120;
/// Where the differential runs' clock starts.
const START: u64 = 1_700_000_000_000;

/// The events a driver emitted since the last take.
#[derive(Clone, Default)]
struct Events(Arc<Mutex<Vec<Event>>>);

impl Events {
    fn push(&self, e: &Event) {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(e.clone());
    }

    fn take(&self) -> Vec<Value> {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(PoisonError::into_inner))
            .iter()
            .map(|e| serde_json::to_value(e).unwrap_or(Value::Null))
            .collect()
    }
}

fn outcome(result: Result<Value, crate::Error>, events: &Events) -> Outcome {
    Outcome {
        result: result.map_err(|e| (e.name().to_owned(), e.to_string())),
        events: Some(events.take()),
    }
}

/// The vectors' target over a [`SyncStore`]: a fresh store per case.
struct SyncTarget<S, F> {
    make: F,
    shards: Shards,
    clock: ManualClock,
    events: Events,
    sessions: Sessions<S>,
}

impl<S: SyncStore, F: FnMut() -> S> SyncTarget<S, F> {
    fn new(shards: Shards, mut make: F) -> Self {
        let (clock, events) = (ManualClock::new(0), Events::default());
        let sessions = sessions_over(make(), shards, &clock, &events);
        Self {
            make,
            shards,
            clock,
            events,
            sessions,
        }
    }
}

fn sessions_over<S: SyncStore>(
    store: S,
    shards: Shards,
    clock: &ManualClock,
    events: &Events,
) -> Sessions<S> {
    let sink = events.clone();
    Sessions::new(store)
        .with_shards(shards)
        .with_clock(clock.clone())
        .with_auto_sweep(None)
        .on_event(move |e| sink.push(e))
}

fn async_sessions_over<S: AsyncStore>(
    store: S,
    shards: Shards,
    clock: &ManualClock,
    events: &Events,
) -> AsyncSessions<S> {
    let sink = events.clone();
    AsyncSessions::new(store)
        .with_shards(shards)
        .with_clock(clock.clone())
        .with_auto_sweep(None)
        .on_event(move |e| sink.push(e))
}

impl<S: SyncStore, F: FnMut() -> S> Target for SyncTarget<S, F> {
    fn reset(&mut self) {
        self.events.take();
        self.sessions = sessions_over((self.make)(), self.shards, &self.clock, &self.events);
    }

    fn call(&mut self, op: &str, input: &Value, now: u64) -> Outcome {
        self.clock.set(now);
        outcome(self.sessions.call(op, input), &self.events)
    }
}

/// The vectors' target over an [`AsyncStore`].
struct AsyncTargetOver<S, F> {
    make: F,
    shards: Shards,
    clock: ManualClock,
    events: Events,
    sessions: AsyncSessions<S>,
}

impl<S: AsyncStore, F: FnMut() -> S> AsyncTarget for AsyncTargetOver<S, F> {
    async fn reset(&mut self) {
        self.events.take();
        self.sessions = async_sessions_over((self.make)(), self.shards, &self.clock, &self.events);
    }

    async fn call(&mut self, op: &str, input: &Value, now: u64) -> Outcome {
        self.clock.set(now);
        outcome(self.sessions.call(op, input).await, &self.events)
    }
}

/// The vectors and the differential runs against a target whose `reset` gives an empty store.
async fn check_target(target: &mut impl AsyncTarget) -> Report {
    let mut report = run_async(target).await;
    for seed in 0..RUNS {
        report.cases += 1;
        target.reset().await;
        let mut diff = Differential::new(START);
        for op in ops(seed, RUN_LEN) {
            if let Some((name, input)) = diff.call(&op) {
                report.steps += 1;
                let got = target.call(name, &input, diff.now()).await.result;
                let got = got.map_err(|(name, message)| format!("{name}: {message}"));
                if let Err(e) = diff.check(&op, got) {
                    report
                        .failures
                        .push(format!("differential run {seed}: {e}"));
                    break;
                }
            }
        }
    }
    report
}

/// Runs the whole kit against the stores `make` returns (each empty): every vector, the
/// differential runs, and the store contract.
pub fn check_sync_store<S: SyncStore>(make: impl FnMut() -> S) -> Report {
    check_sync_store_in(Shards::ONE, make)
}

/// [`check_sync_store`] with each app's keys over `shards`.
pub fn check_sync_store_in<S: SyncStore>(shards: Shards, mut make: impl FnMut() -> S) -> Report {
    let mut report = vectors::ready(check_target(&mut vectors::Ready(&mut SyncTarget::new(
        shards, &mut make,
    ))));
    report.cases += 1;
    let store = make();
    report
        .failures
        .extend(vectors::ready(contract::check(&contract::Sync(&store))));
    report
}

/// [`check_sync_store`] for an [`AsyncStore`], in the caller's runtime.
pub async fn check_async_store<S: AsyncStore>(make: impl FnMut() -> S) -> Report {
    check_async_store_in(Shards::ONE, make).await
}

/// [`check_async_store`] with each app's keys over `shards`.
pub async fn check_async_store_in<S: AsyncStore>(
    shards: Shards,
    mut make: impl FnMut() -> S,
) -> Report {
    let (clock, events) = (ManualClock::new(0), Events::default());
    let sessions = async_sessions_over(make(), shards, &clock, &events);
    let mut report = check_target(&mut AsyncTargetOver {
        make: &mut make,
        shards,
        clock,
        events,
        sessions,
    })
    .await;
    report.cases += 1;
    let store = make();
    report
        .failures
        .extend(contract::check(&contract::Async(&store)).await);
    report
}
