//! `snapshot`: `MemoryStore::load_snapshot` with arbitrary bytes, snapshots forged in the
//! format before shards (`SCSNAP`, format 2, a postcard list of `(app, handle, record)`), and
//! real snapshots (format 3, with each session's shard) mutated.
//!
//! A snapshot that cannot be read is a `storeError` and leaves the store empty. One that
//! loads saves and loads again to the same store, and the loaded store answers every listing
//! and sweep in valid JSON.

use crate::draw;
use arbitrary::{Arbitrary, Result, Unstructured};
use session_core::{Create, ManualClock, MemoryStore, Patch, Request, Sessions, Shards};
use std::collections::BTreeSet;

const NOW: u64 = 1_700_000_000_000;

/// The target.
pub fn run(data: &[u8]) {
    let _ = body(&mut Unstructured::new(data));
}

fn body(u: &mut Unstructured<'_>) -> Result<()> {
    let bytes = match u.int_in_range(0..=3u8)? {
        0 => u.bytes(u.len())?.to_vec(),
        1 => {
            let mut bytes = real(u)?;
            for _ in 0..u.int_in_range(1..=4)? {
                let at = u.choose_index(bytes.len())?;
                match u.int_in_range(0..=2u8)? {
                    0 => bytes[at] = u8::arbitrary(u)?,
                    1 => bytes.truncate(at.max(7)),
                    _ => bytes.insert(at, u8::arbitrary(u)?),
                }
            }
            bytes
        }
        _ => forged(u)?,
    };
    let now = NOW + u.int_in_range(0..=10_000_000)?;
    check(&bytes, now);
    Ok(())
}

/// Versions restart when a store is loaded; everything else must match.
fn without_versions(dump: Vec<(String, String)>) -> Vec<(String, String)> {
    dump.into_iter()
        .map(|(k, v)| {
            let v = if k.contains(":s:") {
                v.split_once(' ')
                    .map_or(v.clone(), |(_, rest)| rest.to_owned())
            } else {
                v
            };
            (k, v)
        })
        .collect()
}

fn check(bytes: &[u8], now: u64) {
    let store = MemoryStore::new();
    let loaded = store.load_snapshot(bytes, now);
    let n = match loaded {
        Err(e) => {
            crate::check_error(&e);
            assert_eq!(e.name(), "storeError", "{e:?}");
            assert!(
                store.dump().is_empty(),
                "a failed load changed the store: {:?}",
                store.dump()
            );
            return;
        }
        Ok(n) => n,
    };
    assert!(
        store.record_count() <= n,
        "{} records of {n}",
        store.record_count()
    );
    // Save and load again: the same store.
    let mut saved = Vec::new();
    let count = store.save_snapshot(&mut saved).expect("save to memory");
    assert_eq!(count, store.record_count());
    let again = MemoryStore::new();
    assert_eq!(again.load_snapshot(&saved[..], now).ok(), Some(count));
    assert_eq!(
        without_versions(again.dump()),
        without_versions(store.dump()),
        "a loaded snapshot does not round-trip"
    );
    // The loaded store answers listings and sweeps.
    let apps: BTreeSet<String> = store
        .dump()
        .iter()
        // A tag is `{app}`, or `{app:n}` for a shard of an app over several.
        .filter_map(|(k, _)| {
            let tag = k.strip_prefix("rs:{")?.split_once('}')?.0;
            Some(tag.split(':').next()?.to_owned())
        })
        .collect();
    let sessions = Sessions::new(store)
        .with_clock(ManualClock::new(now))
        .with_auto_sweep(None);
    let mut calls = vec![("sweep", serde_json::json!({"limit": 10_000}))];
    for app in &apps {
        calls.push(("soapp", serde_json::json!({"app": app, "dt": 1u64 << 40})));
        calls.push((
            "activity",
            serde_json::json!({"app": app, "dt": 1u64 << 40}),
        ));
        calls.push(("killall", serde_json::json!({"app": app})));
    }
    for (op, input) in calls {
        let request = Request::parse(op, &input).expect("valid input");
        match sessions.run(request.into_op(now).expect("an operation")) {
            Ok(r) => {
                let parsed = crate::parse_json(&r.to_json_text(), "the answer");
                assert_eq!(
                    parsed,
                    r.to_json(),
                    "{op}: to_json_text and to_json disagree"
                );
            }
            Err(e) => {
                crate::check_error(&e);
                assert_eq!(e.name(), "storeError", "{op}: {e:?}");
            }
        }
    }
}

/// A real snapshot of a few sessions.
fn real(u: &mut Unstructured<'_>) -> Result<Vec<u8>> {
    let clock = ManualClock::new(NOW - 5_000);
    // One shard per app, or several: the snapshot files each session under its shard.
    let shards = Shards::new(*u.choose(&[1, 4, 16])?).expect("a shard count");
    let sessions = Sessions::new(MemoryStore::new())
        .with_shards(shards)
        .with_clock(clock.clone());
    for i in 0..u.int_in_range(1..=3)? {
        let mut create = Create::new(if i == 2 { "blog" } else { "shop" }, format!("u{i}"), "::1")
            .ttl(u.int_in_range(10..=100_000)?);
        if bool::arbitrary(u)? {
            create = create.data(Patch::new().set("k", i).set("s", "é\"\n"));
        }
        if bool::arbitrary(u)? {
            create = create.no_resave(true).lifetime(u.int_in_range(10..=1000)?);
        }
        sessions.create(create).expect("create");
    }
    let mut out = Vec::new();
    sessions.store().save_snapshot(&mut out).expect("save");
    Ok(out)
}

fn put_varint(out: &mut Vec<u8>, mut n: u64) {
    while n >= 0x80 {
        out.push((n as u8) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

/// A snapshot in the documented format, with apps, handles and records drawn from the
/// bytes (records forged as the `records` target forges them, or anything).
fn forged(u: &mut Unstructured<'_>) -> Result<Vec<u8>> {
    let mut out = b"SCSNAP".to_vec();
    out.push(if u.ratio(31, 32)? {
        2
    } else {
        u8::arbitrary(u)?
    });
    let n = u.int_in_range(0..=5u64)?;
    put_varint(&mut out, n);
    for _ in 0..n {
        let app = if u.ratio(3, 4)? {
            (*u.choose(&["shop", "blog"])?).to_owned()
        } else {
            draw::text(u)?
        };
        put_varint(&mut out, app.len() as u64);
        out.extend_from_slice(app.as_bytes());
        let handle: [u8; 16] = if bool::arbitrary(u)? {
            [u.int_in_range(0..=2u8)?; 16]
        } else {
            <[u8; 16]>::arbitrary(u)?
        };
        out.extend_from_slice(&handle);
        let record = if u.ratio(7, 8)? {
            crate::records::forged_at(u, NOW)?
        } else {
            Vec::<u8>::arbitrary(u)?
        };
        put_varint(&mut out, record.len() as u64);
        out.extend_from_slice(&record);
    }
    if draw::rare(u, 16)? {
        out.extend_from_slice(&Vec::<u8>::arbitrary(u)?);
    }
    Ok(out)
}
