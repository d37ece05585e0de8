//! The store protocol as JSON: how batches reach a store written in JavaScript (or any
//! language), and how its replies come back. Node and wasm bindings both use this, so a JS
//! store works with either.
//!
//! A batch is an array of commands; keys are rendered strings ([`Key::render`]); record values
//! are base64 strings (standard alphabet, padded), so a store only ever holds text. Scores are
//! integers (milliseconds); `max` values above 2^53 − 1 are sent as 9007199254740991 (JS
//! numbers are exact only up to there).
//!
//! | command | JSON | reply |
//! |---|---|---|
//! | Get | `{"op":"get","key","cached"}` | `null` or `{"value","version"}` |
//! | Put | `{"op":"put","key","value","ttlMs","expect"}` | anything (ignored) |
//! | Delete | `{"op":"delete","key","expect"}` | `true` if it existed |
//! | ZAdd | `{"op":"zadd","key","member","score"}` | anything (ignored) |
//! | ZRem | `{"op":"zrem","key","member"}` | `true` if it was there |
//! | ZRange | `{"op":"zrange","key","min","max","limit","rev"}` | `[[member, score], …]` |
//! | ZCount | `{"op":"zcount","key","min","max"}` | a number |
//! | ZRemIfEmpty | `{"op":"zremIfEmpty","key","member","watched"}` | `true` if removed |
//!
//! `expect` is `"any"`, `"absent"`, or a version number. `limit` is a number or `null`.
//! `cached` is `true` when the read may come from a version-coherent cache (see
//! [`Command::Get`]); a store without one ignores it. Members are text: a handle's 22
//! characters, a user id, an app name.
//!
//! ```
//! use session_core::store::{Command, Reply};
//! use session_core::{wire, App, Key};
//! let cmd = Command::ZCount { key: Key::Users(App::new("shop").unwrap().into()), min: 5, max: u64::MAX };
//! assert_eq!(
//!     wire::command_to_json(&cmd, "rs"),
//!     serde_json::json!({"op": "zcount", "key": "rs:{shop}:_users", "min": 5, "max": 9007199254740991u64})
//! );
//! assert_eq!(wire::reply_from_json(&cmd, &serde_json::json!(3)).unwrap(), Reply::Count(3));
//! ```

use crate::error::Error;
use crate::keys::Key;
use crate::store::{Command, Expect, Member, Reply, Stored};
use base64::Engine as _;
use serde_json::{Value, json};

/// The largest integer a JS number holds exactly.
const MAX_SAFE: u64 = (1 << 53) - 1;

fn score(s: u64) -> Value {
    json!(s.min(MAX_SAFE))
}

fn expect(e: Expect) -> Value {
    match e {
        Expect::Any => json!("any"),
        Expect::Absent => json!("absent"),
        Expect::Version(v) => json!(v),
    }
}

/// One command as JSON, with keys rendered under `namespace`.
pub fn command_to_json(cmd: &Command, namespace: &str) -> Value {
    let key = |k: &Key| Value::String(k.render(namespace));
    match cmd {
        Command::Get { key: k, cached } => json!({"op": "get", "key": key(k), "cached": cached}),
        Command::Put {
            key: k,
            value,
            ttl_ms,
            expect: e,
        } => json!({
            "op": "put",
            "key": key(k),
            "value": base64::engine::general_purpose::STANDARD.encode(value),
            "ttlMs": score(*ttl_ms),
            "expect": expect(*e),
        }),
        Command::Delete { key: k, expect: e } => {
            json!({"op": "delete", "key": key(k), "expect": expect(*e)})
        }
        Command::ZAdd {
            key: k,
            member,
            score: s,
        } => json!({"op": "zadd", "key": key(k), "member": member.as_text(), "score": score(*s)}),
        Command::ZRem { key: k, member } => {
            json!({"op": "zrem", "key": key(k), "member": member.as_text()})
        }
        Command::ZRange {
            key: k,
            min,
            max,
            limit,
            rev,
        } => json!({
            "op": "zrange", "key": key(k), "min": score(*min), "max": score(*max),
            "limit": limit, "rev": rev,
        }),
        Command::ZCount { key: k, min, max } => {
            json!({"op": "zcount", "key": key(k), "min": score(*min), "max": score(*max)})
        }
        Command::ZRemIfEmpty {
            key: k,
            member,
            watched,
        } => json!({
            "op": "zremIfEmpty", "key": key(k), "member": member.as_text(), "watched": key(watched),
        }),
    }
}

/// A whole batch as a JSON array.
pub fn batch_to_json(batch: &[Command], namespace: &str) -> Value {
    Value::Array(
        batch
            .iter()
            .map(|c| command_to_json(c, namespace))
            .collect(),
    )
}

fn bad(cmd: &Command, got: &Value) -> Error {
    let op = command_to_json(cmd, "")["op"]
        .as_str()
        .unwrap_or("?")
        .to_owned();
    Error::store(format!(
        "the store's reply to {op} was not understood: {got}"
    ))
}

/// Reads a store's JSON reply to `cmd`.
pub fn reply_from_json(cmd: &Command, v: &Value) -> Result<Reply, Error> {
    Ok(match cmd {
        Command::Get { .. } => match v {
            Value::Null => Reply::Record(None),
            Value::Object(o) => {
                let value = o
                    .get("value")
                    .and_then(Value::as_str)
                    .and_then(|s| base64::engine::general_purpose::STANDARD.decode(s).ok())
                    .ok_or_else(|| bad(cmd, v))?;
                let version = o
                    .get("version")
                    .and_then(Value::as_u64)
                    .ok_or_else(|| bad(cmd, v))?;
                Reply::Record(Some(Stored { value, version }))
            }
            _ => return Err(bad(cmd, v)),
        },
        Command::Put { .. } | Command::ZAdd { .. } => Reply::Done,
        Command::Delete { .. } | Command::ZRem { .. } | Command::ZRemIfEmpty { .. } => {
            Reply::Removed(v.as_bool().ok_or_else(|| bad(cmd, v))?)
        }
        Command::ZRange { key, .. } => {
            let items = v.as_array().ok_or_else(|| bad(cmd, v))?;
            let kind = key.member_kind().ok_or_else(|| bad(cmd, v))?;
            let mut out = Vec::with_capacity(items.len());
            for item in items {
                let member = item[0].as_str().and_then(|m| Member::from_text(kind, m));
                match (member, item[1].as_u64()) {
                    (Some(m), Some(s)) => out.push((m, s)),
                    _ => return Err(bad(cmd, v)),
                }
            }
            Reply::Members(out)
        }
        Command::ZCount { .. } => Reply::Count(v.as_u64().ok_or_else(|| bad(cmd, v))?),
    })
}

/// Reads a store's replies to a whole batch (one per command, in order).
pub fn replies_from_json(batch: &[Command], v: &Value) -> Result<Vec<Reply>, Error> {
    let items = v
        .as_array()
        .filter(|a| a.len() == batch.len())
        .ok_or_else(|| {
            Error::store(format!(
                "the store must reply with an array of {} replies",
                batch.len()
            ))
        })?;
    batch
        .iter()
        .zip(items)
        .map(|(c, r)| reply_from_json(c, r))
        .collect()
}

/// A whole operation driven in JSON: the machine a JS driver loops over when the store is
/// written in JavaScript. Each step answers one of
///
/// - `{"batch": [...commands]}`: apply it and call [`WireOp::resume`] with the replies array,
///   or with `{"conflict": true}` when an expectation failed;
/// - `{"done": result, "events": [...]}`: the operation is over;
/// - `{"error": {"name", "message", "field"?}, "events": [...]}`: it failed (`field` names the
///   input at fault, when there is one).
///
/// ```
/// use session_core::wire::WireOp;
/// use session_core::store::SyncStore;
/// use session_core::MemoryStore;
/// use serde_json::json;
///
/// let store = MemoryStore::new();
/// let mut op = WireOp::new("create", &json!({"app": "shop", "id": "u1", "ip": "::1"}), 1_000, "rs");
/// let mut step = op.start();
/// while let Some(batch) = op.pending() {
///     // A real JS store would apply the step's "batch"; here MemoryStore applies the same batch.
///     let replies = store.apply(batch).unwrap();
///     step = op.resume_replies(Ok(replies));
/// }
/// let step: serde_json::Value = serde_json::from_str(&step).unwrap();
/// assert_eq!(step["done"]["token"].as_str().unwrap().len(), 64);
/// assert_eq!(step["events"][0]["type"], "created");
///
/// let mut bad = WireOp::new("get", &json!({"app": "shop"}), 1_000, "rs");
/// let step: serde_json::Value = serde_json::from_str(&bad.start()).unwrap();
/// assert_eq!(step["error"], json!({"name": "missingParameter", "message": "No token supplied", "field": "token"}));
/// ```
#[derive(Debug)]
pub struct WireOp {
    op: Option<crate::dispatch::AnyOp>,
    namespace: String,
    pending: Option<Vec<Command>>,
    failed: Option<Error>,
}

impl WireOp {
    /// Parses operation `op` with its option object, at `now`, for keys under `namespace`.
    /// Bad input is reported by the first step, before any store work.
    pub fn new(op: &str, input: &Value, now: u64, namespace: &str) -> Self {
        // Stores written in JavaScript hold an app in one shard.
        let parsed = crate::input::Request::op_from_input(op, input, now, crate::Shards::ONE);
        let (op, failed) = match parsed {
            Ok(op) => (Some(op), None),
            Err(e) => (None, Some(e)),
        };
        Self {
            op,
            namespace: namespace.to_owned(),
            pending: None,
            failed,
        }
    }

    /// The one session this operation updates, if any (see
    /// [`Machine::lock_key`](crate::machine::Machine::lock_key)).
    pub fn lock_key(&self) -> Option<crate::token::Handle> {
        use crate::machine::Machine;
        self.op.as_ref().and_then(Machine::lock_key)
    }

    /// Makes the operation fail with `error` at its first step, before any store work (a
    /// host uses this for options it could not even read).
    pub fn reject(&mut self, error: Error) {
        self.op = None;
        self.failed = Some(error);
    }

    /// The first step.
    pub fn start(&mut self) -> String {
        use crate::machine::Machine;
        match (&mut self.op, self.failed.take()) {
            (Some(op), None) => {
                let step = op.start();
                self.answer(step)
            }
            (_, failed) => self.finish(Err(failed.unwrap_or_else(|| Error::store("no operation")))),
        }
    }

    /// The batch the last step asked for, for hosts that apply it natively (taken).
    pub fn pending(&mut self) -> Option<Vec<Command>> {
        self.pending.take()
    }

    /// The next step, given the JS store's JSON reply to the last batch.
    pub fn resume(&mut self, replies: &Value) -> String {
        let Some(batch) = self.pending.take() else {
            return self.finish(Err(Error::store("resume was called with no batch pending")));
        };
        if replies.get("conflict").and_then(Value::as_bool) == Some(true) {
            return self.resume_replies(Err(crate::machine::Conflict));
        }
        match replies_from_json(&batch, replies) {
            Ok(r) => self.resume_replies(Ok(r)),
            Err(e) => self.finish(Err(e)),
        }
    }

    /// The next step, given replies already decoded (or a conflict).
    pub fn resume_replies(
        &mut self,
        outcome: Result<Vec<Reply>, crate::machine::Conflict>,
    ) -> String {
        use crate::machine::Machine;
        self.pending = None;
        match &mut self.op {
            Some(op) => {
                let step = op.resume(outcome);
                self.answer(step)
            }
            None => self.finish(Err(Error::store("the operation is over"))),
        }
    }

    /// Ends the operation with a store failure (the JS store threw).
    pub fn fail(&mut self, message: &str) -> String {
        self.pending = None;
        self.finish(Err(Error::store(message)))
    }

    fn answer(&mut self, step: crate::machine::Step<crate::dispatch::Response>) -> String {
        match step {
            crate::machine::Step::Run(batch) => {
                let json = json!({"batch": batch_to_json(&batch, &self.namespace)});
                self.pending = Some(batch);
                json.to_string()
            }
            crate::machine::Step::Done(result) => self.finish(result),
        }
    }

    /// The final answer, written by [`crate::host::answer`]: results keep redis-sessions' key
    /// order, as the embedded store's answers do.
    fn finish(&mut self, result: Result<crate::dispatch::Response, Error>) -> String {
        use crate::machine::Machine;
        let events = self
            .op
            .as_mut()
            .map(|op| op.take_events())
            .unwrap_or_default();
        self.op = None;
        crate::host::answer(result.as_ref(), &events)
    }
}
