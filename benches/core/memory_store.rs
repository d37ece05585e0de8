//! get, set and create on a `MemoryStore` holding 1,000,000 sessions, and the bytes each
//! session costs, side by side with a hand-written baseline: a `Mutex<HashMap>` of session
//! structs keyed by token (what an application would write without a session library: no
//! token hashing, no indexes, no expiry, no activity).
//!
//! Run: `cargo bench -p session-core --bench memory_store` (or `npm run bench`).

#![allow(clippy::unwrap_used, clippy::print_stdout)] // A benchmark stops on error and prints.
#![allow(missing_docs)] // criterion_group! generates an undocumented `pub fn`.

use criterion::{Criterion, black_box, criterion_group};
use serde_json::{Map, Value, json};
use session_core::{Create, MemoryStore, Patch, Sessions, Token};
use stats_alloc::{INSTRUMENTED_SYSTEM, StatsAlloc};
use std::alloc::System;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

/// Counts heap bytes, so the bench can report bytes per session.
#[global_allocator]
static ALLOC: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// Live heap bytes now.
fn live() -> isize {
    let s = ALLOC.stats();
    s.bytes_allocated as isize - s.bytes_deallocated as isize
}

const N: usize = 1_000_000;
const APP: &str = "bench";

fn data() -> Patch {
    Patch::new()
        .set("theme", "dark")
        .set("cart", 3)
        .set("admin", false)
}

/// Bytes of the data itself, as stored (compact JSON).
fn data_bytes() -> usize {
    r#"{"admin":false,"cart":3,"theme":"dark"}"#.len()
}

fn populate() -> (Sessions<MemoryStore>, Vec<Token>, f64) {
    let before = live();
    let sessions = Sessions::new(MemoryStore::new());
    let mut tokens = Vec::with_capacity(N);
    let tokens_bytes = N * std::mem::size_of::<Token>() + N * 64;
    for i in 0..N {
        // Two sessions per user, like a phone and a laptop.
        let c = Create::new(APP, format!("user{}", i / 2), "192.168.1.10").data(data());
        tokens.push(sessions.create(c).unwrap());
    }
    let used = (live() - before) as f64 - tokens_bytes as f64;
    (sessions, tokens, used / N as f64)
}

/// The baseline: what a hand-written store keeps per session.
#[allow(dead_code)] // Fields are written to model the footprint, and read back by `get`.
#[derive(Clone)]
struct Plain {
    id: String,
    ip: String,
    r: u64,
    w: u64,
    last: u64,
    d: Map<String, Value>,
}

fn populate_plain(tokens: &[Token]) -> (Mutex<HashMap<String, Plain>>, f64) {
    let before = live();
    let map = Mutex::new(HashMap::new());
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
        map.lock().unwrap().insert(t.as_str().to_owned(), p);
    }
    let used = (live() - before) as f64;
    (map, used / tokens.len() as f64)
}

fn bench(c: &mut Criterion) {
    let (sessions, tokens, per_session) = populate();
    let (plain, plain_per_session) = populate_plain(&tokens);
    println!(
        "\nmemory at {N} sessions (data: 3 small keys, {} bytes as JSON):",
        data_bytes()
    );
    println!("| store | bytes/session | beyond the data |");
    println!("|---|---:|---:|");
    println!(
        "| session-core MemoryStore | {per_session:.0} | {:.0} |",
        per_session - data_bytes() as f64
    );
    println!(
        "| baseline Mutex<HashMap> | {plain_per_session:.0} | {:.0} |",
        plain_per_session - data_bytes() as f64
    );

    let mut g = c.benchmark_group("memory_store_1M");
    g.measurement_time(Duration::from_secs(4));
    g.warm_up_time(Duration::from_secs(1));

    // A fixed pseudo-random walk over the tokens, so every lookup misses the cache like a
    // real workload.
    let mut i = 0usize;
    let mut next = move || {
        i = (i + 7_919) % N;
        i
    };
    g.bench_function("session-core get", |b| {
        b.iter(|| black_box(sessions.get(APP, &tokens[next()]).unwrap()))
    });
    g.bench_function("baseline get", |b| {
        b.iter(|| {
            let mut m = plain.lock().unwrap();
            let s = m.get_mut(tokens[next()].as_str()).unwrap();
            s.r += 1;
            black_box(s.clone())
        })
    });
    let mut v = 0i64;
    g.bench_function("session-core set", |b| {
        b.iter(|| {
            v += 1;
            let d = Patch::new().set("cart", v);
            black_box(sessions.set(APP, &tokens[next()], d).unwrap())
        })
    });
    g.bench_function("baseline set", |b| {
        b.iter(|| {
            v += 1;
            let mut m = plain.lock().unwrap();
            let s = m.get_mut(tokens[next()].as_str()).unwrap();
            s.d.insert("cart".into(), json!(v));
            s.w += 1;
            black_box(s.clone())
        })
    });
    let mut u = 0u64;
    g.bench_function("session-core create", |b| {
        b.iter(|| {
            u += 1;
            let c = Create::new(APP, format!("new{u}"), "10.0.0.1").data(data());
            black_box(sessions.create(c).unwrap())
        })
    });
    g.bench_function("baseline create", |b| {
        b.iter(|| {
            u += 1;
            let t = Token::generate().unwrap();
            let p = Plain {
                id: format!("new{u}"),
                ip: "10.0.0.1".into(),
                r: 1,
                w: 1,
                last: 0,
                d: Map::new(),
            };
            plain.lock().unwrap().insert(t.as_str().to_owned(), p);
            black_box(t)
        })
    });
    g.finish();
}

criterion_group!(benches, bench);

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
}
