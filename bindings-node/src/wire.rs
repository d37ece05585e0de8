//! [`NativeOp`]: one operation against a store written in JavaScript.

use crate::guard::{guarded, internal_error};
use napi_derive::napi;
use session_core::host::{SweepPlan, SweepTick, WireHost, millis};
use std::panic::{AssertUnwindSafe, catch_unwind};

/// One operation against a store written in JavaScript: `start()`, then `resume(replies)`
/// after each batch, until the answer has `done` or `error`.
#[napi]
pub struct NativeOp {
    /// `None` if creating the operation panicked (a bug): every step answers `storeError`.
    host: Option<WireHost>,
}

#[napi]
impl NativeOp {
    /// Operation `op` with its JSON option object, at `now` (ms), for keys under `namespace`.
    #[napi(constructor)]
    pub fn new(op: String, input_json: String, now: f64, namespace: String) -> Self {
        let host = catch_unwind(|| WireHost::new(&op, &input_json, millis(now), &namespace)).ok();
        Self { host }
    }

    /// The first step: `{"batch": [...]}` to apply, or the final answer.
    #[napi]
    pub fn start(&mut self) -> String {
        self.step(WireHost::start)
    }

    /// The next step, given the store's replies to the last batch as JSON: an array with one
    /// reply per command, or `{"conflict": true}`.
    #[napi]
    pub fn resume(&mut self, replies_json: String) -> String {
        self.step(|host| host.resume(&replies_json))
    }

    /// Ends the operation with `storeError` (the JS store threw `message`).
    #[napi]
    pub fn fail(&mut self, message: String) -> String {
        self.step(|host| host.fail(&message))
    }

    /// The one session this operation updates, as its handle's text, or `null`: the driver
    /// queues operations with the same key behind each other.
    #[napi]
    pub fn lock_key(&self) -> Option<String> {
        self.host.as_ref().and_then(WireHost::lock_key)
    }
}

/// How one `Sessions` sweeps (the core's `sweep::schedule` and in-call policy).
#[napi]
pub struct NativeSweepPlan(SweepPlan);

#[napi]
impl NativeSweepPlan {
    /// The plan for a store `shared` with other processes or not, and the `wipe` setting in
    /// seconds (negative: not given; 0: off).
    #[napi(constructor)]
    pub fn new(shared: bool, wipe: f64) -> Self {
        Self(SweepPlan::new(shared, wipe))
    }

    /// The period of timed sweeps in ms, or 0 for no timer.
    #[napi]
    pub fn timer_ms(&self) -> f64 {
        self.0.timer_ms()
    }

    /// The `limit` of an in-call step due at `now`, or 0.
    #[napi]
    pub fn claim(&self, now: f64) -> u32 {
        self.0.claim(now)
    }

    /// The outcome of a claimed step: 1 more work, 0 none, -1 failed.
    #[napi]
    pub fn finished(&self, now: f64, more: i32) {
        self.0.finished(now, more);
    }
}

/// One tick of timed sweeping (the core's `sweep::Tick`).
#[napi]
pub struct NativeSweepTick(SweepTick);

#[napi]
impl NativeSweepTick {
    /// A tick that has not run a step yet.
    #[napi(constructor)]
    #[allow(clippy::new_without_default)] // A JS constructor.
    pub fn new() -> Self {
        Self(SweepTick::new())
    }

    /// The next step's `limit`, or -1 when the tick is over.
    #[napi]
    pub fn step(&mut self) -> f64 {
        self.0.step() as f64
    }

    /// The step's outcome: 1 more work, 0 none, -1 failed.
    #[napi]
    pub fn record(&mut self, more: i32) {
        self.0.record(more);
    }

    /// True when the tick stopped with work left.
    #[napi]
    pub fn backlog(&self) -> bool {
        self.0.backlog()
    }
}

impl NativeOp {
    fn step(&mut self, f: impl FnOnce(&mut WireHost) -> String) -> String {
        match &mut self.host {
            Some(host) => {
                let host = AssertUnwindSafe(host);
                guarded(move || {
                    let AssertUnwindSafe(host) = host;
                    f(host)
                })
            }
            None => internal_error(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

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
