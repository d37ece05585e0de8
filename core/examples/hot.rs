#![allow(missing_docs, clippy::unwrap_used, clippy::print_stdout)]
use session_core::{Create, MemoryStore, Patch, Sessions};
use std::time::Instant;
fn main() {
    for n in std::env::args()
        .nth(1)
        .map(|a| vec![a.parse::<usize>().unwrap()])
        .unwrap_or(vec![10_000usize, 1_000_000])
    {
        let s = Sessions::new(MemoryStore::new()).with_auto_sweep(None);
        let d = || {
            Patch::new()
                .set("theme", "dark")
                .set("cart", 3)
                .set("admin", false)
        };
        let mut toks = Vec::new();
        let t0 = Instant::now();
        for i in 0..n {
            toks.push(
                s.create(Create::new("bench", format!("user{}", i / 2), "192.168.1.10").data(d()))
                    .unwrap(),
            );
        }
        let create = t0.elapsed().as_nanos() as f64 / n as f64;
        let mut i = 0usize;
        let iters: usize = std::env::args()
            .nth(3)
            .map_or(2_000_000, |a| a.parse().unwrap());
        if let Some(op) = std::env::args().nth(2) {
            let t0 = Instant::now();
            for k in 0..iters * 2 {
                i = (i + 7919) % n;
                match op.as_str() {
                    "get" => {
                        std::hint::black_box(s.get("bench", &toks[i]).unwrap());
                    }
                    "set" => {
                        std::hint::black_box(
                            s.set("bench", &toks[i], Patch::new().set("cart", k as i64))
                                .unwrap(),
                        );
                    }
                    _ => {
                        std::hint::black_box(s.touch("bench", &toks[i]).unwrap());
                    }
                }
            }
            println!(
                "{op}: {:.0} ns",
                t0.elapsed().as_nanos() as f64 / (iters * 2) as f64
            );
            return;
        }
        let t0 = Instant::now();
        for _ in 0..iters {
            i = (i + 7919) % n;
            std::hint::black_box(s.get("bench", &toks[i]).unwrap());
        }
        let get = t0.elapsed().as_nanos() as f64 / iters as f64;
        let t0 = Instant::now();
        for k in 0..iters {
            i = (i + 7919) % n;
            std::hint::black_box(
                s.set("bench", &toks[i], Patch::new().set("cart", k as i64))
                    .unwrap(),
            );
        }
        let set = t0.elapsed().as_nanos() as f64 / iters as f64;
        let t0 = Instant::now();
        for _ in 0..iters {
            i = (i + 7919) % n;
            std::hint::black_box(s.touch("bench", &toks[i]).unwrap());
        }
        let touch = t0.elapsed().as_nanos() as f64 / iters as f64;
        println!(
            "n={n}: create {create:.0} ns, get {get:.0} ns, set {set:.0} ns, touch {touch:.0} ns"
        );
    }
}
