//! [`NativeOp`]: one operation against a store written in JavaScript.

use crate::guard::{guarded, internal_error};
use napi_derive::napi;
use session_core::host::{WireHost, millis};
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
