//! `records`: the record decoder (crate-private in the core), reached the way a real store
//! reaches it: a store that hands the operations arbitrary bytes as session records (forged
//! in the documented format with extreme fields, mutated from a real record, or anything).
//!
//! Whatever a store returns, an operation must end in a result or a typed error (never a
//! panic), and every answer must be valid JSON of the documented shape: the JSON text a
//! binding sends (`Response::to_json_text`, `host::answer`) must be the same JSON as
//! `Response::to_json`.

use crate::draw;
use arbitrary::{Arbitrary, Result, Unstructured};
use serde_json::{Value, json};
use session_core::host::answer;
use session_core::input::OPERATIONS;
use session_core::store::{ApplyError, Batch, Reply, Stored, SyncStore};
use session_core::{Create, Event, ManualClock, MemoryStore, Patch, Request, Sessions};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex, PoisonError};

const NOW: u64 = 1_700_000_000_000;

/// What the store does to the next record it reads.
#[derive(Debug)]
enum Swap {
    /// Replaces the record's bytes (or makes one up where there was none).
    Bytes(Vec<u8>, u64),
    /// Hands back the real record.
    Keep,
}

/// A memory store whose record reads are replaced, one per read, from a queue.
struct Forging {
    inner: MemoryStore,
    swaps: Mutex<VecDeque<Swap>>,
}

impl SyncStore for Forging {
    fn apply(&self, batch: Batch) -> std::result::Result<Vec<Reply>, ApplyError> {
        let mut replies = self.inner.apply(batch)?;
        let mut swaps = self.swaps.lock().unwrap_or_else(PoisonError::into_inner);
        for reply in &mut replies {
            if let Reply::Record(record) = reply
                && let Some(Swap::Bytes(value, version)) = swaps.pop_front()
            {
                let version = record.as_ref().map_or(version, |r| r.version);
                *record = Some(Stored { value, version });
            }
        }
        Ok(replies)
    }
}

/// The target.
pub fn run(data: &[u8]) {
    let _ = body(&mut Unstructured::new(data));
}

fn body(u: &mut Unstructured<'_>) -> Result<()> {
    let clock = ManualClock::new(NOW);
    let events = Arc::new(Mutex::new(Vec::<Event>::new()));
    let sink = events.clone();
    let sessions = Sessions::new(Forging {
        inner: MemoryStore::new(),
        swaps: Mutex::new(VecDeque::new()),
    })
    .with_clock(clock.clone())
    .with_auto_sweep(None)
    .on_event(move |e| {
        sink.lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(e.clone())
    });
    let token = sessions
        .create(
            Create::new("shop", "u1", "::1")
                .data(Patch::new().set("a", 1).set("b", "x"))
                .ttl(600),
        )
        .expect("create on a healthy store");
    let token = token.as_str().to_owned();
    let real = real_record(&sessions, &token);
    events
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .clear();

    let mut queue = VecDeque::new();
    for _ in 0..u.int_in_range(1..=4)? {
        queue.push_back(swap(u, &real)?);
    }
    *sessions
        .store()
        .swaps
        .lock()
        .unwrap_or_else(PoisonError::into_inner) = queue;

    for _ in 0..u.int_in_range(1..=3)? {
        let (op, input) = operation(u, &token)?;
        clock.set(NOW + u.int_in_range(0..=700_000)?);
        let request = Request::parse(op, &input).expect("the harness sends valid input");
        let op = request.into_op(sessions.now()).expect("an operation");
        let outcome = sessions.run(op);
        let happened = std::mem::take(&mut *events.lock().unwrap_or_else(PoisonError::into_inner));
        match &outcome {
            Ok(response) => {
                let direct = response.to_json();
                let text = response.to_json_text();
                let parsed = crate::parse_json(&text, "Response::to_json_text");
                assert_eq!(parsed, direct, "to_json_text and to_json disagree");
                check_shape(&direct);
            }
            Err(e) => {
                crate::check_error(e);
                assert!(
                    matches!(e.name(), "storeError" | "conflict" | "tooLarge"),
                    "{e:?}"
                );
            }
        }
        let whole = answer(outcome.as_ref(), &happened);
        let whole = crate::parse_json(&whole, "host::answer");
        assert!(
            whole.get("done").is_some() != whole.get("error").is_some(),
            "{whole}"
        );
        assert!(whole["events"].is_array(), "{whole}");
    }
    Ok(())
}

/// The real record's bytes, read through the store.
fn real_record(sessions: &Sessions<Forging>, token: &str) -> Vec<u8> {
    let handle = session_core::Handle::of_token(token).expect("a token");
    let key =
        session_core::Key::Session(session_core::App::new("shop").expect("app").into(), handle);
    match sessions
        .store()
        .inner
        .apply(vec![session_core::Command::Get { key, cached: false }])
    {
        Ok(replies) => match replies.into_iter().next() {
            Some(Reply::Record(Some(s))) => s.value,
            other => panic!("no record: {other:?}"),
        },
        Err(e) => panic!("{e}"),
    }
}

/// One operation of the session's app, with valid input.
fn operation(u: &mut Unstructured<'_>, token: &str) -> Result<(&'static str, Value)> {
    // Every operation but `create` (the session exists already).
    let others: Vec<&'static str> = OPERATIONS
        .iter()
        .copied()
        .filter(|op| *op != "create")
        .collect();
    let op = *u.choose(&others)?;
    let input = match op {
        "set" => {
            let mut d = draw::data_object(u)?;
            d.retain(|_, v| !matches!(v, Value::Array(_) | Value::Object(_)));
            if d.is_empty() {
                d.insert("k".into(), Value::Null);
            }
            json!({"app": "shop", "token": token, "d": d})
        }
        "setTtl" => json!({"app": "shop", "token": token, "ttl": u.int_in_range(10..=100_000)?}),
        "activity" | "soapp" => json!({"app": "shop", "dt": u.int_in_range(10..=100_000)?}),
        "soid" | "killsoid" => json!({"app": "shop", "id": "u1"}),
        "killall" => json!({"app": "shop"}),
        "sweep" => json!({"limit": u.int_in_range(1..=5)?}),
        _ => json!({"app": "shop", "token": token}),
    };
    Ok((op, input))
}

fn swap(u: &mut Unstructured<'_>, real: &[u8]) -> Result<Swap> {
    let version = u.int_in_range(0..=3)?;
    Ok(match u.int_in_range(0..=5u8)? {
        0 => Swap::Keep,
        1 => Swap::Bytes(Vec::<u8>::arbitrary(u)?, version),
        2 => {
            // The real record, mutated.
            let mut bytes = real.to_vec();
            for _ in 0..u.int_in_range(1..=3)? {
                let at = u.choose_index(bytes.len().max(1))?;
                match u.int_in_range(0..=2u8)? {
                    0 if at < bytes.len() => bytes[at] = u8::arbitrary(u)?,
                    1 => bytes.truncate(at),
                    _ => bytes.push(u8::arbitrary(u)?),
                }
            }
            Swap::Bytes(bytes, version)
        }
        _ => Swap::Bytes(forged(u)?, version),
    })
}

fn put_varint(out: &mut Vec<u8>, mut n: u64) {
    while n >= 0x80 {
        out.push((n as u8) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

/// A number for a record field: around now, at the edges, or anything.
fn field(u: &mut Unstructured<'_>, now: u64) -> Result<u64> {
    Ok(match u.int_in_range(0..=4u8)? {
        0 => now - u.int_in_range(0..=10_000_000)?,
        1 => *u.choose(&[0, 1, 10, 600, 7200, u64::MAX / 1000, u64::MAX - 1, u64::MAX])?,
        2 => u.int_in_range(0..=1000)?,
        _ => u64::arbitrary(u)?,
    })
}

/// A record in the documented format (core/src/record.rs), with fields the core would never
/// write: any flags, extreme numbers, ids and addresses that break the input rules, and `d`
/// text that may not be a flat object (or JSON at all).
fn forged(u: &mut Unstructured<'_>) -> Result<Vec<u8>> {
    forged_at(u, NOW)
}

/// [`forged`], with times around `now`.
pub(crate) fn forged_at(u: &mut Unstructured<'_>, now: u64) -> Result<Vec<u8>> {
    let format = if u.ratio(31, 32)? {
        2
    } else {
        u8::arbitrary(u)?
    };
    let flags = if u.ratio(3, 4)? {
        u.int_in_range(0..=7u8)?
    } else {
        u8::arbitrary(u)?
    };
    let mut out = vec![format, flags];
    for _ in 0..4 {
        let n = field(u, now)?;
        put_varint(&mut out, n);
    }
    let delta = i64::arbitrary(u)? % if u.ratio(3, 4)? { 1_000_000 } else { i64::MAX };
    put_varint(&mut out, ((delta << 1) ^ (delta >> 63)) as u64);
    if flags & 2 != 0 {
        let n = field(u, now)?;
        put_varint(&mut out, n);
    }
    for _ in 0..2 {
        let text = draw::text(u)?;
        put_varint(&mut out, text.len() as u64);
        out.extend_from_slice(text.as_bytes());
    }
    if flags & 4 != 0 {
        let d = match u.int_in_range(0..=3u8)? {
            0 => draw::text(u)?,
            1 => serde_json::to_string(&draw::value(u, 2)?).unwrap_or_default(),
            _ => serde_json::to_string(&draw::data_object(u)?).unwrap_or_default(),
        };
        out.extend_from_slice(d.as_bytes());
    } else if draw::rare(u, 8)? {
        out.extend_from_slice(&Vec::<u8>::arbitrary(u)?);
    }
    Ok(out)
}

/// The documented shapes of a successful answer.
fn check_shape(v: &Value) {
    let session = |s: &Value| {
        assert!(s["id"].is_string() && s["ip"].is_string(), "{s}");
        for n in ["r", "w", "ttl", "idle"] {
            assert!(s[n].is_u64(), "{n} in {s}");
        }
        if let Some(d) = s.get("d") {
            let flat = d.as_object().is_some_and(|o| {
                !o.is_empty()
                    && o.values()
                        .all(|v| v.is_string() || v.is_number() || v.is_boolean())
            });
            assert!(flat, "d is not a flat object: {s}");
        }
    };
    match v {
        Value::Null => {}
        Value::Object(o) if o.contains_key("sessions") => {
            for s in v["sessions"].as_array().expect("a list") {
                session(s);
                assert_eq!(s["handle"].as_str().map(str::len), Some(22), "{s}");
            }
        }
        Value::Object(o) if o.contains_key("id") => session(v),
        Value::Object(o) if o.contains_key("token") => {
            assert_eq!(o["token"].as_str().map(str::len), Some(64), "{v}");
        }
        Value::Object(o) => assert!(
            o.contains_key("kill") || o.contains_key("activity") || o.contains_key("swept"),
            "{v}"
        ),
        other => panic!("unexpected answer {other}"),
    }
}
