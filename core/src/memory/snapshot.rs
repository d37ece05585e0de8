//! Snapshots of a [`MemoryStore`]: how a server restart logs nobody out.
//!
//! Only the session records are saved. Every index entry is derived from a record (its last
//! access, expiry, creation time and user id), so loading replays the same index writes the
//! operations make, and a snapshot cannot hold an index that disagrees with its records.
//!
//! File format: the magic bytes `SCSNAP`, a format byte (3), then a postcard-encoded list of
//! `(app, shard, shards, handle bytes, record bytes)`. Format 2 (before shards: `(app, handle
//! bytes, record bytes)`, one shard per app) is still read.

use super::MemoryStore;
use crate::error::Error;
use crate::keys::Key;
use crate::ops::index::{self, Expiry};
use crate::record::Record;
use crate::shard::Shards;
use crate::store::{Command, Expect, Member, SyncStore};
use crate::token::{HANDLE_BYTES, Handle};
use crate::validate::App;
use std::io::{Read, Write};

const MAGIC: &[u8; 6] = b"SCSNAP";
const FORMAT: u8 = 3;
/// The format before shards: every app had one.
const FORMAT_UNSHARDED: u8 = 2;

type Entry = (String, u8, u8, [u8; HANDLE_BYTES], Vec<u8>);
type UnshardedEntry = (String, [u8; HANDLE_BYTES], Vec<u8>);

impl MemoryStore {
    /// Writes every session record to `out`; returns how many.
    ///
    /// ```
    /// use session_core::{Create, MemoryStore, Sessions};
    /// let a = Sessions::new(MemoryStore::new());
    /// let t = a.create(Create::new("shop", "u1", "::1")).unwrap();
    /// let mut file = Vec::new();
    /// assert_eq!(a.store().save_snapshot(&mut file).unwrap(), 1);
    ///
    /// let b = Sessions::new(MemoryStore::new());
    /// assert_eq!(b.store().load_snapshot(&file[..], b.now()).unwrap(), 1);
    /// assert_eq!(b.get("shop", &t).unwrap().unwrap().id, "u1");
    /// ```
    pub fn save_snapshot(&self, mut out: impl Write) -> std::io::Result<usize> {
        let entries: Vec<Entry> = {
            let inner = self.lock();
            inner
                .apps
                .iter()
                .flat_map(|(tag, space)| {
                    space.records().map(|(h, bytes)| {
                        let app = tag.app().as_str().to_owned();
                        let shards = tag.shards().count();
                        (app, tag.shard(), shards, *h.as_bytes(), bytes.to_vec())
                    })
                })
                .collect()
        };
        out.write_all(MAGIC)?;
        out.write_all(&[FORMAT])?;
        postcard::to_io(&entries, &mut out).map_err(std::io::Error::other)?;
        out.flush()?;
        Ok(entries.len())
    }

    /// Loads the sessions of a snapshot that are still alive at `now` (milliseconds), with all
    /// their index entries; returns how many. Sessions already in the store are overwritten.
    pub fn load_snapshot(&self, mut input: impl Read, now: u64) -> Result<usize, Error> {
        let bad = |what: String| Error::store(format!("the snapshot is not readable: {what}"));
        let mut bytes = Vec::new();
        input
            .read_to_end(&mut bytes)
            .map_err(|e| bad(e.to_string()))?;
        let entries: Vec<Entry> = match bytes.strip_prefix(MAGIC.as_slice()) {
            Some([FORMAT, body @ ..]) => {
                postcard::from_bytes(body).map_err(|e| bad(e.to_string()))?
            }
            Some([FORMAT_UNSHARDED, body @ ..]) => {
                let old: Vec<UnshardedEntry> =
                    postcard::from_bytes(body).map_err(|e| bad(e.to_string()))?;
                old.into_iter()
                    .map(|(app, h, v)| (app, 0, 1, h, v))
                    .collect()
            }
            Some([v, ..]) => {
                return Err(bad(format!(
                    "format {v}; this build reads {FORMAT_UNSHARDED} and {FORMAT}"
                )));
            }
            _ => return Err(bad("it does not start with SCSNAP".into())),
        };
        let mut live = Vec::with_capacity(entries.len());
        // A session appears once: a second record under the same handle would overwrite the
        // first and leave its index entries behind (a user id it no longer has).
        let mut seen = std::collections::HashSet::with_capacity(entries.len());
        for (app, shard, shards, handle, value) in entries {
            if !seen.insert((app.clone(), handle)) {
                return Err(bad(format!("it holds a session of app {app:?} twice")));
            }
            let rec = Record::decode(&value)?;
            if rec.alive_at(now) {
                let app =
                    App::new(&app).map_err(|_| bad(format!("the app name {app:?} is invalid")))?;
                let shards = Shards::new(shards.into())
                    .map_err(|_| bad(format!("app {app} has {shards} shards")))?;
                let handle = Handle::from_bytes(handle);
                // Anywhere else, the session could not be found by its token.
                if shards.of_handle(&handle) != shard {
                    return Err(bad(format!(
                        "a session of app {app} is filed in shard {shard} of {}, not its own",
                        shards.count()
                    )));
                }
                live.push((shards.tag(app, shard), handle, rec));
            }
        }
        // Oldest access first, so each user's `_users` score ends at their latest access.
        live.sort_by_key(|(_, _, rec)| rec.last);
        for (app, handle, rec) in &live {
            let mut batch = Vec::with_capacity(6);
            index::save(
                &mut batch,
                app,
                *handle,
                rec,
                now,
                Expect::Any,
                Expiry::Exact,
            );
            // When a handle was issued is not in its record: its creation stands in (it only
            // orders paged listings).
            index::enlist(&mut batch, app, *handle, rec, rec.created);
            self.apply(batch).map_err(|e| Error::store(e.to_string()))?;
            let register = vec![Command::ZAdd {
                key: Key::Apps,
                member: Member::App(app.app()),
                score: rec.created,
            }];
            self.apply(register)
                .map_err(|e| Error::store(e.to_string()))?;
        }
        Ok(live.len())
    }
}

#[cfg(test)]
mod tests {
    use crate::{Create, ManualClock, MemoryStore, Patch, Sessions};

    #[test]
    fn a_snapshot_restores_sessions_and_every_index() {
        let clock = ManualClock::new(1_000_000);
        let a = Sessions::new(MemoryStore::new()).with_clock(clock.clone());
        let keep = a
            .create(Create::new("shop", "ann", "::1").data(Patch::new().set("k", 1)))
            .unwrap();
        a.create(Create::new("shop", "ann", "::2")).unwrap();
        a.create(Create::new("blog", "bob", "::3").ttl(10)).unwrap();
        clock.advance(5_000);
        a.get("shop", &keep).unwrap();
        let mut file = Vec::new();
        assert_eq!(a.store().save_snapshot(&mut file).unwrap(), 3);

        // Loaded later: bob's 10 s session has expired and is left out.
        clock.advance(6_000);
        let b = Sessions::new(MemoryStore::new()).with_clock(clock.clone());
        assert_eq!(b.store().load_snapshot(&file[..], b.now()).unwrap(), 2);
        // The indexes match what the same operations would have built.
        let mut expected = a.store().dump();
        expected.retain(|(k, _)| !k.contains("{blog}"));
        let mut got = b.store().dump();
        // Loading writes exact expiries, where the live store kept a lower bound for the
        // session that was read (both are valid `_expiry` entries); the registry keeps
        // creation times. Everything else must match exactly.
        let exact = got
            .iter()
            .find(|(k, _)| k.ends_with("_expiry"))
            .unwrap()
            .1
            .clone();
        assert!(exact.contains("=8205000"), "{exact}");
        let skip = |k: &str| k == "rs:_apps" || k.ends_with("_expiry");
        expected.retain(|(k, _)| !skip(k));
        got.retain(|(k, _)| !skip(k));
        let strip = |v: Vec<(String, String)>| -> Vec<(String, String)> {
            // Versions restart at 1 on load.
            v.into_iter()
                .map(|(k, c)| {
                    (
                        k,
                        c.split_once(' ').map_or(c.clone(), |(_, b)| b.to_owned()),
                    )
                })
                .collect()
        };
        assert_eq!(strip(got), strip(expected));
        assert_eq!(b.soid("shop", "ann").unwrap().len(), 2);
        assert_eq!(b.activity("shop", 600).unwrap(), 1);
        assert_eq!(b.get("shop", &keep).unwrap().unwrap().r, 2);
    }

    #[test]
    fn unreadable_snapshots_are_store_errors() {
        let s = MemoryStore::new();
        assert_eq!(
            s.load_snapshot(&b"nope"[..], 0).unwrap_err().name(),
            "storeError"
        );
        assert_eq!(
            s.load_snapshot(&b"SCSNAP\x09"[..], 0).unwrap_err().name(),
            "storeError"
        );
        assert_eq!(
            s.load_snapshot(&b"SCSNAP\x01\xff\xff"[..], 0)
                .unwrap_err()
                .name(),
            "storeError"
        );
        assert_eq!(s.record_count(), 0);
    }

    /// Found by the `snapshot` fuzz target: a snapshot holding one session twice (under two
    /// user ids) loaded the second record over the first and kept the first one's index
    /// entries, so the indexes disagreed with the records.
    #[test]
    fn a_snapshot_with_a_session_twice_is_a_store_error() {
        let sessions = Sessions::new(MemoryStore::new());
        sessions.create(Create::new("shop", "u1", "::1")).unwrap();
        let mut file = Vec::new();
        sessions.store().save_snapshot(&mut file).unwrap();
        // SCSNAP, the format, the list's length (1), then the one entry: list it twice.
        assert_eq!(file[7], 1);
        let mut twice = file[..7].to_vec();
        twice.push(2);
        twice.extend_from_slice(&file[8..]);
        twice.extend_from_slice(&file[8..]);
        let s = MemoryStore::new();
        let e = s.load_snapshot(&twice[..], sessions.now()).unwrap_err();
        assert_eq!(e.name(), "storeError", "{e:?}");
        assert!(e.to_string().contains("twice"), "{e}");
        assert_eq!(s.record_count(), 0);
    }

    /// Found by the `snapshot` fuzz target: an invalid app name in a snapshot was reported as
    /// the caller's input error (`missingParameter`, `invalidFormat`).
    #[test]
    fn a_snapshot_with_an_invalid_app_is_a_store_error() {
        let sessions = Sessions::new(MemoryStore::new());
        sessions.create(Create::new("shop", "u1", "::1")).unwrap();
        let mut file = Vec::new();
        sessions.store().save_snapshot(&mut file).unwrap();
        // The entry's app is the first string of the list: its length, then "shop".
        let at = file.windows(4).position(|w| w == b"shop").unwrap();
        for (len, name) in [(0u8, &b""[..]), (4, b"a b!")] {
            let mut bad = file[..at - 1].to_vec();
            bad.push(len);
            bad.extend_from_slice(name);
            bad.extend_from_slice(&file[at + 4..]);
            let s = MemoryStore::new();
            let e = s.load_snapshot(&bad[..], sessions.now()).unwrap_err();
            assert_eq!(e.name(), "storeError", "{e:?}");
            assert!(e.to_string().contains("app name"), "{e}");
            assert_eq!(s.record_count(), 0);
        }
    }

    /// Each session's shard travels in the snapshot; one filed in another shard than its
    /// handle's (a forged or damaged file) could never be found by its token, so the file is
    /// refused.
    #[test]
    fn sharded_sessions_round_trip_and_a_session_in_a_foreign_shard_is_refused() {
        let shards = crate::Shards::new(16).unwrap();
        let sessions = Sessions::new(MemoryStore::new()).with_shards(shards);
        let t = sessions.create(Create::new("shop", "u1", "::1")).unwrap();
        let mut file = Vec::new();
        sessions.store().save_snapshot(&mut file).unwrap();
        let b = Sessions::new(MemoryStore::new()).with_shards(shards);
        assert_eq!(b.store().load_snapshot(&file[..], b.now()).unwrap(), 1);
        assert_eq!(b.get("shop", &t).unwrap().unwrap().id, "u1");
        // The entry: the app ("shop"), then its shard and the shard count (16).
        let at = file.windows(4).position(|w| w == b"shop").unwrap() + 4;
        assert_eq!(file[at + 1], 16);
        let mut moved = file.clone();
        moved[at] = (moved[at] + 1) % 16;
        let s = MemoryStore::new();
        let e = s.load_snapshot(&moved[..], b.now()).unwrap_err();
        assert_eq!(e.name(), "storeError", "{e:?}");
        assert!(e.to_string().contains("not its own"), "{e}");
        assert_eq!(s.record_count(), 0);
    }
}
