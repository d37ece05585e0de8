//! What a binding needs to host the engine behind a narrow string interface: every answer is
//! one JSON string, `{"done": result, "events": [...]}` or
//! `{"error": {"name", "message", "field"?}, "events": [...]}`, so the Node addon and the
//! wasm module are thin wrappers over the same code and cannot answer differently.
//!
//! Strings cross a JS boundary faster than object conversion for these small shapes (measured
//! in the Node binding), which is why the interface is JSON text both ways.
//!
//! ```
//! use session_core::host::MemoryHost;
//! let host = MemoryHost::new(false);
//! let out = host.call("create", r#"{"app":"shop","id":"u1","ip":"::1"}"#, 1_000);
//! let v: serde_json::Value = serde_json::from_str(&out).unwrap();
//! assert_eq!(v["done"]["token"].as_str().unwrap().len(), 64);
//! assert_eq!(v["events"][0]["type"], "created");
//! ```

use crate::dispatch::Response;
use crate::driver::{ManualClock, Sessions};
use crate::error::Error;
use crate::event::Event;
use crate::input::Request;
use crate::memory::MemoryStore;
use crate::wire::WireOp;
use serde::Serialize;
use serde_json::Value;
use std::sync::{Arc, Mutex, PoisonError};

/// The error object of an answer, with `field` when the core names one.
#[derive(Serialize)]
struct ErrorJson<'a> {
    name: &'a str,
    message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    field: Option<&'a str>,
}

/// JSON text of anything the core serializes (which cannot fail: maps with string keys).
fn text(v: &impl Serialize) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "null".into())
}

impl Response {
    /// The response as JSON text, the same as [`Response::to_json`] but written straight from
    /// the `Serialize` impls for sessions and listings (the hot paths), with no `Value` tree.
    pub fn to_json_text(&self) -> String {
        match self {
            Response::Session(Some(s)) => text(s),
            Response::Sessions(list) => format!("{{\"sessions\":{}}}", text(list)),
            other => text(&other.to_json()),
        }
    }
}

/// A whole answer as one JSON string.
pub fn answer(result: Result<&Response, &Error>, events: &[Event]) -> String {
    let mut out = String::with_capacity(256);
    match result {
        Ok(r) => {
            out.push_str("{\"done\":");
            out.push_str(&r.to_json_text());
        }
        Err(e) => {
            out.push_str("{\"error\":");
            out.push_str(&text(&ErrorJson {
                name: e.name(),
                message: e.to_string(),
                field: e.field(),
            }));
        }
    }
    out.push_str(",\"events\":[");
    for (i, e) in events.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&text(e));
    }
    out.push_str("]}");
    out
}

/// A JS clock reading (a float of milliseconds) as the core's `now`: negative and NaN read as
/// 0, values beyond `u64` saturate (an `as` cast does exactly that).
pub fn millis(now: f64) -> u64 {
    now as u64
}

/// Reads the option object a JS caller passed as JSON text.
pub fn parse_input(input_json: &str) -> Result<Value, Error> {
    serde_json::from_str(input_json)
        .map_err(|e| Error::value("input", format!("the options are not valid JSON: {e}")))
}

/// Sessions over an embedded [`MemoryStore`], answering in JSON text: the fast path of a
/// binding (one JS call, one native call). `now` comes with every call.
#[derive(Debug)]
pub struct MemoryHost {
    sessions: Sessions<MemoryStore>,
    clock: ManualClock,
    events: Arc<Mutex<Vec<Event>>>,
}

impl MemoryHost {
    /// An empty store; `auto_sweep` false turns the bounded sweeping inside calls off.
    pub fn new(auto_sweep: bool) -> Self {
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
    pub fn call(&self, op: &str, input_json: &str, now: u64) -> String {
        let result = parse_input(input_json).and_then(|input| self.run(op, &input, now));
        let events =
            std::mem::take(&mut *self.events.lock().unwrap_or_else(PoisonError::into_inner));
        answer(result.as_ref(), &events)
    }

    /// Runs `op` with an already parsed option object, to the typed [`Response`] (events go
    /// to the next [`MemoryHost::call`]'s answer, or are dropped by [`MemoryHost::take_events`]).
    pub fn run(&self, op: &str, input: &Value, now: u64) -> Result<Response, Error> {
        self.clock.set(now);
        let op = Request::parse(op, input)?.into_op(now)?;
        self.sessions.run(op)
    }

    /// The events of calls made through [`MemoryHost::run`] (drained).
    pub fn take_events(&self) -> Vec<Event> {
        std::mem::take(&mut *self.events.lock().unwrap_or_else(PoisonError::into_inner))
    }

    /// The sessions behind the host.
    pub fn sessions(&self) -> &Sessions<MemoryStore> {
        &self.sessions
    }
}

/// One operation against a store written in JavaScript, in JSON text: [`WireOp`] with string
/// answers. `start()`, then `resume(replies)` after each batch, until the answer has `done` or
/// `error`.
#[derive(Debug)]
pub struct WireHost(WireOp);

impl WireHost {
    /// Operation `op` with its JSON option object, at `now`, for keys under `namespace`.
    /// Unreadable options are reported by the first step.
    pub fn new(op: &str, input_json: &str, now: u64, namespace: &str) -> Self {
        let (input, unreadable) = match parse_input(input_json) {
            Ok(v) => (v, None),
            Err(e) => (Value::Null, Some(e)),
        };
        let mut op = WireOp::new(op, &input, now, namespace);
        if let Some(e) = unreadable {
            op.reject(e);
        }
        Self(op)
    }

    /// The first step, as JSON text.
    pub fn start(&mut self) -> String {
        self.0.start().to_string()
    }

    /// The next step, given the JS store's reply to the last batch as JSON text.
    pub fn resume(&mut self, replies_json: &str) -> String {
        match serde_json::from_str::<Value>(replies_json) {
            Ok(replies) => self.0.resume(&replies).to_string(),
            Err(e) => self.fail(&format!("the store's replies are not JSON: {e}")),
        }
    }

    /// Ends the operation with a store failure (the JS store threw `message`).
    pub fn fail(&mut self, message: &str) -> String {
        self.0.fail(message).to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_agree_with_to_json_and_name_fields() {
        let host = MemoryHost::new(false);
        let out: Value =
            serde_json::from_str(&host.call("create", r#"{"app":"shop","id":"u","ip":"::1"}"#, 5))
                .unwrap();
        let token = out["done"]["token"].as_str().unwrap().to_owned();
        for op in ["get", "soid"] {
            let input = serde_json::json!({"app": "shop", "token": token, "id": "u"});
            let r = host.run(op, &input, 6).unwrap();
            let direct: Value = serde_json::from_str(&r.to_json_text()).unwrap();
            assert_eq!(direct, r.to_json(), "{op}");
        }
        let bad: Value = serde_json::from_str(&host.call("get", r#"{"app":"shop"}"#, 7)).unwrap();
        assert_eq!(bad["error"]["field"], "token");
        let junk: Value = serde_json::from_str(&host.call("get", "{nope", 7)).unwrap();
        assert_eq!(junk["error"]["name"], "invalidValue");
    }

    #[test]
    fn a_wire_host_reports_unreadable_options_first() {
        let mut op = WireHost::new("get", "{nope", 1, "rs");
        let v: Value = serde_json::from_str(&op.start()).unwrap();
        assert_eq!(v["error"]["name"], "invalidValue");
    }
}
