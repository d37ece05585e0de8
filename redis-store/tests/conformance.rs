//! The conformance vectors (tests/vectors) against `AsyncSessions<RedisStore>`: on one real
//! redis-server (FLUSHDB between cases), and on a 3-master cluster (a fresh namespace per
//! case).

#![allow(clippy::unwrap_used)] // Tests stop at the first surprise: unwrap is the assertion.

mod common;

use common::{Cluster, RedisServer};
use conformance::{Outcome, Target, run_dir, vectors_dir};
use serde_json::Value;
use session_core::{AsyncSessions, Event, ManualClock};
use session_core_redis::RedisStore;
use std::sync::{Arc, Mutex};
use tokio::runtime::Runtime;

struct Redis<'a> {
    rt: Runtime,
    store: RedisStore,
    /// How to empty the store between cases.
    reset: Box<dyn FnMut(&RedisStore) -> RedisStore + 'a>,
    clock: ManualClock,
    events: Arc<Mutex<Vec<Event>>>,
    sessions: AsyncSessions<RedisStore>,
}

impl<'a> Redis<'a> {
    fn new(
        rt: Runtime,
        store: RedisStore,
        reset: impl FnMut(&RedisStore) -> RedisStore + 'a,
    ) -> Self {
        let (clock, events) = (ManualClock::new(0), Arc::new(Mutex::new(Vec::new())));
        let sessions = sessions(store.clone(), &clock, &events);
        Self {
            rt,
            store,
            reset: Box::new(reset),
            clock,
            events,
            sessions,
        }
    }
}

fn sessions(
    store: RedisStore,
    clock: &ManualClock,
    events: &Arc<Mutex<Vec<Event>>>,
) -> AsyncSessions<RedisStore> {
    let sink = events.clone();
    AsyncSessions::new(store)
        .with_clock(clock.clone())
        .with_auto_sweep(None)
        .on_event(move |e| sink.lock().unwrap().push(e.clone()))
}

impl Target for Redis<'_> {
    fn reset(&mut self) {
        let store = (self.reset)(&self.store);
        self.clock = ManualClock::new(0);
        self.events = Arc::new(Mutex::new(Vec::new()));
        self.sessions = sessions(store, &self.clock, &self.events);
    }

    fn call(&mut self, op: &str, input: &Value, now: u64) -> Outcome {
        self.clock.set(now);
        let result = self
            .rt
            .block_on(self.sessions.call(op, input))
            .map_err(|e| (e.name().to_owned(), e.to_string()));
        let events = std::mem::take(&mut *self.events.lock().unwrap())
            .iter()
            .map(|e| serde_json::to_value(e).unwrap())
            .collect();
        Outcome {
            result,
            events: Some(events),
        }
    }
}

fn runtime() -> Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

fn assert_passes(target: &mut dyn Target) {
    let report = run_dir(&vectors_dir(), target);
    report.assert_passed();
}

#[test]
fn conformance_vectors_pass_on_redis() {
    let server = RedisServer::start();
    let rt = runtime();
    let store = rt.block_on(RedisStore::connect(&server.url())).unwrap();
    let mut target = Redis::new(rt, store, |store: &RedisStore| {
        assert_eq!(server.cmd(&["FLUSHDB"]), "OK");
        // A store as a new process has it: no cached records, no app entered lately.
        store.with_namespace("rs").unwrap()
    });
    assert_passes(&mut target);
    // Something was really stored in Redis, under the default namespace.
    assert!(server.calls("evalsha") > 500);
}

#[test]
fn conformance_vectors_pass_on_a_redis_cluster() {
    let cluster = Cluster::start(3);
    let rt = runtime();
    let store = rt
        .block_on(RedisStore::connect_cluster(cluster.urls()))
        .unwrap();
    assert!(store.is_cluster());
    let mut case = 0;
    let mut target = Redis::new(rt, store, move |store: &RedisStore| {
        case += 1;
        store.with_namespace(&format!("case{case}")).unwrap()
    });
    assert_passes(&mut target);
    for node in &cluster.nodes {
        assert!(node.calls("evalsha") > 0, "every master ran batches");
    }
}
