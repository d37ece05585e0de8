//! Test support shared by every Rust target (the core with `MemoryStore`, the Redis store,
//! the REST server): the conformance-vector runner, and real `redis-server` processes
//! ([`redis_server`]). It knows JSON only, not session-core, so any target that can answer
//! "run op X with input Y at time Z" can be checked. The format is specified in
//! `tests/vectors/README.md`.

pub mod redis_server;

use serde_json::{Map, Value};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// What a target answered to one step.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The JSON result, or the error's `(name, message)`.
    pub result: Result<Value, (String, String)>,
    /// The events the step emitted, as JSON objects; `None` for a target that cannot observe
    /// events (HTTP has none), whose runs then skip the `events` checks.
    pub events: Option<Vec<Value>>,
}

/// A system under test.
pub trait Target {
    /// Starts a case: afterwards the target must behave as an empty store with automatic
    /// sweeping off.
    fn reset(&mut self);
    /// Runs one operation at `now` (milliseconds).
    fn call(&mut self, op: &str, input: &Value, now: u64) -> Outcome;
}

/// The folder of the vectors, from any crate of the workspace.
pub fn vectors_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../vectors")
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
        assert!(self.cases > 100, "too few cases found: {}", self.cases);
        assert!(
            self.failures.is_empty(),
            "{} of {} cases failed:\n{}",
            self.failures.len(),
            self.cases,
            self.failures.join("\n")
        );
    }
}

/// The `*.json` files in `dir`, in name order (none if `dir` cannot be read).
fn vector_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| rd.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    files.retain(|p| p.extension().is_some_and(|e| e == "json"));
    files.sort();
    files
}

/// Runs every `*.json` file in `dir` against `target`.
pub fn run_dir(dir: &Path, target: &mut dyn Target) -> Report {
    let mut report = Report::default();
    for file in vector_files(dir) {
        let name = file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let parsed: Result<Value, String> = std::fs::read_to_string(&file)
            .map_err(|e| e.to_string())
            .and_then(|t| serde_json::from_str(&t).map_err(|e| e.to_string()));
        let doc = match parsed {
            Ok(doc) => doc,
            Err(e) => {
                report.failures.push(format!("{name}: unreadable: {e}"));
                continue;
            }
        };
        for case in doc["cases"].as_array().into_iter().flatten() {
            report.cases += 1;
            let case_name = case["name"].as_str().unwrap_or("?");
            if let Err(e) = run_case(case, target, &mut report.steps) {
                report.failures.push(format!("{name} / {case_name}: {e}"));
            }
        }
    }
    report
}

fn run_case(case: &Value, target: &mut dyn Target, steps: &mut usize) -> Result<(), String> {
    target.reset();
    let mut vars: HashMap<String, Value> = HashMap::new();
    let mut now = 0;
    for (i, step) in case["steps"].as_array().into_iter().flatten().enumerate() {
        *steps += 1;
        if let Some(n) = step["now"].as_u64() {
            now = n;
        }
        let op = step["op"].as_str().ok_or(format!("step {i}: no op"))?;
        let input = substitute(&step["in"], &vars);
        let outcome = target.call(op, &input, now);
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

/// Deep equality with the matchers of the README.
pub fn matches(want: &Value, got: &Value, vars: &HashMap<String, Value>, unordered: bool) -> bool {
    match (want, got) {
        (Value::String(w), _) if w.starts_with('$') => match &w[1..] {
            "token" => got.as_str().is_some_and(is_token),
            "handle" => got.as_str().is_some_and(is_handle),
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

/// Every step of every vector file that expects an error, in file order.
pub fn error_steps() -> Vec<ErrorStep> {
    let mut out = Vec::new();
    for file in vector_files(&vectors_dir()) {
        let Some(doc) = std::fs::read_to_string(&file)
            .ok()
            .and_then(|t| serde_json::from_str::<Value>(&t).ok())
        else {
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
