//! # session-core-wasm
//!
//! The wasm-bindgen module behind the npm package `session-core-wasm`. It adds no session
//! logic: like the napi addon (`bindings-node`), its whole surface is the two classes of the
//! "native backend interface" that the shared JS driver (`driver.mjs`) runs on, with JSON
//! strings in and out and the same answers:
//!
//! - [`NativeSessions`]: `session_core::Sessions` over the embedded `MemoryStore`; one JS call
//!   is one wasm call.
//! - [`NativeOp`]: one operation for a store written in JavaScript (a Durable Object's
//!   storage, or any `apply(batch)` store), as a `session_core::wire::WireOp`.
//!
//! The clock is an argument of every call (the core never reads it; `SystemTime` does not
//! exist on wasm32-unknown-unknown). Tokens come from `crypto.getRandomValues` via getrandom.
//! The module imports nothing from `env`: only wasm-bindgen's glue.
//!
//! Panics: the module is built with `panic = "abort"`, so a panic traps (`RuntimeError:
//! unreachable`) and `catch_unwind` cannot turn it into an answer as the napi addon's guard
//! does. The JS side does it instead (`backend.mjs`): it catches the trap, answers
//! `storeError`, and replaces the poisoned instance with a fresh one (wasm-bindgen's
//! `__wbg_reset_state`). The feature `test-panic` (tests only; never in the shipped build) makes
//! an input naming the app `__panic__` panic, so that the tests can check this.

pub mod rest;

use session_core::CreateArgs;
use session_core::host::{
    MemoryHost, SweepPlan, SweepSpread, SweepTick, WireHost, data_arg, millis, seconds_arg,
};
use wasm_bindgen::prelude::wasm_bindgen;

/// Sessions over the embedded memory store.
#[wasm_bindgen]
pub struct NativeSessions(MemoryHost);

#[wasm_bindgen]
impl NativeSessions {
    /// A new, empty memory store. `namespace` only matters to stores with flat string keys
    /// (the memory store keeps structured keys); `autoSweep` false turns the core's bounded
    /// sweeping inside calls off (then call `sweep`).
    #[wasm_bindgen(constructor)]
    pub fn new(namespace: String, auto_sweep: bool) -> Self {
        let _ = namespace;
        Self(MemoryHost::new(auto_sweep))
    }

    /// Runs operation `op` (a JS method name) with its JSON option object at `now` (ms).
    pub fn call(&self, op: &str, input_json: &str, now: f64) -> String {
        test_panic::on_request(panic_requested(input_json));
        self.0.call(op, input_json, millis(now))
    }

    /// `get` with the strings the caller gave, answered in the typed form of
    /// `MemoryHost::call_typed`: numbers in `out`, and the text `out[0]` describes.
    pub fn get(&self, app: &str, token: &str, now: f64, events: bool, out: &mut [f64]) -> String {
        test_panic::on_request(panic_app(app));
        self.0.on_token("get", app, token, millis(now), events, out)
    }

    /// `touch`, as [`NativeSessions::get`].
    pub fn touch(&self, app: &str, token: &str, now: f64, events: bool, out: &mut [f64]) -> String {
        test_panic::on_request(panic_app(app));
        self.0
            .on_token("touch", app, token, millis(now), events, out)
    }

    /// `regenerate`, as [`NativeSessions::get`].
    pub fn regenerate(
        &self,
        app: &str,
        token: &str,
        now: f64,
        events: bool,
        out: &mut [f64],
    ) -> String {
        test_panic::on_request(panic_app(app));
        self.0
            .on_token("regenerate", app, token, millis(now), events, out)
    }

    /// `set` with the strings the caller gave and `d` as JSON text (typed answer form).
    pub fn set(
        &self,
        app: &str,
        token: &str,
        d: &str,
        now: f64,
        events: bool,
        out: &mut [f64],
    ) -> String {
        test_panic::on_request(panic_app(app));
        self.0.set(app, token, d, millis(now), events, out)
    }

    /// `create` with the usual JS types (typed answer form): `ttl` and `lifetime` negative
    /// for "not given", `d` empty for "not given".
    #[allow(clippy::too_many_arguments)] // One per option, so that no object crosses.
    pub fn create(
        &self,
        app: &str,
        id: &str,
        ip: &str,
        ttl: f64,
        d: &str,
        no_resave: bool,
        lifetime: f64,
        now: f64,
        events: bool,
        out: &mut [f64],
    ) -> String {
        test_panic::on_request(panic_app(app));
        let args = CreateArgs {
            app,
            id,
            ip,
            ttl: seconds_arg(ttl),
            d: data_arg(d),
            no_resave,
            lifetime: seconds_arg(lifetime),
        };
        self.0.create(args, millis(now), events, out)
    }
}

/// One operation against a store written in JavaScript: `start()`, then `resume(replies)`
/// after each batch, until the answer has `done` or `error`.
#[wasm_bindgen]
pub struct NativeOp {
    host: WireHost,
    /// Feature `test-panic`: panic in `resume`, after the store has applied a batch.
    panic: bool,
}

#[wasm_bindgen]
impl NativeOp {
    /// Operation `op` with its JSON option object, at `now` (ms), for keys under `namespace`.
    #[wasm_bindgen(constructor)]
    pub fn new(op: &str, input_json: &str, now: f64, namespace: &str) -> Self {
        Self {
            host: WireHost::new(op, input_json, millis(now), namespace),
            panic: panic_requested(input_json),
        }
    }

    /// The first step: `{"batch": [...]}` to apply, or the final answer.
    pub fn start(&mut self) -> String {
        self.host.start()
    }

    /// The next step, given the store's replies to the last batch as JSON: an array with one
    /// reply per command, or `{"conflict": true}`.
    pub fn resume(&mut self, replies_json: &str) -> String {
        test_panic::on_request(self.panic);
        self.host.resume(replies_json)
    }

    /// Ends the operation with `storeError` (the JS store threw `message`).
    pub fn fail(&mut self, message: &str) -> String {
        self.host.fail(message)
    }

    /// The one session this operation updates, as its handle's text, or `undefined`: the
    /// driver queues operations with the same key behind each other.
    #[wasm_bindgen(js_name = lockKey)]
    pub fn lock_key(&self) -> Option<String> {
        self.host.lock_key()
    }
}

/// How one `Sessions` sweeps (the core's `sweep::schedule` and in-call policy).
#[wasm_bindgen]
pub struct NativeSweepPlan(SweepPlan);

#[wasm_bindgen]
impl NativeSweepPlan {
    /// The plan for a store `shared` with other processes or not, and the `wipe` setting in
    /// seconds (negative: not given; 0: off).
    #[wasm_bindgen(constructor)]
    pub fn new(shared: bool, wipe: f64) -> Self {
        Self(SweepPlan::new(shared, wipe))
    }

    /// The period of timed sweeps in ms, or 0 for no timer.
    #[wasm_bindgen(js_name = timerMs)]
    pub fn timer_ms(&self) -> f64 {
        self.0.timer_ms()
    }

    /// The `limit` of an in-call step due at `now`, or 0.
    pub fn claim(&self, now: f64) -> u32 {
        self.0.claim(now)
    }

    /// The outcome of a claimed step: 1 more work, 0 none, -1 failed.
    pub fn finished(&self, now: f64, more: i32) {
        self.0.finished(now, more);
    }
}

/// One tick of timed sweeping (the core's `sweep::Tick`).
#[wasm_bindgen]
pub struct NativeSweepTick(SweepTick);

#[wasm_bindgen]
impl NativeSweepTick {
    /// A tick that has not run a step yet.
    #[wasm_bindgen(constructor)]
    #[allow(clippy::new_without_default)] // A JS constructor.
    pub fn new() -> Self {
        Self(SweepTick::new())
    }

    /// The next step's `limit`, or -1 when the tick is over.
    pub fn step(&mut self) -> f64 {
        self.0.step() as f64
    }

    /// The step's outcome: 1 more work, 0 none, -1 failed.
    pub fn record(&mut self, more: i32) {
        self.0.record(more);
    }

    /// True when the tick stopped with work left.
    pub fn backlog(&self) -> bool {
        self.0.backlog()
    }
}

/// `sweep` across apps kept apart (the core's `sweep::Spread`): the Worker's `POST /sweep`.
#[wasm_bindgen]
pub struct NativeSweepSpread(SweepSpread);

#[wasm_bindgen]
impl NativeSweepSpread {
    /// The sweep that `sweep`'s option object (JSON, without `app`) asks for: at most its
    /// `limit` (the core's default when absent) over every app. Check the input first: a
    /// `limit` the core rejects counts as the default here.
    #[wasm_bindgen(constructor)]
    pub fn new(input_json: &str) -> Self {
        Self(SweepSpread::of_input(input_json))
    }

    /// The `limit` for the next app's `sweep` (0: a probe).
    pub fn limit(&self) -> u32 {
        self.0.limit()
    }

    /// Records an app's answer; false when the sweep is over.
    pub fn record(&mut self, swept: f64, more: bool) -> bool {
        self.0.record(swept, more)
    }

    /// The answer, as JSON text `{"swept", "more"}`.
    pub fn result(&self) -> String {
        self.0.result()
    }
}

/// Whether a typed call names the app `__panic__` (which only the feature `test-panic` acts
/// on).
fn panic_app(app: &str) -> bool {
    cfg!(feature = "test-panic") && app == "__panic__"
}

/// Whether the input names the app `__panic__` (which only the feature `test-panic` acts on).
fn panic_requested(input_json: &str) -> bool {
    cfg!(feature = "test-panic") && input_json.contains("\"__panic__\"")
}

/// Tests only: panics on request, with the feature `test-panic`.
#[cfg(feature = "test-panic")]
mod test_panic {
    /// Panics when `requested`.
    pub(crate) fn on_request(requested: bool) {
        assert!(!requested, "test-panic: the input asked for a panic");
    }
}

/// Without the feature `test-panic`: nothing.
#[cfg(not(feature = "test-panic"))]
mod test_panic {
    /// Does nothing.
    #[inline(always)]
    pub(crate) fn on_request(_requested: bool) {}
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    fn call(s: &NativeSessions, op: &str, input: Value) -> Value {
        let out = s.call(op, &input.to_string(), 1_700_000_000_000.0);
        serde_json::from_str(&out).expect("answers are JSON")
    }

    #[test]
    fn answers_carry_results_events_and_errors_with_fields() {
        let s = NativeSessions::new("rs".into(), false);
        let created = call(
            &s,
            "create",
            json!({"app": "shop", "id": "u1", "ip": "::1"}),
        );
        assert_eq!(created["done"]["token"].as_str().map(str::len), Some(64));
        assert_eq!(created["events"][0]["type"], "created");
        let token = created["done"]["token"].clone();
        assert_eq!(
            call(&s, "get", json!({"app": "shop", "token": token}))["done"]["r"],
            1
        );
        let bad = call(&s, "get", json!({"app": "x"}));
        assert_eq!(
            bad["error"],
            json!({"name": "invalidFormat", "message": "Invalid app format", "field": "app"})
        );
    }

    #[test]
    fn native_op_drives_a_wire_machine() {
        let mut op = NativeOp::new("get", r#"{"app":"shop"}"#, 0.0, "rs");
        let step: Value = serde_json::from_str(&op.start()).expect("JSON");
        assert_eq!(step["error"]["field"], "token");
        let input = json!({"app": "shop", "id": "u", "ip": "::1"}).to_string();
        let mut op = NativeOp::new("create", &input, 1.0e12, "ns");
        let step: Value = serde_json::from_str(&op.start()).expect("JSON");
        assert!(step["batch"].as_array().is_some_and(|b| !b.is_empty()));
        let step: Value = serde_json::from_str(&op.fail("boom")).expect("JSON");
        assert_eq!(step["error"]["message"], "Store error: boom");
    }
}
