//! The conformance vectors (tests/vectors) against the core with `MemoryStore`.

#![allow(clippy::unwrap_used)] // Tests stop at the first surprise: unwrap is the assertion.

use conformance::{Outcome, Target, run_dir, vectors_dir};
use serde_json::Value;
use session_core::{Event, ManualClock, MemoryStore, Sessions};
use std::sync::{Arc, Mutex};

struct Core {
    clock: ManualClock,
    events: Arc<Mutex<Vec<Event>>>,
    sessions: Sessions<MemoryStore>,
}

impl Core {
    fn new() -> Self {
        let clock = ManualClock::new(0);
        let events = Arc::new(Mutex::new(Vec::new()));
        let sink = events.clone();
        let sessions = Sessions::new(MemoryStore::new())
            .with_clock(clock.clone())
            .with_auto_sweep(None)
            .on_event(move |e| sink.lock().unwrap().push(e.clone()));
        Self {
            clock,
            events,
            sessions,
        }
    }
}

impl Target for Core {
    fn reset(&mut self) {
        *self = Core::new();
    }

    fn call(&mut self, op: &str, input: &Value, now: u64) -> Outcome {
        self.clock.set(now);
        let result = self
            .sessions
            .call(op, input)
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

#[test]
fn conformance_vectors_pass_on_memory_store() {
    let report = run_dir(&vectors_dir(), &mut Core::new());
    report.assert_passed();
}
