//! The conformance vectors (`tests/vectors/*.json`, format in its README), built into the
//! kit, and their runner: any target that can answer "run op X with input Y at time Z".

use serde_json::{Map, Value};
use std::collections::HashMap;
use std::future::Future;

/// Every vector file, by name: built in from `tests/vectors/`, so a store's own tests need
/// no path to the repository.
pub const VECTORS: &[(&str, &str)] = &[
    (
        "activity.json",
        include_str!("../../../tests/vectors/activity.json"),
    ),
    (
        "create.json",
        include_str!("../../../tests/vectors/create.json"),
    ),
    (
        "expiry.json",
        include_str!("../../../tests/vectors/expiry.json"),
    ),
    ("get.json", include_str!("../../../tests/vectors/get.json")),
    (
        "kill.json",
        include_str!("../../../tests/vectors/kill.json"),
    ),
    (
        "limits.json",
        include_str!("../../../tests/vectors/limits.json"),
    ),
    (
        "listings.json",
        include_str!("../../../tests/vectors/listings.json"),
    ),
    (
        "regenerate.json",
        include_str!("../../../tests/vectors/regenerate.json"),
    ),
    ("set.json", include_str!("../../../tests/vectors/set.json")),
    (
        "sweep.json",
        include_str!("../../../tests/vectors/sweep.json"),
    ),
    (
        "touch_setttl.json",
        include_str!("../../../tests/vectors/touch_setttl.json"),
    ),
    (
        "validation.json",
        include_str!("../../../tests/vectors/validation.json"),
    ),
];

/// What a target answered to one step.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The JSON result, or the error's `(name, message)`.
    pub result: Result<Value, (String, String)>,
    /// The events the step emitted, as JSON objects; `None` for a target that cannot observe
    /// events (HTTP has none), whose runs then skip the `events` checks.
    pub events: Option<Vec<Value>>,
}

/// A system under test that answers at once.
pub trait Target {
    /// Starts a case: afterwards the target must behave as an empty store with automatic
    /// sweeping off.
    fn reset(&mut self);
    /// Runs one operation at `now` (milliseconds).
    fn call(&mut self, op: &str, input: &Value, now: u64) -> Outcome;
}

/// A system under test that answers asynchronously (a store across a network).
pub trait AsyncTarget {
    /// As [`Target::reset`].
    fn reset(&mut self) -> impl Future<Output = ()>;
    /// As [`Target::call`].
    fn call(&mut self, op: &str, input: &Value, now: u64) -> impl Future<Output = Outcome>;
}

/// A [`Target`] as an [`AsyncTarget`] whose futures are ready at once.
pub(crate) struct Ready<'a, T: ?Sized>(pub(crate) &'a mut T);

impl<T: Target + ?Sized> AsyncTarget for Ready<'_, T> {
    async fn reset(&mut self) {
        self.0.reset();
    }

    async fn call(&mut self, op: &str, input: &Value, now: u64) -> Outcome {
        self.0.call(op, input, now)
    }
}

/// Runs a future that never waits (every future of a [`Ready`] target), on this thread.
pub(crate) fn ready<F: Future>(f: F) -> F::Output {
    let mut f = std::pin::pin!(f);
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    loop {
        // A ready target's futures complete on their first poll; nothing here ever waits.
        if let std::task::Poll::Ready(v) = f.as_mut().poll(&mut cx) {
            return v;
        }
    }
}

/// The result of a run.
#[derive(Debug, Default)]
pub struct Report {
    /// Cases run.
    pub cases: usize,
    /// Steps run.
    pub steps: usize,
    /// One line per failed case.
    pub failures: Vec<String>,
}

impl Report {
    /// Panics unless more than 100 cases ran and none failed, listing every failure.
    pub fn assert_passed(&self) {
        assert!(self.cases > 100, "too few cases ran: {}", self.cases);
        assert!(
            self.failures.is_empty(),
            "{} of {} cases failed:\n{}",
            self.failures.len(),
            self.cases,
            self.failures.join("\n")
        );
    }

    /// Adds another run's counts and failures.
    pub fn merge(&mut self, other: Report) {
        self.cases += other.cases;
        self.steps += other.steps;
        self.failures.extend(other.failures);
    }
}

/// Runs every built-in vector against `target`.
pub fn run(target: &mut (impl Target + ?Sized)) -> Report {
    let files: Vec<(String, String)> = VECTORS
        .iter()
        .map(|(n, t)| ((*n).to_owned(), (*t).to_owned()))
        .collect();
    run_files(&files, target)
}

/// Runs the vector files `(name, text)` against `target`.
pub fn run_files(files: &[(String, String)], target: &mut (impl Target + ?Sized)) -> Report {
    ready(run_files_async(files, &mut Ready(target)))
}

/// Runs every built-in vector against an asynchronous `target`.
pub async fn run_async(target: &mut impl AsyncTarget) -> Report {
    let files: Vec<(String, String)> = VECTORS
        .iter()
        .map(|(n, t)| ((*n).to_owned(), (*t).to_owned()))
        .collect();
    run_files_async(&files, target).await
}

async fn run_files_async(files: &[(String, String)], target: &mut impl AsyncTarget) -> Report {
    let mut report = Report::default();
    for (name, text) in files {
        let doc: Value = match serde_json::from_str(text) {
            Ok(doc) => doc,
            Err(e) => {
                report.failures.push(format!("{name}: unreadable: {e}"));
                continue;
            }
        };
        for case in doc["cases"].as_array().into_iter().flatten() {
            report.cases += 1;
            let case_name = case["name"].as_str().unwrap_or("?");
            if let Err(e) = run_case(case, target, &mut report.steps).await {
                report.failures.push(format!("{name} / {case_name}: {e}"));
            }
        }
    }
    report
}

async fn run_case(
    case: &Value,
    target: &mut impl AsyncTarget,
    steps: &mut usize,
) -> Result<(), String> {
    target.reset().await;
    let mut vars: HashMap<String, Value> = HashMap::new();
    let mut now = 0;
    for (i, step) in case["steps"].as_array().into_iter().flatten().enumerate() {
        *steps += 1;
        if let Some(n) = step["now"].as_u64() {
            now = n;
        }
        let op = step["op"].as_str().ok_or(format!("step {i}: no op"))?;
        let input = substitute(&step["in"], &vars);
        let outcome = target.call(op, &input, now).await;
        let at = |msg: String| format!("step {i} ({op} {}): {msg}", step["in"]);
        match (&outcome.result, step.get("err")) {
            (Ok(got), None) => {
                if let Some(want) = step.get("out") {
                    let unordered = step["unordered"].as_bool().unwrap_or(false);
                    if !matches(want, got, &vars, unordered) {
                        return Err(at(format!("expected {want}, got {got}")));
                    }
                }
                if let Some(var) = step["save"].as_str() {
                    vars.insert(var.to_owned(), got["token"].clone());
                }
                if let Some(var) = step["save_cursor"].as_str() {
                    vars.insert(var.to_owned(), got["cursor"].clone());
                }
            }
            (Ok(got), Some(err)) => return Err(at(format!("expected error {err}, got {got}"))),
            (Err((name, message)), None) => {
                return Err(at(format!("unexpected error {name}: {message}")));
            }
            (Err((name, message)), Some(err)) => {
                let got = serde_json::json!({"name": name, "message": message});
                let mut want = err.clone();
                if let (None, Some(o)) = (err.get("message"), want.as_object_mut()) {
                    o.insert("message".into(), Value::String(message.clone()));
                }
                if want != got {
                    return Err(at(format!("expected error {err}, got {got}")));
                }
            }
        }
        if let (Some(want), Some(events)) = (step.get("events"), &outcome.events) {
            let got = Value::Array(events.clone());
            if !matches(want, &got, &vars, false) {
                return Err(at(format!("expected events {want}, got {got}")));
            }
        }
    }
    Ok(())
}

/// Replaces `"$name"` strings with saved variables.
fn substitute(v: &Value, vars: &HashMap<String, Value>) -> Value {
    match v {
        Value::String(s) => s
            .strip_prefix('$')
            .and_then(|name| vars.get(name))
            .cloned()
            .unwrap_or_else(|| v.clone()),
        Value::Array(a) => Value::Array(a.iter().map(|x| substitute(x, vars)).collect()),
        Value::Object(o) => Value::Object(
            o.iter()
                .map(|(k, x)| (k.clone(), substitute(x, vars)))
                .collect::<Map<_, _>>(),
        ),
        other => other.clone(),
    }
}

fn is_token(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_alphanumeric())
}

fn is_handle(s: &str) -> bool {
    s.len() == 22
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// Deep equality with the matchers of the vectors' README (`"$token"`, `"$handle"`, saved
/// variables; `unordered` arrays).
pub fn matches(want: &Value, got: &Value, vars: &HashMap<String, Value>, unordered: bool) -> bool {
    match (want, got) {
        (Value::String(w), _) if w.starts_with('$') => match &w[1..] {
            "token" => got.as_str().is_some_and(is_token),
            "handle" => got.as_str().is_some_and(is_handle),
            "cursor" => got.as_str().is_some_and(|s| {
                !s.is_empty()
                    && s.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
            }),
            name => vars.get(name).is_some_and(|v| v == got),
        },
        (Value::Number(a), Value::Number(b)) => a.as_f64() == b.as_f64(),
        (Value::Array(a), Value::Array(b)) => {
            if a.len() != b.len() {
                return false;
            }
            if !unordered {
                return a.iter().zip(b).all(|(x, y)| matches(x, y, vars, unordered));
            }
            let mut used = vec![false; b.len()];
            a.iter().all(|x| {
                let found = b
                    .iter()
                    .enumerate()
                    .find(|(j, y)| !used[*j] && matches(x, y, vars, unordered));
                found.map(|(j, _)| used[j] = true).is_some()
            })
        }
        (Value::Object(a), Value::Object(b)) => {
            a.len() == b.len()
                && a.iter()
                    .all(|(k, x)| b.get(k).is_some_and(|y| matches(x, y, vars, unordered)))
        }
        _ => want == got,
    }
}

/// One step of the vectors that must fail: the operation, its input, and the error's name.
#[derive(Debug, Clone)]
pub struct ErrorStep {
    /// The operation (a JS method name).
    pub op: String,
    /// The input, as the vector gives it (`"$var"` strings unbound: see [`bind`]).
    pub input: Value,
    /// The expected error's name.
    pub name: String,
}

/// Every step of every vector that expects an error, in file order.
pub fn error_steps() -> Vec<ErrorStep> {
    let mut out = Vec::new();
    for (_, text) in VECTORS {
        let Ok(doc) = serde_json::from_str::<Value>(text) else {
            continue;
        };
        for case in doc["cases"].as_array().into_iter().flatten() {
            for step in case["steps"].as_array().into_iter().flatten() {
                if let (Some(op), Some(name)) = (step["op"].as_str(), step["err"]["name"].as_str())
                {
                    out.push(ErrorStep {
                        op: op.to_owned(),
                        input: step["in"].clone(),
                        name: name.to_owned(),
                    });
                }
            }
        }
    }
    out
}

/// Replaces every `"$var"` string in `v` with `token`, so that bad input meets a live session.
pub fn bind(v: &Value, token: &str) -> Value {
    match v {
        Value::String(s) if s.starts_with('$') => Value::String(token.to_owned()),
        Value::Array(a) => Value::Array(a.iter().map(|x| bind(x, token)).collect()),
        Value::Object(o) => {
            Value::Object(o.iter().map(|(k, x)| (k.clone(), bind(x, token))).collect())
        }
        other => other.clone(),
    }
}
