//! Bytes of heap per session in a `MemoryStore` holding 1,000,000 sessions (3 small data keys,
//! two sessions per user), side by side with a hand-written `Mutex<HashMap>` of session
//! structs. A counting allocator measures what each keeps; the timings are in the
//! `memory_store` bench, which runs without it.
//!
//! Run: `cargo bench -p session-core --bench footprint` (or `npm run bench`).

#![allow(clippy::unwrap_used, clippy::print_stdout)] // A benchmark stops on error and prints.
#![allow(missing_docs)]

use serde_json::{Map, Value, json};
use session_core::{Create, MemoryStore, Patch, Sessions, Token};
use stats_alloc::{INSTRUMENTED_SYSTEM, StatsAlloc};
use std::alloc::System;
use std::collections::HashMap;

/// Counts heap bytes, so the bench can report bytes per session.
#[global_allocator]
static ALLOC: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

const N: usize = 1_000_000;

/// Live heap bytes now.
fn live() -> isize {
    let s = ALLOC.stats();
    s.bytes_allocated as isize - s.bytes_deallocated as isize
}

/// What a hand-written store keeps per session.
#[allow(dead_code)] // Fields are written to model the footprint.
struct Plain {
    id: String,
    ip: String,
    r: u64,
    w: u64,
    last: u64,
    d: Map<String, Value>,
}

fn main() {
    let data = r#"{"admin":false,"cart":3,"theme":"dark"}"#;
    let tokens: Vec<Token> = (0..N).map(|_| Token::generate().unwrap()).collect();

    let before = live();
    let sessions = Sessions::new(MemoryStore::new()).with_auto_sweep(None);
    for i in 0..N {
        let d = Patch::new()
            .set("theme", "dark")
            .set("cart", 3)
            .set("admin", false);
        sessions
            .create(Create::new("bench", format!("user{}", i / 2), "192.168.1.10").data(d))
            .unwrap();
    }
    let core = (live() - before) as f64 / N as f64;

    // A listing page of the largest limit, as the REST server answers it: the page (its
    // sessions) and its JSON text, both alive at once: the peak a listing costs.
    let page = session_core::ops::page::LIMIT_MAX;
    let before = live();
    let input = json!({"app": "bench", "dt": 86_400, "limit": page});
    let answer = sessions.respond("soapp", &input).unwrap();
    let text = answer.to_json_text();
    let per_listed = (live() - before) as f64 / f64::from(page);
    let text_per_listed = text.len() as f64 / f64::from(page);
    drop((answer, text));

    let before = live();
    let mut plain = HashMap::new();
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
        plain.insert(t.as_str().to_owned(), p);
    }
    let baseline = (live() - before) as f64 / N as f64;
    drop((sessions, plain));

    println!(
        "\nheap bytes per session at {N} sessions (data: 3 small keys, {} bytes as JSON)\n",
        data.len()
    );
    println!("| store | bytes/session | beyond the data |");
    println!("|---|---:|---:|");
    println!(
        "| session-core MemoryStore | {core:.0} | {:.0} |",
        core - data.len() as f64
    );
    println!(
        "| baseline Mutex<HashMap> | {baseline:.0} | {:.0} |",
        baseline - data.len() as f64
    );
    println!(
        "\nsession-core keeps {:.1}× less than the baseline",
        baseline / core
    );
    println!(
        "\na listing page of {page} sessions at its peak (the page and its JSON text): \
         {per_listed:.0} bytes per listed session, {text_per_listed:.0} of them the JSON"
    );
}
