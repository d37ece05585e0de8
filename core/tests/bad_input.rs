//! Bad input never panics and never changes stored state: every failing step of the
//! conformance vectors is replayed against a populated store, whose dump must not change.

#![allow(clippy::unwrap_used)] // Tests stop at the first surprise: unwrap is the assertion.

use serde_json::{Value, json};
use session_core::{Create, ManualClock, MemoryStore, Patch, Sessions};

fn vectors() -> Vec<Value> {
    let dir = conformance::vectors_dir();
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "json") {
            let doc: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
            out.push(doc);
        }
    }
    out
}

/// Replaces every `"$var"` with the live token, so bad input meets a real session.
fn bind(v: &Value, token: &str) -> Value {
    match v {
        Value::String(s) if s.starts_with('$') => json!(token),
        Value::Array(a) => Value::Array(a.iter().map(|x| bind(x, token)).collect()),
        Value::Object(o) => {
            Value::Object(o.iter().map(|(k, x)| (k.clone(), bind(x, token))).collect())
        }
        other => other.clone(),
    }
}

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
    for doc in vectors() {
        for case in doc["cases"].as_array().unwrap() {
            for step in case["steps"].as_array().unwrap() {
                let Some(err) = step.get("err") else { continue };
                let input = bind(&step["in"], token.as_str());
                let op = step["op"].as_str().unwrap();
                let got = sessions.call(op, &input);
                // A bad input against a live session may still be valid for it (e.g. a
                // digit-string TTL); only the ones that fail here must leave no trace.
                match got {
                    Err(e) => {
                        assert_eq!(e.name(), err["name"].as_str().unwrap(), "{op} {input}");
                        assert_eq!(
                            sessions.store().dump(),
                            before,
                            "{op} {input} changed the store"
                        );
                        checked += 1;
                    }
                    Ok(_) => before = sessions.store().dump(),
                }
            }
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
