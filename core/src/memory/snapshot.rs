//! Snapshots of a [`MemoryStore`]: how a server restart logs nobody out.
//!
//! Only the session records are saved. Every index entry is derived from a record (its last
//! access, expiry, creation time and user id), so loading replays the same index writes the
//! operations make, and a snapshot cannot hold an index that disagrees with its records.
//!
//! A snapshot is of one instant, and is taken without stalling the batches that keep running
//! meanwhile: see the `cut` module.
//!
//! File format: the magic bytes `SCSNAP`, a format byte (3), then a postcard-encoded list of
//! `(app, shard, shards, handle bytes, record bytes)`. Format 2 (before shards: `(app, handle
//! bytes, record bytes)`, one shard per app) is still read.

use super::cut::{Cut, Sink};
use super::{Inner, MemoryStore};
use crate::error::Error;
use crate::keys::Key;
use crate::ops::index::{self, Expiry};
use crate::record::{Record, put_varint};
use crate::shard::{Shards, Tag};
use crate::store::{Command, Expect, Member, SyncStore};
use crate::token::{HANDLE_BYTES, Handle};
use crate::validate::App;
use std::io::{Read, Write};
use std::sync::MutexGuard;
use std::time::Duration;

const MAGIC: &[u8; 6] = b"SCSNAP";
const FORMAT: u8 = 3;
/// The format before shards: every app had one.
const FORMAT_UNSHARDED: u8 = 2;

/// One session in the file: `(app, shard, shards, handle bytes, record bytes)`.
pub(super) type Entry = (String, u8, u8, [u8; HANDLE_BYTES], Vec<u8>);
type UnshardedEntry = (String, [u8; HANDLE_BYTES], Vec<u8>);

impl MemoryStore {
    /// Writes every session record to `out`; returns how many. The same as
    /// [`MemoryStore::snapshot`], then [`Snapshot::write_to`].
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
    pub fn save_snapshot(&self, out: impl Write) -> std::io::Result<usize> {
        let snapshot = self.snapshot();
        snapshot.write_to(out)?;
        Ok(snapshot.sessions())
    }

    /// Takes a snapshot of every session record as they all are at one instant, while batches
    /// keep running: the records are copied 1,024 slots at a time, each step under the lock
    /// (tens of microseconds), with a pause between steps for the batches waiting. A batch is
    /// wholly in the snapshot or wholly out of it, however many records it writes: a batch
    /// that writes a record the copy has not reached yet first keeps the record's value of
    /// the snapshot's instant. Snapshots are taken one at a time: a second waits for the
    /// first.
    pub fn snapshot(&self) -> Snapshot {
        self.snapshot_in_steps(STEP)
    }

    /// [`MemoryStore::snapshot`] with steps of `slots` slots (at least 1): smaller steps hold
    /// the lock for less time each, and take longer in all. `usize::MAX` copies everything
    /// in one step, holding every other call until it ends, as snapshots were taken before
    /// they were taken in steps (the `snapshot_stall` benchmark compares them).
    pub fn snapshot_in_steps(&self, slots: usize) -> Snapshot {
        let step = slots.max(1);
        let mut walk = Walk::begin(self);
        while !walk.step(step) {
            pause(walk.held);
        }
        walk.finish()
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

/// Slots copied per step of a snapshot's walk (some tens of µs under the lock).
const STEP: usize = 256;

/// A snapshot of a [`MemoryStore`]: its sessions at one instant, encoded, ready to write.
/// Taken by [`MemoryStore::snapshot`]; read back by [`MemoryStore::load_snapshot`].
#[derive(Debug)]
pub struct Snapshot {
    /// The magic bytes, the format and the number of entries.
    head: Vec<u8>,
    /// The entries.
    body: Vec<u8>,
    sessions: usize,
}

impl Snapshot {
    /// How many sessions it holds.
    pub fn sessions(&self) -> usize {
        self.sessions
    }

    /// Its size in bytes, as [`Snapshot::write_to`] writes it.
    pub fn byte_len(&self) -> usize {
        self.head.len() + self.body.len()
    }

    /// Writes its bytes to `out` (a file, or a hasher to checksum it).
    pub fn write_to(&self, mut out: impl Write) -> std::io::Result<()> {
        out.write_all(&self.head)?;
        out.write_all(&self.body)?;
        out.flush()
    }
}

/// The entries of a snapshot, encoded as the walk copies them, in postcard's format: a list
/// is its length then its items; a tuple its fields in turn; a string or a byte list its
/// length (a LEB128 varint) then its bytes; a `u8` and each byte of an array one byte. So the
/// body is the list's items, and its length goes in the head once it is known. Written here
/// rather than through serde, which would write the record's bytes one call per byte, under
/// the lock (`load_snapshot` reads it back with postcard, and a test checks they agree).
#[derive(Default)]
struct Entries {
    body: Vec<u8>,
    count: usize,
}

impl Sink for Entries {
    fn record(&mut self, tag: &Tag, handle: Handle, value: &[u8]) {
        let app = tag.app();
        let b = &mut self.body;
        put_varint(b, app.as_str().len() as u64);
        b.extend_from_slice(app.as_str().as_bytes());
        b.push(tag.shard());
        b.push(tag.shards().count());
        b.extend_from_slice(handle.as_bytes());
        put_varint(b, value.len() as u64);
        b.extend_from_slice(value);
        self.count += 1;
    }
}

impl Entries {
    /// Moves `step`'s entries to the end of these (outside the lock: growing a large buffer
    /// may copy it, and its new pages fault in as they are written).
    fn append(&mut self, step: &mut Entries) {
        self.body.extend_from_slice(&step.body);
        self.count += step.count;
        step.body.clear();
        step.count = 0;
    }

    fn finish(self) -> Snapshot {
        let mut head = Vec::with_capacity(MAGIC.len() + 11);
        head.extend_from_slice(MAGIC);
        head.push(FORMAT);
        put_varint(&mut head, self.count as u64);
        Snapshot {
            head,
            body: self.body,
            sessions: self.count,
        }
    }
}

/// A snapshot being taken: the cut is set in the store while this lives.
pub(crate) struct Walk<'a> {
    store: &'a MemoryStore,
    entries: Entries,
    /// One step's entries: copied under the lock into this small buffer, reused from step to
    /// step (its pages are in memory already), then appended to `entries` after the lock.
    step: Entries,
    /// How long the last step held the lock.
    held: Duration,
    /// One snapshot at a time (the store holds one cut); the size of the last one's entries.
    alone: MutexGuard<'a, usize>,
}

impl<'a> Walk<'a> {
    /// Fixes the cut (waiting for a snapshot in progress to end first).
    pub(crate) fn begin(store: &'a MemoryStore) -> Self {
        let alone = store.snapshots.lock().unwrap_or_else(|e| e.into_inner());
        // Room for as much as last time, and some growth.
        let mut entries = Entries::default();
        entries.body.reserve(*alone + *alone / 8);
        let mut inner = store.lock();
        inner.cut = Some(Cut::new(&inner.apps));
        drop(inner);
        Self {
            store,
            entries,
            step: Entries::default(),
            held: Duration::ZERO,
            alone,
        }
    }

    /// Copies up to `budget` more slots under the lock; true when every slot is walked.
    pub(crate) fn step(&mut self, budget: usize) -> bool {
        let walked = {
            let mut inner = self.store.lock();
            let held = Stopwatch::start();
            let Inner { apps, cut, .. } = &mut *inner;
            let Some(cut) = cut else {
                return true;
            };
            cut.step(apps, budget, &mut self.step);
            self.held = held.elapsed();
            cut.walked()
        };
        self.entries.append(&mut self.step);
        walked
    }

    /// Walks what is left in one go, ends the cut and adds the records it kept.
    pub(crate) fn finish(mut self) -> Snapshot {
        while !self.step(usize::MAX) {}
        let cut = self.store.lock().cut.take();
        if let Some(cut) = cut {
            for (tag, handle, value) in cut.into_kept() {
                self.entries.record(&tag, handle, &value);
            }
        }
        *self.alone = self.entries.body.len();
        std::mem::take(&mut self.entries).finish()
    }
}

impl Drop for Walk<'_> {
    /// A walk given up (an error) ends its cut, so that writes stop keeping values for it.
    fn drop(&mut self) {
        self.store.lock().cut = None;
    }
}

/// Times how long a step holds the lock (nothing on wasm, which has no clock in `std`).
struct Stopwatch {
    #[cfg(not(target_family = "wasm"))]
    started: std::time::Instant,
}

impl Stopwatch {
    fn start() -> Self {
        Self {
            #[cfg(not(target_family = "wasm"))]
            started: std::time::Instant::now(),
        }
    }

    fn elapsed(&self) -> Duration {
        #[cfg(not(target_family = "wasm"))]
        return self.started.elapsed();
        #[cfg(target_family = "wasm")]
        Duration::ZERO
    }
}

/// Between two steps of a walk whose last step held the lock for `held`: three times as
/// long (so that the walk holds the lock a quarter of the time at most), and at least long
/// enough for the batches waiting for the lock to take it (a thread woken from the lock's
/// queue needs some microseconds to run). On wasm there is one thread, and nothing to wait
/// for.
fn pause(held: Duration) {
    #[cfg(not(target_family = "wasm"))]
    std::thread::sleep((held * 3).max(Duration::from_micros(50)));
    #[cfg(target_family = "wasm")]
    let _ = held;
}

#[cfg(test)]
mod tests {
    use crate::record::Record;
    use crate::{Create, ManualClock, MemoryStore, Patch, Sessions};

    /// The entries are encoded by hand: postcard reads them as the format says, with lengths
    /// of one, two and three varint bytes (a value over 16 KiB, over 127 entries).
    #[test]
    fn the_encoding_is_postcards() {
        let a = Sessions::new(MemoryStore::new()).with_auto_sweep(None);
        let big = Patch::new().set("blob", "x".repeat(40_000));
        a.create(Create::new("a-twenty-char-app-id", "big", "::1").data(big))
            .unwrap();
        for i in 0..200 {
            a.create(Create::new("shop", format!("u{i}"), "::1"))
                .unwrap();
        }
        let mut file = Vec::new();
        assert_eq!(a.store().save_snapshot(&mut file).unwrap(), 201);
        let entries: Vec<super::Entry> = postcard::from_bytes(&file[7..]).unwrap();
        assert_eq!(entries.len(), 201);
        let (app, shard, shards, _, value) = entries.iter().find(|e| e.0 != "shop").unwrap();
        assert_eq!(
            (app.as_str(), *shard, *shards),
            ("a-twenty-char-app-id", 0, 1)
        );
        let d = Record::decode(value).unwrap().d.unwrap();
        assert!(d.contains(&"x".repeat(40_000)), "{}", d.len());
        // And the same bytes as postcard writes them.
        assert_eq!(postcard::to_allocvec(&entries).unwrap(), file[7..].to_vec());
    }

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

    /// Threads write while snapshots are taken. Each writer owns a group of sessions spread
    /// over the store's slots, and each of its batches writes the whole group at once (as
    /// `killsoid`, `killall` or a sweep writes many records in one batch): every record with
    /// the batch's number, or, every third batch, none (all deleted, so that they move to
    /// other slots when written again). Another thread reads, creates and kills sessions
    /// through the engine (batches of one record). Every snapshot loads, and holds each group
    /// wholly or not at all: all its records with one batch's number, never older than in the
    /// snapshot before, or none of them.
    #[test]
    fn snapshots_taken_under_load_hold_each_batch_wholly_or_not_at_all() {
        use crate::ops::index::{self, Expiry};
        use crate::shard::Tag;
        use crate::store::{Batch, Expect, SyncStore};
        use crate::token::Handle;
        use crate::validate::{App, UserId};
        use std::collections::BTreeMap;
        use std::sync::atomic::{AtomicBool, Ordering};

        const WRITERS: u8 = 2;
        const GROUP: u8 = 8;
        const BULK: usize = 6_000;
        const SNAPSHOTS: usize = 12;
        const MARK: &[u8; 8] = b"GROUPMEM";
        let sessions = Sessions::new(MemoryStore::new()).with_auto_sweep(None);
        let now = sessions.now();
        let tag = Tag::unsharded(App::from_stored("bulk"));
        let member = |w: u8, j: u8| {
            let mut b = [0u8; 16];
            b[..8].copy_from_slice(MARK);
            (b[8], b[9]) = (w, j);
            Handle::from_bytes(b)
        };
        let user = |w: u8| UserId::from_stored(&format!("writer{w}"));
        // Writer `w`'s batch number `k`: its whole group written with `k`, or deleted.
        let batch = |w: u8, k: u64| -> Batch {
            let mut batch = Vec::new();
            for j in 0..GROUP {
                let h = member(w, j);
                if k % 3 == 0 {
                    index::remove(&mut batch, &tag, h, Some(&user(w)), Expect::Any);
                    continue;
                }
                let rec = Record {
                    id: user(w),
                    ip: "::1".into(),
                    r: 1,
                    w: 1,
                    ttl: 86_400,
                    created: now,
                    last: now,
                    no_resave: false,
                    lifetime: None,
                    d: Some(format!("{{\"k\":{k}}}")),
                };
                index::save(&mut batch, &tag, h, &rec, now, Expect::Any, Expiry::Exact);
                index::enlist(&mut batch, &tag, h, &rec, now);
            }
            batch
        };
        // Bulk sessions, so that a walk takes many steps, with the groups' records among them.
        let mut tokens = Vec::new();
        for i in 0..BULK {
            let c = Create::new("bulk", format!("u{}", i % 2_000), "::1");
            tokens.push(sessions.create(c).unwrap());
            if i % (BULK / usize::from(GROUP)) == 0 {
                let j = u8::try_from(i / (BULK / usize::from(GROUP))).unwrap();
                for w in 0..WRITERS {
                    let mut one = batch(w, 1);
                    // Only member j's five commands (save and enlist), in its slot now.
                    one.drain(..usize::from(j) * 5);
                    one.truncate(5);
                    sessions.store().apply(one).unwrap();
                }
            }
        }
        /// Stops the threads when the checks end, or fail (a scope waits for its threads).
        struct Stop<'a>(&'a AtomicBool);
        impl Drop for Stop<'_> {
            fn drop(&mut self) {
                self.0.store(true, Ordering::Relaxed);
            }
        }
        let stop = AtomicBool::new(false);
        std::thread::scope(|scope| {
            for w in 0..WRITERS {
                let (sessions, stop, batch) = (&sessions, &stop, &batch);
                scope.spawn(move || {
                    let mut k = 2;
                    while !stop.load(Ordering::Relaxed) {
                        sessions.store().apply(batch(w, k)).unwrap();
                        k += 1;
                    }
                });
            }
            let (engine, stop_engine, tokens) = (&sessions, &stop, &tokens);
            scope.spawn(move || {
                let mut i = 0usize;
                while !stop_engine.load(Ordering::Relaxed) {
                    i += 1;
                    engine
                        .get("bulk", &tokens[(i * 7_919) % tokens.len()])
                        .unwrap();
                    let t = engine
                        .create(Create::new("bulk", "passing", "::1"))
                        .unwrap();
                    engine.kill("bulk", &t).unwrap();
                }
            });

            let _stop = Stop(&stop);
            let mut latest = [0u64; WRITERS as usize];
            let mut seen_whole = 0;
            for _ in 0..SNAPSHOTS {
                let snapshot = sessions.store().snapshot_in_steps(16);
                let mut file = Vec::new();
                snapshot.write_to(&mut file).unwrap();
                let entries: Vec<super::Entry> = postcard::from_bytes(&file[7..]).unwrap();
                let mut groups = vec![BTreeMap::<u8, u64>::new(); WRITERS.into()];
                for (_, _, _, handle, value) in &entries {
                    if handle.starts_with(MARK) {
                        let d = Record::decode(value).unwrap().d.unwrap();
                        let k = d["{\"k\":".len()..d.len() - 1].parse().unwrap();
                        groups[usize::from(handle[8])].insert(handle[9], k);
                    }
                }
                for (w, group) in groups.iter().enumerate() {
                    if group.is_empty() {
                        continue; // Deleted by one batch.
                    }
                    let k = group.values().copied().max().unwrap_or_default();
                    assert!(
                        group.len() == usize::from(GROUP) && group.values().all(|&v| v == k),
                        "writer {w}: not one batch's group: {group:?}"
                    );
                    assert!(k >= latest[w], "writer {w}: batch {k} after {}", latest[w]);
                    latest[w] = k;
                    seen_whole += 1;
                }
                // The file loads, with every index entry rebuilt.
                let b = Sessions::new(MemoryStore::new());
                assert_eq!(
                    b.store().load_snapshot(&file[..], now).unwrap(),
                    entries.len()
                );
                for (w, group) in groups.iter().enumerate() {
                    let listed = b.soid("bulk", &format!("writer{w}")).unwrap().len();
                    assert_eq!(listed, group.len());
                }
            }
            assert!(seen_whole > 0, "no snapshot held a group");
            assert!(
                latest.iter().all(|&k| k > 1),
                "the writers never ran: {latest:?}"
            );
        });
    }
}
