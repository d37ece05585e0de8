#![allow(clippy::unwrap_used, clippy::print_stdout)]
use session_core::{Create, MemoryStore, Patch, Sessions};
fn main() {
    let s = Sessions::new(MemoryStore::new());
    let n = 1_000_000;
    let toks: Vec<_> = (0..n).map(|i| s.create(Create::new("bench", format!("user{}", i/2), "1.2.3.4").data(Patch::new().set("a", 1))).unwrap()).collect();
    let t = std::time::Instant::now();
    let mut j = 0usize;
    for _ in 0..1_000_000 { j = (j + 7919) % n; std::hint::black_box(s.get("bench", &toks[j]).unwrap()); }
    println!("get {:?}/op", t.elapsed() / 1_000_000);
}
