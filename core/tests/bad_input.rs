//! Bad input never panics and never changes stored state: every failing step of the
//! conformance vectors is replayed against a populated store, whose dump must not change.

#![allow(clippy::unwrap_used)] // Tests stop at the first surprise: unwrap is the assertion.

use serde_json::json;
use session_core::{Create, ManualClock, MemoryStore, Patch, Sessions};

#[test]
fn failing_inputs_change_nothing() {
    let clock = ManualClock::new(1_700_000_000_000);
    let sessions = Sessions::new(MemoryStore::new())
        .with_clock(clock.clone())
        .with_auto_sweep(None);
    let token = sessions
        .create(Create::new("test", "user1", "127.0.0.1").data(Patch::new().set("a", 1)))
        .unwrap();
    sessions
        .create(Create::new("other", "user1", "::1"))
        .unwrap();
    let mut before = sessions.store().dump();
    assert!(before.len() > 5);

    let mut checked = 0;
    for step in conformance::error_steps() {
        let input = conformance::bind(&step.input, token.as_str());
        // A bad input against a live session may still be valid for it (e.g. a digit-string
        // TTL); only the ones that fail here must leave no trace.
        match sessions.call(&step.op, &input) {
            Err(e) => {
                assert_eq!(e.name(), step.name, "{} {input}", step.op);
                assert_eq!(
                    sessions.store().dump(),
                    before,
                    "{} {input} changed the store",
                    step.op
                );
                checked += 1;
            }
            Ok(_) => before = sessions.store().dump(),
        }
    }
    assert!(checked > 80, "only {checked} bad inputs were replayed");
}

#[test]
fn hostile_json_shapes_are_typed_errors() {
    let sessions = Sessions::new(MemoryStore::new());
    let ops = session_core::input::OPERATIONS;
    let shapes = [
        json!(null),
        json!([]),
        json!("x"),
        json!(42),
        json!({"app": {"nested": 1}}),
        json!({"app": "test", "token": 123, "id": [1], "d": {"k": {"deep": 1}}}),
        json!({"app": "test", "id": 1.5, "ip": "::1"}),
        json!({"app": "test", "dt": -5, "ttl": 1e300}),
    ];
    for op in ops.iter().copied().chain(["nope", ""]) {
        for shape in &shapes {
            if let Err(e) = sessions.call(op, shape) {
                assert!(e.is_input_error(), "{op} {shape}: {e}");
                assert!(!e.to_string().is_empty());
            }
        }
    }
    assert_eq!(sessions.store().record_count(), 0);
}
