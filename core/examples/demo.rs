//! A tour of the core: `npm start` runs this until the REST server exists.
#![allow(clippy::print_stdout, clippy::unwrap_used)] // A demo prints, and stops on any error.

use session_core::{Create, ManualClock, MemoryStore, Patch, Sessions};

fn main() {
    // The clock is an input: here we move it by hand to show expiry without sleeping.
    let clock = ManualClock::new(1_700_000_000_000);
    let sessions = Sessions::new(MemoryStore::new())
        .with_clock(clock.clone())
        .on_event(|e| println!("  event: {}", serde_json::to_string(e).unwrap()));

    println!("create two sessions for alice, one for bob (ttl 60 s):");
    let a1 = sessions
        .create(Create::new("demo", "alice", "10.0.0.1").ttl(60))
        .unwrap();
    let a2 = sessions
        .create(Create::new("demo", "alice", "10.0.0.2").ttl(60))
        .unwrap();
    let b1 = sessions
        .create(Create::new("demo", "bob", "10.0.0.3").ttl(60))
        .unwrap();
    println!("  alice's first token: {}", a1.as_str());

    clock.advance(5_000);
    let s = sessions
        .set(
            "demo",
            a1.as_str(),
            Patch::new().set("theme", "dark").set("cart", 2),
        )
        .unwrap()
        .unwrap();
    println!("set data -> {}", serde_json::to_string(&s).unwrap());
    let s = sessions.get("demo", a1.as_str()).unwrap().unwrap();
    println!("get      -> {}", serde_json::to_string(&s).unwrap());

    println!(
        "activity in the last 10 min: {} users",
        sessions.activity("demo", 600).unwrap()
    );
    let listed = sessions.soid("demo", "alice").unwrap();
    println!(
        "alice's sessions: {}",
        serde_json::to_string(&listed).unwrap()
    );

    println!("regenerate alice's first token (defence against fixation):");
    let a1 = sessions.regenerate("demo", a1.as_str()).unwrap().unwrap();
    println!(
        "kill bob's session: {} killed",
        sessions.kill("demo", b1.as_str()).unwrap()
    );

    println!("61 s pass without any access to alice's second session...");
    clock.advance(61_000);
    println!(
        "  get(a2) -> {:?}",
        sessions.get("demo", a2.as_str()).unwrap()
    );
    println!(
        "  get(a1) -> {:?}",
        sessions.get("demo", a1.as_str()).unwrap().map(|s| s.id)
    );
    println!(
        "records left in memory: {}",
        sessions.store().record_count()
    );
}
