//! Paged listings under concurrent change: whatever is created, killed, read or regenerated
//! between pages, a session that lives through the whole listing is on exactly one page, and
//! no handle is listed twice: with one shard, and with each app over several (a page then
//! merges the shards' indexes).

#![allow(clippy::unwrap_used)] // Tests stop at the first surprise: unwrap is the assertion.

use proptest::prelude::*;
use session_core::{Create, ManualClock, MemoryStore, Sessions, Shards, Token};
use std::collections::{HashMap, HashSet};

#[derive(Debug, Clone)]
enum Change {
    Create(usize),
    Kill(usize),
    Get(usize),
    Regenerate(usize),
    Advance(u64),
}

fn change() -> impl Strategy<Value = Change> {
    prop_oneof![
        (0..8usize).prop_map(Change::Create),
        (0..64usize).prop_map(Change::Kill),
        (0..64usize).prop_map(Change::Get),
        (0..64usize).prop_map(Change::Regenerate),
        (0..3u64).prop_map(Change::Advance),
    ]
}

fn run(shards: u32, initial: usize, limit: u32, soid: bool, between: Vec<Vec<Change>>) {
    let clock = ManualClock::new(1_700_000_000_000);
    let s = Sessions::new(MemoryStore::new())
        .with_shards(Shards::new(shards).unwrap())
        .with_clock(clock.clone())
        .with_auto_sweep(None);
    let users = ["u0", "u1", "u2", "u3", "u4", "u5", "u6", "u7"];
    let mut tokens: Vec<(Token, &str)> = Vec::new();
    for i in 0..initial {
        let user = if soid { "u0" } else { users[i % users.len()] };
        tokens.push((s.create(Create::new("shop", user, "::1")).unwrap(), user));
        // Several sessions per millisecond: ties of the index's score.
        if i % 3 == 0 {
            clock.advance(1);
        }
    }
    let handle_of = |t: &Token| session_core::Handle::of_token(t.as_str()).unwrap();
    // Sessions alive from the first page to the last, by handle.
    let mut throughout: HashSet<_> = tokens.iter().map(|(t, _)| handle_of(t)).collect();
    let mut listed: HashMap<String, usize> = HashMap::new();
    let mut cursor: Option<String> = None;
    let mut changes = between.into_iter();
    for _page in 0..10_000 {
        let page = if soid {
            s.soid_page("shop", "u0", limit, cursor.as_deref()).unwrap()
        } else {
            s.soapp_page("shop", 3600, limit, cursor.as_deref())
                .unwrap()
        };
        for l in &page.sessions {
            *listed.entry(l.handle.to_string()).or_default() += 1;
        }
        let Some(next) = page.cursor else { break };
        cursor = Some(next);
        for c in changes.next().unwrap_or_default() {
            match c {
                Change::Create(u) => {
                    let user = if soid { "u0" } else { users[u] };
                    tokens.push((s.create(Create::new("shop", user, "::1")).unwrap(), user));
                }
                Change::Kill(i) if !tokens.is_empty() => {
                    let (t, _) = tokens.remove(i % tokens.len());
                    throughout.remove(&handle_of(&t));
                    s.kill("shop", &t).unwrap();
                }
                Change::Get(i) if !tokens.is_empty() => {
                    s.get("shop", &tokens[i % tokens.len()].0).unwrap();
                }
                Change::Regenerate(i) if !tokens.is_empty() => {
                    let i = i % tokens.len();
                    throughout.remove(&handle_of(&tokens[i].0));
                    let new = s.regenerate("shop", &tokens[i].0).unwrap().unwrap();
                    tokens[i].0 = new;
                }
                Change::Advance(ms) => clock.advance(ms),
                _ => {}
            }
        }
    }
    for (h, n) in &listed {
        assert_eq!(*n, 1, "handle {h} listed {n} times");
    }
    for h in &throughout {
        assert!(
            listed.contains_key(&h.to_string()),
            "{h} lived throughout and was skipped"
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]
    #[test]
    fn pages_list_each_session_that_lives_throughout_exactly_once(
        shards in prop::sample::select(vec![1u32, 4, 16]),
        initial in 0..120usize,
        limit in 1..20u32,
        soid in any::<bool>(),
        between in proptest::collection::vec(proptest::collection::vec(change(), 0..6), 0..40),
    ) {
        run(shards, initial, limit, soid, between);
    }
}
