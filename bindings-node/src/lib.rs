//! # session-core-node
//!
//! The napi-rs addon behind the npm package `session-core`. It adds no session logic: it
//! converts strings and drives the core. Its whole surface is two classes, the "native backend
//! interface" that the JS driver (`driver.mjs`) runs on, and that the wasm binding implements
//! too:
//!
//! - [`NativeSessions`]: the fast path. `session_core::Sessions` over the embedded
//!   `MemoryStore`; one JS call is one native call, which parses, validates and runs the whole
//!   operation in Rust.
//! - [`NativeOp`]: one operation for a store written in JavaScript, as a
//!   `session_core::wire::WireOp` (batches out, replies in, all as JSON strings).
//!
//! Every answer is a JSON string: `{"done": result, "events": [...]}` or
//! `{"error": {"name", "message", "field"?}, "events": [...]}`. Strings cross the boundary
//! faster than napi's object conversion for these small shapes (see the package README for the
//! measurement). No error and no panic crosses into JS as anything but such an answer.

use napi_derive::napi;
use serde::Serialize;
use serde_json::Value;
use session_core::wire::WireOp;
use session_core::{Error, Event, ManualClock, MemoryStore, Request, Response, Sessions};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, Mutex, PoisonError};

/// JS numbers to milliseconds: negative and NaN clocks read as 0, huge ones saturate.
fn millis(now: f64) -> u64 {
    now as u64
}

/// The error object of an answer, with `field` when the core names one.
#[derive(Serialize)]
struct ErrorJson<'a> {
    name: &'a str,
    message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    field: Option<&'a str>,
}

impl<'a> From<&'a Error> for ErrorJson<'a> {
    fn from(e: &'a Error) -> Self {
        Self {
            name: e.name(),
            message: e.to_string(),
            field: e.field(),
        }
    }
}

/// JSON text of anything the core serializes (which cannot fail: maps with string keys).
fn to_json_text(v: &impl Serialize) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "null".into())
}

/// A result as JSON text, in the core's shapes ([`Response::to_json`]).
///
/// A session (`get`, `set`, `touch`, `setTtl`: the hot path) and the list of a listing
/// (`soapp`, `soid`) are written straight from the core's `Serialize` impls, which is what
/// `to_json` does through an intermediate `Value` tree, at two to four times the cost (the
/// tests below check that both agree). Every other result goes through `to_json`.
fn done_json(r: &Response) -> String {
    match r {
        Response::Session(Some(s)) => to_json_text(s),
        Response::Sessions(list) => format!("{{\"sessions\":{}}}", to_json_text(list)),
        other => to_json_text(&other.to_json()),
    }
}

/// A whole answer as a JSON string: `{"done": …, "events": […]}` or `{"error": …, …}`.
fn answer(result: Result<String, Error>, events: &[Event]) -> String {
    let mut out = String::with_capacity(256);
    match result {
        Ok(done) => {
            out.push_str("{\"done\":");
            out.push_str(&done);
        }
        Err(e) => {
            out.push_str("{\"error\":");
            out.push_str(&to_json_text(&ErrorJson::from(&e)));
        }
    }
    out.push_str(",\"events\":[");
    for (i, e) in events.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&to_json_text(e));
    }
    out.push_str("]}");
    out
}

/// A whole answer as a `Value` tree, for napi's serde-json conversion (the boundary
/// benchmark's object variants): the result through [`Response::to_json`].
#[cfg(feature = "boundary-bench")]
fn answer_value(result: Result<Response, Error>, events: &[Event]) -> Value {
    let events: Vec<Value> = events
        .iter()
        .filter_map(|e| serde_json::to_value(e).ok())
        .collect();
    match result {
        Ok(r) => serde_json::json!({"done": r.to_json(), "events": events}),
        Err(e) => {
            let error = serde_json::to_value(ErrorJson::from(&e)).unwrap_or(Value::Null);
            serde_json::json!({"error": error, "events": events})
        }
    }
}

/// Reads the option object a JS caller passed (the driver sends `JSON.stringify(options)`).
fn parse_input(input_json: &str) -> Result<Value, Error> {
    serde_json::from_str(input_json)
        .map_err(|e| Error::value("input", format!("the options are not valid JSON: {e}")))
}

/// Runs `f`, turning a panic (a bug: the core returns errors, it does not panic on input)
/// into a `storeError` answer instead of letting it unwind into Node.
fn guarded(f: impl FnOnce() -> String) -> String {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|_| {
        answer(
            Err(Error::store("internal error in session-core-node (a bug)")),
            &[],
        )
    })
}

/// Sessions over the embedded memory store, driven in Rust: one JS call, one native call.
#[napi]
pub struct NativeSessions {
    sessions: Sessions<MemoryStore>,
    clock: ManualClock,
    events: Arc<Mutex<Vec<Event>>>,
}

#[napi]
impl NativeSessions {
    /// A new, empty memory store. `namespace` only matters to stores with flat string keys
    /// (the memory store keeps structured keys); `autoSweep` false turns the core's bounded
    /// sweeping inside calls off (then call `sweep`).
    #[napi(constructor)]
    pub fn new(namespace: String, auto_sweep: bool) -> Self {
        // The memory store's keys are structured values, never rendered: no namespace needed.
        let _ = namespace;
        let clock = ManualClock::new(0);
        let events = Arc::new(Mutex::new(Vec::new()));
        let sink = events.clone();
        let mut sessions = Sessions::new(MemoryStore::new())
            .with_clock(clock.clone())
            .on_event(move |e| {
                sink.lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .push(e.clone());
            });
        if !auto_sweep {
            sessions = sessions.with_auto_sweep(None);
        }
        Self {
            sessions,
            clock,
            events,
        }
    }

    /// Runs operation `op` (a JS method name) with its JSON option object at `now` (ms).
    #[napi]
    pub fn call(&self, op: String, input_json: String, now: f64) -> String {
        guarded(|| {
            let result = parse_input(&input_json).and_then(|input| self.run(&op, &input, now));
            answer(result.map(|r| done_json(&r)), &self.take_events())
        })
    }
}

impl NativeSessions {
    /// What `Sessions::call` does (parse and validate, run, in the core), stopping at the
    /// typed [`Response`] so that [`done_json`] can write it without a `Value` tree.
    fn run(&self, op: &str, input: &Value, now: f64) -> Result<Response, Error> {
        let now = millis(now);
        self.clock.set(now);
        let op = Request::parse(op, input)?.into_op(now)?;
        self.sessions.run(op)
    }

    fn take_events(&self) -> Vec<Event> {
        std::mem::take(&mut *self.events.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

/// The other ways to cross the boundary, for the boundary benchmark only
/// (`benches/node/boundary.mjs`): JS objects converted by napi's serde-json feature, on one
/// side or both. The shipped addon does not have them.
#[cfg(feature = "boundary-bench")]
#[napi]
impl NativeSessions {
    /// Nothing: the cost of a call with this signature.
    #[napi]
    pub fn noop(&self, op: String, input_json: String, now: f64) -> String {
        let _ = (op, input_json, now);
        String::new()
    }

    /// Object in, object out.
    #[napi]
    pub fn call_object(&self, op: String, input: Value, now: f64) -> Value {
        let result = self.run(&op, &input, now);
        answer_value(result, &self.take_events())
    }

    /// Object in, JSON string out.
    #[napi]
    pub fn call_object_in(&self, op: String, input: Value, now: f64) -> String {
        let result = self.run(&op, &input, now).map(|r| done_json(&r));
        answer(result, &self.take_events())
    }

    /// JSON string in, object out.
    #[napi]
    pub fn call_object_out(&self, op: String, input_json: String, now: f64) -> Value {
        let result = parse_input(&input_json).and_then(|input| self.run(&op, &input, now));
        answer_value(result, &self.take_events())
    }
}

/// Adds `field` to a wire machine's error answer, which carries only `name` and `message`.
/// Input errors never get here (`NativeOp::new` rejects them first, with their field); the one
/// error with a field that the machine itself raises is `tooLarge` (the merged data of `set`),
/// whose field the core's `Error::field` gives. Remove when `WireOp` answers carry `field`.
fn with_field(mut step: Value) -> Value {
    if let Some(err) = step.get_mut("error").and_then(Value::as_object_mut) {
        let too_large = err.get("name").and_then(Value::as_str) == Some("tooLarge");
        if too_large && !err.contains_key("field") {
            let message = err.get("message").and_then(Value::as_str).unwrap_or("");
            let field = Error::TooLarge {
                message: message.to_owned(),
            }
            .field();
            if let Some(field) = field {
                err.insert("field".into(), Value::String(field.into()));
            }
        }
    }
    step
}

/// Where a [`NativeOp`] is.
enum State {
    /// Driving the core's wire machine.
    Running(Box<WireOp>),
    /// The input was rejected before any store work: this answer, then nothing.
    Rejected(Option<Error>),
}

/// One operation against a store written in JavaScript: `start()`, then `resume(replies)`
/// after each batch, until the answer has `done` or `error`.
#[napi]
pub struct NativeOp {
    state: State,
}

#[napi]
impl NativeOp {
    /// Operation `op` with its JSON option object, at `now` (ms), for keys under `namespace`.
    #[napi(constructor)]
    pub fn new(op: String, input_json: String, now: f64, namespace: String) -> Self {
        let state = catch_unwind(|| {
            // Parsed here first so that input errors keep their `field` (the wire machine's
            // answers carry only `name` and `message`); a valid input is parsed again by
            // `WireOp::new`, which is cheap next to a store round trip.
            match parse_input(&input_json)
                .and_then(|input| Request::parse(&op, &input).map(|_| input))
            {
                Ok(input) => {
                    State::Running(Box::new(WireOp::new(&op, &input, millis(now), &namespace)))
                }
                Err(e) => State::Rejected(Some(e)),
            }
        })
        .unwrap_or_else(|_| {
            State::Rejected(Some(Error::store(
                "internal error in session-core-node (a bug)",
            )))
        });
        Self { state }
    }

    /// The first step: `{"batch": [...]}` to apply, or the final answer.
    #[napi]
    pub fn start(&mut self) -> String {
        guarded(|| match &mut self.state {
            State::Running(op) => to_json_text(&with_field(op.start())),
            State::Rejected(e) => answer(
                Err(e
                    .take()
                    .unwrap_or_else(|| Error::store("the operation is over"))),
                &[],
            ),
        })
    }

    /// The next step, given the store's replies to the last batch as JSON: an array with one
    /// reply per command, or `{"conflict": true}`.
    #[napi]
    pub fn resume(&mut self, replies_json: String) -> String {
        guarded(|| match &mut self.state {
            State::Running(op) => match serde_json::from_str::<Value>(&replies_json) {
                Ok(replies) => to_json_text(&with_field(op.resume(&replies))),
                Err(e) => {
                    to_json_text(&op.fail(&format!("the store's replies are not valid JSON: {e}")))
                }
            },
            State::Rejected(_) => answer(Err(Error::store("the operation is over")), &[]),
        })
    }

    /// Ends the operation with `storeError` (the JS store threw `message`).
    #[napi]
    pub fn fail(&mut self, message: String) -> String {
        guarded(|| match &mut self.state {
            State::Running(op) => to_json_text(&op.fail(&message)),
            State::Rejected(_) => answer(Err(Error::store(message)), &[]),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn native() -> NativeSessions {
        NativeSessions::new("rs".into(), false)
    }

    fn call(s: &NativeSessions, op: &str, input: Value) -> Value {
        let out = s.call(op.into(), input.to_string(), 1_700_000_000_000.0);
        serde_json::from_str(&out).expect("answers are JSON")
    }

    #[test]
    fn session_results_are_written_exactly_as_to_json_writes_them() {
        let s = native();
        let inputs = [
            json!({"app": "shop", "id": "u1", "ip": "::1"}),
            json!({"app": "shop", "id": "ü 🚀", "ip": "::1", "d": {"a": 1, "b": "x\"y", "c": true, "e": 2.5}}),
            json!({"app": "shop", "id": "u3", "ip": "::1", "ttl": 60, "no_resave": true, "lifetime": 600}),
        ];
        for input in inputs {
            let token = call(&s, "create", input)["done"]["token"].clone();
            let request = json!({"app": "shop", "token": token});
            for op in ["get", "touch"] {
                let response = s.run(op, &request, 1_700_000_001_000.0).expect("runs");
                assert!(matches!(response, Response::Session(Some(_))));
                let fast: Value = serde_json::from_str(&done_json(&response)).expect("JSON");
                assert_eq!(fast, response.to_json());
            }
        }
        let mut variants = 0;
        for (op, input) in [
            ("soapp", json!({"app": "shop", "dt": 600})),
            ("soapp", json!({"app": "none", "dt": 600})),
            ("soid", json!({"app": "shop", "id": "ü 🚀"})),
            ("get", json!({"app": "shop", "token": "x".repeat(64)})),
            ("activity", json!({"app": "shop", "dt": 600})),
            ("create", json!({"app": "shop", "id": "u4", "ip": "::1"})),
            ("sweep", json!({})),
            ("killall", json!({"app": "shop"})),
        ] {
            let response = s.run(op, &input, 1_700_000_002_000.0).expect("runs");
            let fast: Value = serde_json::from_str(&done_json(&response)).expect("JSON");
            assert_eq!(fast, response.to_json(), "{op}");
            variants += 1;
        }
        assert_eq!(variants, 8);
    }

    #[test]
    fn answers_carry_results_events_and_errors_with_fields() {
        let s = native();
        let created = call(
            &s,
            "create",
            json!({"app": "shop", "id": "u1", "ip": "::1"}),
        );
        assert_eq!(created["done"]["token"].as_str().map(str::len), Some(64));
        assert_eq!(created["events"][0]["type"], "created");
        let token = created["done"]["token"].clone();
        let got = call(&s, "get", json!({"app": "shop", "token": token}));
        assert_eq!(got["done"]["r"], 1);
        assert_eq!(got["events"], json!([]));
        let killed = call(&s, "kill", json!({"app": "shop", "token": token}));
        assert_eq!(killed["done"], json!({"kill": 1}));
        assert_eq!(killed["events"][0]["reason"], "kill");
        assert_eq!(
            call(&s, "get", json!({"app": "shop", "token": token}))["done"],
            Value::Null
        );
        let bad = call(&s, "get", json!({"app": "x"}));
        assert_eq!(
            bad["error"],
            json!({"name": "invalidFormat", "message": "Invalid app format", "field": "app"})
        );
        let out = s.call("get".into(), "not json".into(), 0.0);
        let bad: Value = serde_json::from_str(&out).expect("JSON");
        assert_eq!(bad["error"]["name"], "invalidValue");
        let out = s.call("explode".into(), "{}".into(), f64::NAN);
        let bad: Value = serde_json::from_str(&out).expect("JSON");
        assert_eq!(bad["error"]["field"], "op");
    }

    #[test]
    fn native_op_drives_a_wire_machine_and_keeps_error_fields() {
        let mut op = NativeOp::new("get".into(), r#"{"app":"shop"}"#.into(), 0.0, "rs".into());
        let step: Value = serde_json::from_str(&op.start()).expect("JSON");
        assert_eq!(step["error"]["field"], "token");
        let input = json!({"app": "shop", "id": "u", "ip": "::1"}).to_string();
        let mut op = NativeOp::new("create".into(), input, 1.0e12, "ns".into());
        let step: Value = serde_json::from_str(&op.start()).expect("JSON");
        let batch = step["batch"].as_array().expect("a batch");
        assert!(
            batch
                .iter()
                .all(|c| c["key"].as_str().is_some_and(|k| k.starts_with("ns:")))
        );
        let step: Value = serde_json::from_str(&op.fail("boom".into())).expect("JSON");
        assert_eq!(step["error"]["name"], "storeError");
        assert_eq!(step["error"]["message"], "Store error: boom");
        let step: Value = serde_json::from_str(&op.resume("[]".into())).expect("JSON");
        assert_eq!(step["error"]["name"], "storeError");
    }
}
