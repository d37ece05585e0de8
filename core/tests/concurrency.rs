//! Concurrent updates lose nothing: versioned writes with bounded retries.

#![allow(clippy::unwrap_used)] // Tests stop at the first surprise: unwrap is the assertion.

use session_core::{Create, MemoryStore, Patch, Sessions};
use std::sync::Arc;

#[test]
fn eight_threads_of_200_sets_lose_no_key_and_count_every_write() {
    let sessions = Arc::new(Sessions::new(MemoryStore::new()));
    let token = sessions
        .create(Create::new("conc", "u1", "127.0.0.1"))
        .unwrap();
    let threads: Vec<_> = (0..8)
        .map(|t| {
            let sessions = sessions.clone();
            let token = token.clone();
            std::thread::spawn(move || {
                for i in 0..200 {
                    let d = Patch::new().set(format!("t{t}k{i}"), i);
                    sessions.set("conc", token.as_str(), d).unwrap().unwrap();
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let s = sessions.get("conc", token.as_str()).unwrap().unwrap();
    assert_eq!(s.w, 1 + 8 * 200, "every write is counted exactly once");
    let d = s.d.unwrap().to_map();
    assert_eq!(d.len(), 8 * 200, "no key was lost");
    for t in 0..8 {
        for i in 0..200 {
            assert_eq!(d[&format!("t{t}k{i}")], serde_json::json!(i));
        }
    }
}

#[test]
fn concurrent_gets_count_every_read() {
    let sessions = Arc::new(Sessions::new(MemoryStore::new()));
    let token = sessions.create(Create::new("conc", "u1", "::1")).unwrap();
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let (sessions, token) = (sessions.clone(), token.clone());
            std::thread::spawn(move || {
                for _ in 0..500 {
                    sessions.get("conc", token.as_str()).unwrap().unwrap();
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    // r was 1 at creation; 2,000 reads later it is 2,001 (returned before counting this read).
    let s = sessions.get("conc", token.as_str()).unwrap().unwrap();
    assert_eq!(s.r, 2_001);
}
