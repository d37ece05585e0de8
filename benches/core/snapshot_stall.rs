//! Snapshots and the calls that run meanwhile (issue 26, item 7): the latency of `get` on one
//! thread of a `MemoryStore` holding 300,000 and 1,000,000 sessions, while another thread
//! takes snapshots back to back (50 ms apart), side by side with no snapshot at all, and with
//! the whole copy in one step under the lock (how a snapshot was taken before: every call
//! waited for it). In-process, so the numbers are the store's, without HTTP or a client in
//! them; `benches/rest/snapshot.mjs` measures the REST server end to end.
//!
//! Run: `cargo bench -p session-core --bench snapshot_stall` (or `npm run bench`).

#![allow(clippy::unwrap_used, clippy::print_stdout)] // A benchmark stops on error and prints.
#![allow(missing_docs)]

use session_core::{Create, MemoryStore, Patch, Sessions};
use std::hint::black_box;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

const WINDOW: Duration = Duration::from_secs(3);

/// How snapshots are taken meanwhile: `None`, none; else steps of that many slots.
const MODES: [(&str, Option<usize>); 5] = [
    ("no snapshot", None),
    ("snapshots, steps of 256 slots (the default)", Some(256)),
    ("snapshots, steps of 64 slots", Some(64)),
    ("snapshots, steps of 1,024 slots", Some(1024)),
    ("snapshots, one step (as before)", Some(usize::MAX)),
];

struct Row {
    p50: f64,
    p99: f64,
    p999: f64,
    max: f64,
    calls: usize,
    snapshots: usize,
    /// The mean time a snapshot took, ms.
    took: f64,
}

/// `get` latencies (µs) over the window, while `step` snapshots run on another thread.
fn measure(
    sessions: &Sessions<MemoryStore>,
    tokens: &[session_core::Token],
    step: Option<usize>,
) -> Row {
    let stop = AtomicBool::new(false);
    let taken = AtomicUsize::new(0);
    let busy_us = AtomicUsize::new(0);
    let mut ns: Vec<u32> = Vec::with_capacity(8_000_000);
    std::thread::scope(|scope| {
        if let Some(step) = step {
            let (stop, taken, busy_us) = (&stop, &taken, &busy_us);
            scope.spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    let t0 = Instant::now();
                    black_box(sessions.store().snapshot_in_steps(step));
                    let us = usize::try_from(t0.elapsed().as_micros()).unwrap_or(usize::MAX);
                    busy_us.fetch_add(us, Ordering::Relaxed);
                    taken.fetch_add(1, Ordering::Relaxed);
                    std::thread::sleep(Duration::from_millis(50));
                }
            });
        }
        let end = Instant::now() + WINDOW;
        let mut i = 0usize;
        while Instant::now() < end {
            i += 1;
            let t = &tokens[(i * 7_919) % tokens.len()];
            let t0 = Instant::now();
            black_box(sessions.get("bench", t).unwrap());
            ns.push(u32::try_from(t0.elapsed().as_nanos()).unwrap_or(u32::MAX));
        }
        stop.store(true, Ordering::Relaxed);
    });
    ns.sort_unstable();
    let q = |q: f64| f64::from(ns[((ns.len() as f64 * q) as usize).min(ns.len() - 1)]) / 1000.0;
    Row {
        p50: q(0.5),
        p99: q(0.99),
        p999: q(0.999),
        max: q(1.0),
        calls: ns.len(),
        snapshots: taken.load(Ordering::Relaxed),
        took: busy_us.load(Ordering::Relaxed) as f64
            / 1000.0
            / taken.load(Ordering::Relaxed).max(1) as f64,
    }
}

fn main() {
    println!(
        "\n`get` latency on one thread while another takes snapshots (µs; {} s per row)\n",
        WINDOW.as_secs()
    );
    println!(
        "| sessions | meanwhile | gets | snapshots | ms each | p50 | p99 | p99.9 | max | p99.9 ÷ no snapshot |"
    );
    println!("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    for n in [300_000, 1_000_000] {
        let sessions = Sessions::new(MemoryStore::new()).with_auto_sweep(None);
        let tokens: Vec<_> = (0..n)
            .map(|i| {
                let d = Patch::new().set("plan", "pro").set("visits", i as i64);
                let c = Create::new("bench", format!("user{}", i / 2), "10.0.0.1").data(d);
                sessions.create(c).unwrap()
            })
            .collect();
        let mut base = None;
        for (name, step) in MODES {
            let r = measure(&sessions, &tokens, step);
            let base = *base.get_or_insert(r.p999);
            println!(
                "| {n} | {name} | {} | {} | {:.0} | {:.1} | {:.1} | {:.1} | {:.0} | {:.2}× |",
                r.calls,
                r.snapshots,
                r.took,
                r.p50,
                r.p99,
                r.p999,
                r.max,
                r.p999 / base
            );
        }
    }
}
