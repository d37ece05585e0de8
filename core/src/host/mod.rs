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

mod sweep;

pub use sweep::{SweepPlan, SweepSpread, SweepTick};

use crate::dispatch::Response;
use crate::driver::{ManualClock, Sessions};
use crate::error::Error;
use crate::event::Event;
use crate::input::{CreateArgs, Request};
use crate::memory::MemoryStore;
use crate::session::Session;
use crate::token::Handle;
use crate::wire::WireOp;
use serde::Serialize;
use serde_json::Value;
use std::sync::atomic::{AtomicBool, Ordering};
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
    /// The response as JSON text, the same as [`Response::to_json`] but written directly for
    /// sessions and listings (the hot paths): no `Value` tree, and the stored data copied as
    /// the JSON text it is, never parsed.
    pub fn to_json_text(&self) -> String {
        let mut out = String::with_capacity(160);
        self.write_json(&mut out);
        out
    }

    /// Appends [`Response::to_json_text`] to `out`.
    pub fn write_json(&self, out: &mut String) {
        match self {
            Response::Session(Some(s)) => write_session(out, s, None),
            Response::Sessions(list) => {
                write_listed(out, list);
                out.push('}');
            }
            Response::Page(page) => {
                write_listed(out, &page.sessions);
                if let Some(cursor) = &page.cursor {
                    out.push_str(",\"cursor\":");
                    write_str(out, cursor);
                }
                out.push('}');
            }
            Response::Swept(r) => {
                use std::fmt::Write as _;
                let _ = write!(out, "{{\"swept\":{},\"more\":{}}}", r.count, r.more);
            }
            Response::Token(Some(t)) => {
                out.push_str("{\"token\":\"");
                out.push_str(t.as_str());
                out.push_str("\"}");
            }
            other => out.push_str(&text(&other.to_json())),
        }
    }
}

/// Writes `{"sessions":[...]` (the caller closes the object).
fn write_listed(out: &mut String, list: &[crate::session::Listed]) {
    out.push_str("{\"sessions\":[");
    write_listed_items(out, list);
    out.push(']');
}

/// Appends the sessions of a listing as JSON objects separated by commas, as they appear in
/// `{"sessions":[...]}`: for a host that streams a listing page by page.
pub fn write_listed_items(out: &mut String, list: &[crate::session::Listed]) {
    out.reserve(list.len() * 120);
    for (i, l) in list.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        write_session(out, &l.session, Some(&l.handle));
    }
}

/// Writes a session as `{id, r, w, ttl, idle, ip, d?, no_resave?, handle?}`.
fn write_session(out: &mut String, s: &Session, handle: Option<&Handle>) {
    use std::fmt::Write as _;
    out.push_str("{\"id\":");
    write_str(out, &s.id);
    // Writing to a String cannot fail.
    let _ = write!(
        out,
        ",\"r\":{},\"w\":{},\"ttl\":{},\"idle\":{},\"ip\":",
        s.r, s.w, s.ttl, s.idle
    );
    write_str(out, &s.ip);
    if let Some(d) = &s.d {
        out.push_str(",\"d\":");
        out.push_str(d.as_json());
    }
    if s.no_resave {
        out.push_str(",\"no_resave\":true");
    }
    if let Some(h) = handle {
        out.push_str(",\"handle\":\"");
        out.push_str(&h.text());
        out.push('"');
    }
    out.push('}');
}

/// Appends `text` to `out` as a JSON string, escaped as serde_json escapes (hosts write small
/// JSON answers with it, without building a `Value`).
///
/// ```
/// let mut out = String::new();
/// session_core::host::write_str(&mut out, "a\"b\n");
/// assert_eq!(out, r#""a\"b\n""#);
/// ```
pub fn write_str(out: &mut String, text: &str) {
    out.push('"');
    let mut start = 0;
    for (i, b) in text.bytes().enumerate() {
        let escape = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0x08 => "\\b",
            0x0c => "\\f",
            0..=0x1f => "",
            _ => continue,
        };
        out.push_str(&text[start..i]);
        if escape.is_empty() {
            use std::fmt::Write as _;
            let _ = write!(out, "\\u{b:04x}");
        } else {
            out.push_str(escape);
        }
        start = i + 1;
    }
    out.push_str(&text[start..]);
    out.push('"');
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

/// How long the `out` array of [`MemoryHost::call_typed`] must be.
pub const OUT_LEN: usize = 8;

/// What a typed answer is (`out[0]`), and so what its text holds.
///
/// | `out[0]` | text | `out[1..8]` |
/// |---|---|---|
/// | 0 `Null` | empty: the result is `null` | — |
/// | 1 `Session` | `id`, `ip` and `d` (JSON, when flagged) one after the other | `r`, `w`, `ttl`, `idle`, the lengths of `id` and `ip` in UTF-16 units, flags: 1 `no_resave`, 2 has `d` |
/// | 2 `Token` | the token: the result is `{token}` | — |
/// | 3 `Answer` | a whole answer, `{"done"…}` or `{"error"…}`, with its events | — |
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Out {
    /// The result is `null`.
    Null = 0,
    /// A session, in parts.
    Session = 1,
    /// A token.
    Token = 2,
    /// A whole answer.
    Answer = 3,
}

/// Writes a session's numbers into `out[1..8]` and returns `id`, `ip` and `d` as one text.
fn session_parts(s: Session, out: &mut [f64]) -> String {
    let utf16 = |t: &str| {
        if t.is_ascii() {
            t.len()
        } else {
            t.encode_utf16().count()
        }
    };
    let d = s.d.as_ref().map_or("", |d| d.as_json());
    let mut text = String::with_capacity(s.id.len() + s.ip.len() + d.len());
    text.push_str(&s.id);
    text.push_str(&s.ip);
    text.push_str(d);
    let flags = u8::from(s.no_resave) | u8::from(s.d.is_some()) << 1;
    // Counters and lengths are far below 2^53, where f64 stops being exact.
    let numbers = [
        s.r as f64,
        s.w as f64,
        s.ttl as f64,
        s.idle as f64,
        utf16(&s.id) as f64,
        utf16(&s.ip) as f64,
        f64::from(flags),
    ];
    out[1..OUT_LEN].copy_from_slice(&numbers);
    text
}

/// A whole number of seconds from JS, where a negative number means "not given".
pub fn seconds_arg(n: f64) -> Option<u64> {
    (n >= 0.0).then_some(n as u64)
}

/// `d` from JS, where the empty string means "not given".
pub fn data_arg(d: &str) -> Option<&str> {
    (!d.is_empty()).then_some(d)
}

/// Reads the option object a JS caller passed as JSON text.
pub fn parse_input(input_json: &str) -> Result<Value, Error> {
    serde_json::from_str(input_json)
        .map_err(|e| Error::value("input", format!("the options are not valid JSON: {e}")))
}

/// Events collected during a call, with a flag so that a call without any checks it for free.
#[derive(Debug, Default)]
struct EventSink {
    events: Mutex<Vec<Event>>,
    pending: AtomicBool,
}

impl EventSink {
    fn push(&self, e: &Event) {
        self.events
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(e.clone());
        self.pending.store(true, Ordering::Release);
    }

    fn take(&self) -> Vec<Event> {
        if !self.pending.swap(false, Ordering::AcqRel) {
            return Vec::new();
        }
        std::mem::take(&mut *self.events.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

/// Sessions over an embedded [`MemoryStore`], answering in JSON text: the fast path of a
/// binding (one JS call, one native call). `now` comes with every call.
#[derive(Debug)]
pub struct MemoryHost {
    sessions: Sessions<MemoryStore>,
    clock: ManualClock,
    events: Arc<EventSink>,
}

impl MemoryHost {
    /// An empty store; `auto_sweep` false turns the bounded sweeping inside calls off.
    pub fn new(auto_sweep: bool) -> Self {
        let clock = ManualClock::new(0);
        let events = Arc::new(EventSink::default());
        let sink = events.clone();
        let mut sessions = Sessions::new(MemoryStore::new())
            .with_clock(clock.clone())
            .on_event(move |e| sink.push(e));
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
        answer(result.as_ref(), &self.events.take())
    }

    /// Runs a request a binding built from typed arguments (see [`Request::on_token`],
    /// [`Request::set_json`], [`CreateArgs`]) at `now`, and answers in the typed form: the
    /// answer's numbers go into `out` (at least [`OUT_LEN`] long; see [`Out`]), and the
    /// returned text is what `out[0]` says it is. A session crosses as its numbers plus one
    /// string of `id`, `ip` and `d`, so JS builds the object with one small `JSON.parse` (of
    /// `d`) instead of parsing the whole session. Events are left out when `events` is false
    /// (nobody listens).
    pub fn call_typed(
        &self,
        request: Result<Request, Error>,
        now: u64,
        events: bool,
        out: &mut [f64],
    ) -> String {
        let result = request.and_then(|r| {
            self.clock.set(now);
            self.sessions
                .run(r.into_op_in(now, self.sessions.shards())?)
        });
        let taken = self.events.take();
        let kind = |out: &mut [f64], kind: Out| {
            if let Some(slot) = out.first_mut() {
                *slot = f64::from(kind as u8);
            }
        };
        match result {
            Ok(r) if taken.is_empty() || !events => match r {
                Response::Session(None) | Response::Token(None) => {
                    kind(out, Out::Null);
                    String::new()
                }
                Response::Token(Some(t)) => {
                    kind(out, Out::Token);
                    t.into_string()
                }
                Response::Session(Some(s)) if out.len() >= OUT_LEN => {
                    kind(out, Out::Session);
                    session_parts(s, out)
                }
                other => {
                    kind(out, Out::Answer);
                    answer(Ok(&other), &[])
                }
            },
            result => {
                kind(out, Out::Answer);
                answer(result.as_ref(), &taken)
            }
        }
    }

    /// `get`, `touch` or `regenerate` (by `op`) with the strings a caller gave (typed answer
    /// form, see [`MemoryHost::call_typed`]).
    pub fn on_token(
        &self,
        op: &str,
        app: &str,
        token: &str,
        now: u64,
        events: bool,
        out: &mut [f64],
    ) -> String {
        self.call_typed(Request::on_token(op, app, token), now, events, out)
    }

    /// `set` with the strings a caller gave and `d` as JSON text (typed answer form).
    pub fn set(
        &self,
        app: &str,
        token: &str,
        d: &str,
        now: u64,
        events: bool,
        out: &mut [f64],
    ) -> String {
        self.call_typed(Request::set_json(app, token, d), now, events, out)
    }

    /// `create` from typed arguments (typed answer form).
    pub fn create(&self, args: CreateArgs<'_>, now: u64, events: bool, out: &mut [f64]) -> String {
        self.call_typed(args.request(), now, events, out)
    }

    /// Runs `op` with an already parsed option object, to the typed [`Response`] (events go
    /// to the next [`MemoryHost::call`]'s answer, or are dropped by [`MemoryHost::take_events`]).
    pub fn run(&self, op: &str, input: &Value, now: u64) -> Result<Response, Error> {
        self.clock.set(now);
        let op = Request::op_from_input(op, input, now, self.sessions.shards())?;
        self.sessions.run(op)
    }

    /// The events of calls made through [`MemoryHost::run`] (drained).
    pub fn take_events(&self) -> Vec<Event> {
        self.events.take()
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
        self.0.start()
    }

    /// The one session this operation updates, as its handle's text (see
    /// [`Machine::lock_key`](crate::machine::Machine::lock_key)): a host queues operations
    /// with the same key behind each other. `None` for other operations and bad input.
    pub fn lock_key(&self) -> Option<String> {
        self.0.lock_key().map(|h| h.text().to_string())
    }

    /// The next step, given the JS store's reply to the last batch as JSON text.
    pub fn resume(&mut self, replies_json: &str) -> String {
        match serde_json::from_str::<Value>(replies_json) {
            Ok(replies) => self.0.resume(&replies),
            Err(e) => self.fail(&format!("the store's replies are not JSON: {e}")),
        }
    }

    /// Ends the operation with a store failure (the JS store threw `message`).
    pub fn fail(&mut self, message: &str) -> String {
        self.0.fail(message)
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
