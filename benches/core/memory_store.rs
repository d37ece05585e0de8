//! get, set, touch and create on a `MemoryStore` holding 10,000 and 1,000,000 sessions, side
//! by side with a hand-written baseline: a `Mutex<HashMap>` of session structs keyed by token
//! (what an application would write without a session library: no token hashing, no indexes,
//! no expiry, no activity). Prints one table with the median of several rounds, in ns per
//! call, and the targets of the hot-path issue.
//!
//! Run: `cargo bench -p session-core --bench memory_store` (or `npm run bench`). The bytes per
//! session are measured by the `footprint` bench, with a counting allocator that would slow
//! these timings down.

#![allow(clippy::unwrap_used, clippy::print_stdout)] // A benchmark stops on error and prints.
#![allow(missing_docs)]

use serde_json::{Map, Value, json};
use session_core::{Create, MemoryStore, Patch, Sessions, Token};
use std::collections::HashMap;
use std::hint::black_box;
use std::sync::Mutex;
use std::time::Instant;

const APP: &str = "bench";
const ROUNDS: usize = 7;

fn data() -> Patch {
    Patch::new()
        .set("theme", "dark")
        .set("cart", 3)
        .set("admin", false)
}

/// What a hand-written store keeps per session.
#[allow(dead_code)] // Fields are written to model the work, and read back by `get`.
#[derive(Clone)]
struct Plain {
    id: String,
    ip: String,
    r: u64,
    w: u64,
    last: u64,
    d: Map<String, Value>,
}

/// The median ns per call of `f` over `ROUNDS` rounds of `calls` calls.
fn time(calls: usize, mut f: impl FnMut(usize)) -> f64 {
    let mut rounds: Vec<f64> = (0..ROUNDS)
        .map(|_| {
            let start = Instant::now();
            for i in 0..calls {
                f(i);
            }
            start.elapsed().as_nanos() as f64 / calls as f64
        })
        .collect();
    rounds.sort_by(f64::total_cmp);
    rounds[ROUNDS / 2]
}

/// One row per operation: (session-core ns, baseline ns).
fn measure(n: usize) -> Vec<(&'static str, f64, f64)> {
    let sessions = Sessions::new(MemoryStore::new()).with_auto_sweep(None);
    let mut tokens = Vec::with_capacity(n);
    for i in 0..n {
        // Two sessions per user, like a phone and a laptop.
        let c = Create::new(APP, format!("user{}", i / 2), "192.168.1.10").data(data());
        tokens.push(sessions.create(c).unwrap());
    }
    let plain = Mutex::new(HashMap::new());
    let d: Map<String, Value> = json!({"theme": "dark", "cart": 3, "admin": false})
        .as_object()
        .unwrap()
        .clone();
    for (i, t) in tokens.iter().enumerate() {
        let p = Plain {
            id: format!("user{}", i / 2),
            ip: "192.168.1.10".into(),
            r: 1,
            w: 1,
            last: 0,
            d: d.clone(),
        };
        plain.lock().unwrap().insert(t.as_str().to_owned(), p);
    }
    // A fixed pseudo-random walk over the tokens, so that lookups miss the cache as a real
    // workload's do.
    let walk = |i: usize| (i * 7_919) % n;
    let calls = 200_000;
    let get = time(calls, |i| {
        black_box(sessions.get(APP, &tokens[walk(i)]).unwrap());
    });
    let plain_get = time(calls, |i| {
        let mut m = plain.lock().unwrap();
        let s = m.get_mut(tokens[walk(i)].as_str()).unwrap();
        s.r += 1;
        black_box(s.clone());
    });
    let set = time(calls, |i| {
        let d = Patch::new().set("cart", i as i64);
        black_box(sessions.set(APP, &tokens[walk(i)], d).unwrap());
    });
    let plain_set = time(calls, |i| {
        let mut m = plain.lock().unwrap();
        let s = m.get_mut(tokens[walk(i)].as_str()).unwrap();
        s.d.insert("cart".into(), json!(i));
        s.w += 1;
        black_box(s.clone());
    });
    let touch = time(calls, |i| {
        black_box(sessions.touch(APP, &tokens[walk(i)]).unwrap());
    });
    let plain_touch = time(calls, |i| {
        let mut m = plain.lock().unwrap();
        m.get_mut(tokens[walk(i)].as_str()).unwrap().last = i as u64;
    });
    let creates = 20_000;
    let mut u = 0;
    let create = time(creates, |_| {
        u += 1;
        let c = Create::new(APP, format!("new{u}"), "10.0.0.1").data(data());
        black_box(sessions.create(c).unwrap());
    });
    let plain_create = time(creates, |_| {
        u += 1;
        let t = Token::generate().unwrap();
        let p = Plain {
            id: format!("new{u}"),
            ip: "10.0.0.1".into(),
            r: 1,
            w: 1,
            last: 0,
            d: d.clone(),
        };
        plain.lock().unwrap().insert(t.into_string(), p);
    });
    vec![
        ("get", get, plain_get),
        ("set", set, plain_set),
        ("touch", touch, plain_touch),
        ("create", create, plain_create),
    ]
}

/// The hot-path issue's targets, in ns: (sessions, op) -> at most.
fn target(n: usize, op: &str) -> Option<f64> {
    match (n, op) {
        (10_000, "get") => Some(600.0),
        (1_000_000, "get") => Some(1_500.0),
        (1_000_000, "set") => Some(2_000.0),
        (1_000_000, "create") => Some(3_000.0),
        _ => None,
    }
}

fn main() {
    // `cargo bench` passes `--bench`; a filter argument is not supported, all runs.
    let mut rows = Vec::new();
    for n in [10_000, 1_000_000] {
        for (op, sc, plain) in measure(n) {
            rows.push((n, op, sc, plain));
        }
    }
    println!(
        "\nsession-core MemoryStore vs a hand-written Mutex<HashMap> (median of {ROUNDS} rounds, ns per call; data: 3 small keys)\n"
    );
    println!("| sessions | op | session-core | baseline | session-core ÷ baseline time | target |");
    println!("|---:|---|---:|---:|---:|---|");
    let mut misses = Vec::new();
    for (n, op, sc, plain) in rows {
        let goal = match target(n, op) {
            Some(t) if sc <= t => format!("≤ {t:.0}: met"),
            Some(t) => {
                misses.push(format!("{op} at {n}"));
                format!("≤ {t:.0}: NOT met")
            }
            None => "—".into(),
        };
        println!(
            "| {n} | {op} | {sc:.0} | {plain:.0} | {:.2}× | {goal} |",
            sc / plain
        );
    }
    if misses.is_empty() {
        println!("\ntargets: met");
    } else {
        println!("\ntargets: NOT met for {}", misses.join(", "));
    }
}
