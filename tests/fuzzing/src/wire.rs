//! `wire`: the store protocol in JSON (`session_core::wire`), as a store written in
//! JavaScript sees it.
//!
//! A `WireOp` is driven step by step. Each batch goes either to a JSON store (a model of a JS
//! store, written from the protocol's documentation) whose replies may be passed on, mangled,
//! replaced by arbitrary JSON, or turned into a conflict or a failure; or, natively, to a
//! memory store whose `Reply` values may be passed on, swapped for replies of the wrong kind
//! or count, or a conflict. `replies_from_json` must read back what a correct store writes.
//!
//! Every step must be one of the documented shapes, errors typed, the operation must end
//! within a bounded number of steps, and an operation whose replies were all real must end
//! with its result.

use crate::draw;
use arbitrary::{Arbitrary, Result, Unstructured};
use serde_json::{Value, json};
use session_core::MemoryStore;
use session_core::store::{Reply, SyncStore};
use session_core::wire::{self, WireOp};
use std::collections::BTreeMap;

const NOW: u64 = 1_700_000_000_000;
const MAX_SAFE: u64 = (1 << 53) - 1;
/// More steps than any operation takes with the core's bounded retries.
const MAX_STEPS: usize = 400;

/// The target.
pub fn run(data: &[u8]) {
    let _ = body(&mut Unstructured::new(data));
}

fn body(u: &mut Unstructured<'_>) -> Result<()> {
    let now = NOW + u.int_in_range(0..=10_000_000)?;
    if bool::arbitrary(u)? {
        let store = MemoryStore::new();
        let token = seed(|op| run_native(&store, op));
        let (op, input) = operation(u, &token)?;
        drive_native(u, &store, op, &input, now)
    } else {
        // Seeded once per process (through the protocol), then copied: seeding is most of
        // the work of a short input.
        static SEEDED: std::sync::OnceLock<(JsonStore, String)> = std::sync::OnceLock::new();
        let (template, token) = SEEDED.get_or_init(|| {
            let mut store = JsonStore::default();
            let token = seed(|op| run_json(&mut store, op));
            (store, token)
        });
        let mut store = template.clone();
        let (op, input) = operation(u, token)?;
        drive_json(u, &mut store, op, &input, now)
    }
}

/// Creates the sessions to find: three of user `u1` (one soon expired), one of `u2`; returns
/// the first one's token.
fn seed(mut run: impl FnMut(WireOp) -> Value) -> String {
    let mut first = None;
    for (id, ttl) in [("u1", 600), ("u2", 600), ("u1", 10), ("u1", 7200)] {
        let input = json!({"app": "shop", "id": id, "ip": "::1", "ttl": ttl, "d": {"a": 1}});
        let done = run(WireOp::new("create", &input, NOW - 20_000, "rs"));
        let token = done["done"]["token"].as_str().expect("created").to_owned();
        first.get_or_insert(token);
    }
    first.expect("a token")
}

/// A step of a `WireOp`, as JSON.
fn parsed(text: String) -> Value {
    serde_json::from_str(&text).expect("answers are JSON")
}

/// Runs an operation to its end on a memory store, natively.
fn run_native(store: &MemoryStore, mut op: WireOp) -> Value {
    let mut step = op.start();
    while let Some(batch) = op.pending() {
        let outcome = store
            .apply(batch)
            .map_err(|_| session_core::machine::Conflict);
        step = op.resume_replies(outcome);
    }
    serde_json::from_str(&step).expect("answers are JSON")
}

/// Runs an operation to its end on a JSON store.
fn run_json(store: &mut JsonStore, mut op: WireOp) -> Value {
    let mut step: Value = serde_json::from_str(&op.start()).expect("answers are JSON");
    while let Some(batch) = step.get("batch").and_then(Value::as_array).cloned() {
        step = serde_json::from_str(&op.resume(&store.apply(&batch))).expect("answers are JSON");
    }
    step
}

/// An operation with input that is mostly valid (the session `token` of user `u1` in `shop`).
fn operation(u: &mut Unstructured<'_>, token: &str) -> Result<(&'static str, Value)> {
    let op = *u.choose(session_core::input::OPERATIONS)?;
    if draw::rare(u, 8)? {
        return Ok((op, Value::Object(draw::object(u, 1)?)));
    }
    let input = match op {
        "create" => {
            let mut v =
                json!({"app": "shop", "id": "u1", "ip": "::1", "ttl": u.int_in_range(10..=1000)?});
            if bool::arbitrary(u)? {
                v["d"] = json!({"a": 1, "b": "x"});
            }
            if bool::arbitrary(u)? {
                v["no_resave"] = json!(true);
            }
            v
        }
        "set" => json!({"app": "shop", "token": token, "d": {"a": null, "c": true}}),
        "setTtl" => json!({"app": "shop", "token": token, "ttl": 100}),
        "activity" | "soapp" => json!({"app": "shop", "dt": u.int_in_range(10..=100_000)?}),
        "soid" | "killsoid" => json!({"app": "shop", "id": "u1"}),
        "killall" => json!({"app": "shop"}),
        "sweep" => json!({"limit": u.int_in_range(1..=5)?}),
        "kill" if bool::arbitrary(u)? => {
            json!({"app": "shop", "handle": session_core::Handle::of_token(token).map(|h| h.text().as_str().to_owned()).unwrap_or_default()})
        }
        _ => json!({"app": "shop", "token": token}),
    };
    Ok((op, input))
}

/// Checks a step's shape; returns whether the operation is over.
fn check_step(step: &Value) -> bool {
    let Value::Object(o) = step else {
        panic!("a step is not an object: {step}")
    };
    if let Some(batch) = o.get("batch") {
        assert_eq!(o.len(), 1, "{step}");
        let batch = batch.as_array().expect("a batch is an array");
        assert!(!batch.is_empty(), "an empty batch: {step}");
        for cmd in batch {
            check_command(cmd);
        }
        return false;
    }
    assert!(o["events"].is_array(), "{step}");
    assert_eq!(o.len(), 2, "{step}");
    if let Some(e) = o.get("error") {
        let name = e["name"].as_str().expect("an error name");
        assert!(crate::ERROR_NAMES.contains(&name), "{e}");
        assert!(e["message"].as_str().is_some_and(|m| !m.is_empty()), "{e}");
    } else {
        assert!(o.contains_key("done"), "{step}");
    }
    true
}

fn check_command(cmd: &Value) {
    let key = cmd["key"].as_str().expect("a key");
    assert!(key.starts_with("rs:"), "{cmd}");
    let score = |f: &str| {
        let n = cmd[f].as_u64().unwrap_or_else(|| panic!("{f} in {cmd}"));
        assert!(n <= MAX_SAFE, "{f} beyond 2^53 in {cmd}");
    };
    let expect = || {
        let e = &cmd["expect"];
        assert!(e == "any" || e == "absent" || e.is_u64(), "{cmd}");
    };
    match cmd["op"].as_str().expect("an op") {
        "get" => assert!(cmd["cached"].is_boolean(), "{cmd}"),
        "put" => {
            let v = cmd["value"].as_str().expect("a value");
            assert!(v.len().is_multiple_of(4), "not padded base64: {cmd}");
            score("ttlMs");
            expect();
        }
        "delete" => expect(),
        "zadd" => {
            assert!(cmd["member"].is_string(), "{cmd}");
            score("score");
        }
        "zrem" => assert!(cmd["member"].is_string(), "{cmd}"),
        "zrange" => {
            score("min");
            score("max");
            assert!(cmd["limit"].is_null() || cmd["limit"].is_u64(), "{cmd}");
            assert!(cmd["rev"].is_boolean(), "{cmd}");
        }
        "zcount" => {
            score("min");
            score("max");
        }
        "zremIfEmpty" => {
            assert!(cmd["member"].is_string(), "{cmd}");
            assert!(
                cmd["watched"]
                    .as_str()
                    .is_some_and(|w| w.starts_with("rs:")),
                "{cmd}"
            );
        }
        other => panic!("unknown op {other:?}"),
    }
}

fn drive_json(
    u: &mut Unstructured<'_>,
    store: &mut JsonStore,
    op: &str,
    input: &Value,
    now: u64,
) -> Result<()> {
    let mut wire_op = WireOp::new(op, input, now, "rs");
    if std::env::var_os("FUZZ_DEBUG").is_some() {
        eprintln!("{op} {input} at {now}");
    }
    let mut step = parsed(wire_op.start());
    let mut all_real = true;
    let mut steps = 0;
    while !check_step(&step) {
        steps += 1;
        assert!(
            steps < MAX_STEPS,
            "{op} did not end after {MAX_STEPS} steps"
        );
        let batch = step["batch"].as_array().expect("a batch").clone();
        let choice = if u.is_empty() {
            0
        } else {
            u.int_in_range(0..=9u8)?
        };
        step = match choice {
            0..=5 => {
                let replies = store.apply(&batch);
                parsed(wire_op.resume(&replies))
            }
            6 => {
                all_real = false;
                parsed(wire_op.resume(&json!({"conflict": true})))
            }
            7 => {
                all_real = false;
                let mut replies = store.apply(&batch);
                if let Some(items) = replies.as_array_mut() {
                    if items.is_empty() || bool::arbitrary(u)? {
                        items.push(draw::value(u, 2)?);
                    } else {
                        let at = u.choose_index(items.len())?;
                        items[at] = draw::value(u, 2)?;
                    }
                }
                parsed(wire_op.resume(&replies))
            }
            8 => {
                all_real = false;
                parsed(wire_op.resume(&draw::value(u, 3)?))
            }
            _ => {
                all_real = false;
                let step = parsed(wire_op.fail(&draw::text(u)?));
                assert_eq!(step["error"]["name"], "storeError", "{step}");
                step
            }
        };
    }
    if all_real && input_ok(op, input) {
        assert!(
            step.get("done").is_some(),
            "{op} {input} failed on a correct store: {step}"
        );
    }
    // Over: nothing more to resume.
    let after = parsed(wire_op.resume(&json!([])));
    assert_eq!(after["error"]["name"], "storeError", "{after}");
    Ok(())
}

/// Whether the input parses (an operation with bad input ends at its first step).
fn input_ok(op: &str, input: &Value) -> bool {
    session_core::Request::parse(op, input).is_ok()
}

fn drive_native(
    u: &mut Unstructured<'_>,
    store: &MemoryStore,
    op: &str,
    input: &Value,
    now: u64,
) -> Result<()> {
    let mut wire_op = WireOp::new(op, input, now, "rs");
    if std::env::var_os("FUZZ_DEBUG").is_some() {
        eprintln!("{op} {input} at {now}");
    }
    let mut step = parsed(wire_op.start());
    let mut all_real = true;
    let mut steps = 0;
    while !check_step(&step) {
        steps += 1;
        assert!(
            steps < MAX_STEPS,
            "{op} did not end after {MAX_STEPS} steps"
        );
        let batch = wire_op.pending().expect("a pending batch");
        assert_eq!(wire::batch_to_json(&batch, "rs"), step["batch"]);
        let choice = if u.is_empty() {
            0
        } else {
            u.int_in_range(0..=9u8)?
        };
        let outcome = match store.apply(batch.clone()) {
            Ok(replies) => {
                // What a correct store writes reads back as the same replies.
                let json = Value::Array(replies.iter().map(reply_to_json).collect());
                assert_eq!(
                    wire::replies_from_json(&batch, &json).as_ref(),
                    Ok(&replies),
                    "replies do not round-trip through JSON"
                );
                let arbitrary = draw::value(u, 3)?;
                match wire::replies_from_json(&batch, &arbitrary) {
                    Ok(r) => assert_eq!(r.len(), batch.len()),
                    Err(e) => assert_eq!(e.name(), "storeError", "{e:?}"),
                }
                Ok(replies)
            }
            Err(session_core::store::ApplyError::Conflict) => Err(session_core::machine::Conflict),
            Err(e) => panic!("the memory store failed: {e}"),
        };
        let outcome = match (choice, outcome) {
            (0..=5, outcome) => outcome,
            (6, _) => {
                all_real = false;
                Err(session_core::machine::Conflict)
            }
            (_, Ok(mut replies)) => {
                all_real = false;
                if replies.is_empty() || bool::arbitrary(u)? {
                    if bool::arbitrary(u)? {
                        replies.pop();
                    } else {
                        replies.push(any_reply(u)?);
                    }
                } else {
                    let at = u.choose_index(replies.len())?;
                    replies[at] = any_reply(u)?;
                }
                Ok(replies)
            }
            (_, conflict) => conflict,
        };
        step = parsed(wire_op.resume_replies(outcome));
    }
    if all_real && input_ok(op, input) {
        assert!(
            step.get("done").is_some(),
            "{op} {input} failed on a correct store: {step}"
        );
    }
    Ok(())
}

/// A reply of any kind (often the wrong one for its command).
fn any_reply(u: &mut Unstructured<'_>) -> Result<Reply> {
    use session_core::store::{Member, Stored};
    Ok(match u.int_in_range(0..=4u8)? {
        0 => Reply::Done,
        1 => Reply::Removed(bool::arbitrary(u)?),
        2 => Reply::Count(u64::arbitrary(u)?),
        3 => Reply::Record(if bool::arbitrary(u)? {
            Some(Stored {
                value: Vec::<u8>::arbitrary(u)?,
                version: u64::arbitrary(u)?,
            })
        } else {
            None
        }),
        _ => {
            let mut members = Vec::new();
            for _ in 0..u.int_in_range(0..=3)? {
                let member = match u.int_in_range(0..=2u8)? {
                    0 => {
                        Member::Handle(session_core::Handle::from_bytes(<[u8; 16]>::arbitrary(u)?))
                    }
                    1 => Member::Id(
                        session_core::UserId::new(format!("u{}", u8::arbitrary(u)?))
                            .expect("an id"),
                    ),
                    _ => Member::App(session_core::App::new("shop").expect("an app")),
                };
                members.push((member, u64::arbitrary(u)?));
            }
            Reply::Members(members)
        }
    })
}

/// A reply as a correct JSON store writes it (the inverse of `wire::reply_from_json`).
fn reply_to_json(reply: &Reply) -> Value {
    use base64::Engine as _;
    match reply {
        Reply::Record(None) | Reply::Done => Value::Null,
        Reply::Record(Some(s)) => json!({
            "value": base64::engine::general_purpose::STANDARD.encode(&s.value),
            "version": s.version,
        }),
        Reply::Removed(b) => json!(b),
        Reply::Members(m) => Value::Array(
            m.iter()
                .map(|(member, score)| json!([member.as_text(), score]))
                .collect(),
        ),
        Reply::Count(n) => json!(n),
    }
}

/// A store written from the wire protocol's documentation, as a JS store would be: records
/// as base64 text with versions, sorted sets of text members, each batch all or nothing.
#[derive(Default, Clone)]
struct JsonStore {
    records: BTreeMap<String, (String, u64)>,
    zsets: BTreeMap<String, BTreeMap<String, u64>>,
}

impl JsonStore {
    /// Applies a JSON batch; the replies as JSON, or `{"conflict": true}`.
    fn apply(&mut self, batch: &[Value]) -> Value {
        let version_of = |this: &Self, key: &str| this.records.get(key).map(|r| r.1);
        for cmd in batch {
            if matches!(cmd["op"].as_str(), Some("put" | "delete")) {
                let key = cmd["key"].as_str().unwrap_or_default();
                let current = version_of(self, key);
                let ok = match &cmd["expect"] {
                    Value::String(s) if s == "any" => true,
                    Value::String(s) if s == "absent" => current.is_none(),
                    v => v.as_u64().is_some() && current == v.as_u64(),
                };
                if !ok {
                    return json!({"conflict": true});
                }
            }
        }
        let mut replies = Vec::with_capacity(batch.len());
        for cmd in batch {
            let key = cmd["key"].as_str().unwrap_or_default().to_owned();
            let member = cmd["member"].as_str().unwrap_or_default().to_owned();
            let reply = match cmd["op"].as_str().unwrap_or_default() {
                "get" => match self.records.get(&key) {
                    Some((value, version)) => json!({"value": value, "version": version}),
                    None => Value::Null,
                },
                "put" => {
                    let version = version_of(self, &key).map_or(1, |v| v + 1);
                    let value = cmd["value"].as_str().unwrap_or_default().to_owned();
                    self.records.insert(key, (value, version));
                    Value::Null
                }
                "delete" => json!(self.records.remove(&key).is_some()),
                "zadd" => {
                    let score = cmd["score"].as_u64().unwrap_or_default();
                    self.zsets.entry(key).or_default().insert(member, score);
                    Value::Null
                }
                "zrem" => json!(self.zrem(&key, &member)),
                "zrange" => {
                    let (min, max) = (
                        cmd["min"].as_u64().unwrap_or(0),
                        cmd["max"].as_u64().unwrap_or(0),
                    );
                    let mut items: Vec<(&String, u64)> = self
                        .zsets
                        .get(&key)
                        .map(|s| {
                            s.iter()
                                .map(|(m, s)| (m, *s))
                                .filter(|(_, s)| (min..=max).contains(s))
                                .collect()
                        })
                        .unwrap_or_default();
                    items.sort_by(|a, b| {
                        a.1.cmp(&b.1)
                            .then_with(|| a.0.as_bytes().cmp(b.0.as_bytes()))
                    });
                    if cmd["rev"] == json!(true) {
                        items.reverse();
                    }
                    if let Some(limit) = cmd["limit"].as_u64() {
                        items.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
                    }
                    Value::Array(items.into_iter().map(|(m, s)| json!([m, s])).collect())
                }
                "zcount" => {
                    let (min, max) = (
                        cmd["min"].as_u64().unwrap_or(0),
                        cmd["max"].as_u64().unwrap_or(0),
                    );
                    json!(self.zsets.get(&key).map_or(0, |s| {
                        s.values().filter(|s| (min..=max).contains(*s)).count()
                    }))
                }
                "zremIfEmpty" => {
                    let watched = cmd["watched"].as_str().unwrap_or_default();
                    let empty = self.zsets.get(watched).is_none_or(BTreeMap::is_empty);
                    json!(empty && self.zrem(&key, &member))
                }
                other => panic!("the store got an unknown op {other:?}"),
            };
            replies.push(reply);
        }
        Value::Array(replies)
    }

    fn zrem(&mut self, key: &str, member: &str) -> bool {
        let Some(set) = self.zsets.get_mut(key) else {
            return false;
        };
        let removed = set.remove(member).is_some();
        if set.is_empty() {
            self.zsets.remove(key);
        }
        removed
    }
}
