//! [`NativeSessions`]: sessions over the embedded memory store, driven in Rust.

use crate::guard::guarded;
use napi_derive::napi;
#[cfg(feature = "boundary-bench")]
use serde_json::Value;
use session_core::CreateArgs;
use session_core::host::{MemoryHost, data_arg, millis, seconds_arg};
#[cfg(feature = "boundary-bench")]
use session_core::{Error, Event, Response, host};

/// The `Float64Array` a typed call writes its answer's numbers into (napi reads a typed
/// array argument as a slice of its memory; the alias keeps the macro on that conversion).
type Out<'a> = &'a mut [f64];

/// Sessions over the embedded memory store, driven in Rust: one JS call, one native call.
#[napi]
pub struct NativeSessions {
    host: MemoryHost,
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
        Self {
            host: MemoryHost::new(auto_sweep),
        }
    }

    /// Runs operation `op` (a JS method name) with its JSON option object at `now` (ms).
    #[napi]
    pub fn call(&self, op: String, input_json: String, now: f64) -> String {
        guarded(|| self.host.call(&op, &input_json, millis(now)))
    }

    /// `get` with the strings the caller gave, answered in the typed form of
    /// `MemoryHost::call_typed`: numbers in `out`, and the text `out[0]` describes. `events`
    /// says whether anybody listens to events.
    #[napi]
    pub fn get(&self, app: String, token: String, now: f64, events: bool, out: Out<'_>) -> String {
        guarded(|| {
            self.host
                .on_token("get", &app, &token, millis(now), events, out)
        })
    }

    /// `touch`, as [`NativeSessions::get`].
    #[napi]
    pub fn touch(
        &self,
        app: String,
        token: String,
        now: f64,
        events: bool,
        out: Out<'_>,
    ) -> String {
        guarded(|| {
            self.host
                .on_token("touch", &app, &token, millis(now), events, out)
        })
    }

    /// `regenerate`, as [`NativeSessions::get`].
    #[napi]
    pub fn regenerate(
        &self,
        app: String,
        token: String,
        now: f64,
        events: bool,
        out: Out<'_>,
    ) -> String {
        guarded(|| {
            self.host
                .on_token("regenerate", &app, &token, millis(now), events, out)
        })
    }

    /// `set` with the strings the caller gave and `d` as JSON text (typed answer form).
    #[napi]
    pub fn set(
        &self,
        app: String,
        token: String,
        d: String,
        now: f64,
        events: bool,
        out: Out<'_>,
    ) -> String {
        guarded(|| self.host.set(&app, &token, &d, millis(now), events, out))
    }

    /// `create` with the usual JS types (typed answer form): `ttl` and `lifetime` are whole
    /// numbers, or negative for "not given"; `d` is JSON text, or empty for "not given".
    #[napi]
    #[allow(clippy::too_many_arguments)] // One per option, so that no object crosses.
    pub fn create(
        &self,
        app: String,
        id: String,
        ip: String,
        ttl: f64,
        d: String,
        no_resave: bool,
        lifetime: f64,
        now: f64,
        events: bool,
        out: Out<'_>,
    ) -> String {
        guarded(|| {
            let args = CreateArgs {
                app: &app,
                id: &id,
                ip: &ip,
                ttl: seconds_arg(ttl),
                d: data_arg(&d),
                no_resave,
                lifetime: seconds_arg(lifetime),
            };
            self.host.create(args, millis(now), events, out)
        })
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
        let result = self.host.run(&op, &input, millis(now));
        answer_value(result, &self.host.take_events())
    }

    /// Object in, JSON string out.
    #[napi]
    pub fn call_object_in(&self, op: String, input: Value, now: f64) -> String {
        let result = self.host.run(&op, &input, millis(now));
        host::answer(result.as_ref(), &self.host.take_events())
    }

    /// JSON string in, object out.
    #[napi]
    pub fn call_object_out(&self, op: String, input_json: String, now: f64) -> Value {
        let result = host::parse_input(&input_json)
            .and_then(|input| self.host.run(&op, &input, millis(now)));
        answer_value(result, &self.host.take_events())
    }
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
            let mut error = serde_json::json!({"name": e.name(), "message": e.to_string()});
            if let Some(field) = e.field() {
                error["field"] = Value::from(field);
            }
            serde_json::json!({"error": error, "events": events})
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};
    use session_core::Response;

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
                let response = s.host.run(op, &request, 1_700_000_001_000).expect("runs");
                assert!(matches!(response, Response::Session(Some(_))));
                let fast: Value = serde_json::from_str(&response.to_json_text()).expect("JSON");
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
            let response = s.host.run(op, &input, 1_700_000_002_000).expect("runs");
            let fast: Value = serde_json::from_str(&response.to_json_text()).expect("JSON");
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
}
