//! [`Records`]: the session records this store last read or wrote, kept coherent by versions.
//!
//! Every operation on one session reads its record and then writes or deletes it on
//! condition that its version has not changed (the core marks that read `cached`). Such a
//! read may come from here: if another process changed the record since, the write
//! conflicts, the script answers with the record as it is now, this cache takes it, and the
//! retry goes through at once. So an uncontended `get`, `set` or `touch` of a session this
//! process has seen costs one round trip (the write), and a stale copy costs one more, never
//! a wrong answer. Reads the core does not mark (listings, sweeps) always go to Redis.

use quick_cache::sync::Cache;
use session_core::store::{Batch, Command, Reply, Stored};
use session_core::{Handle, Key, Tag};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// A cached record: its version, its bytes, and whether it was learned from a conflict.
#[derive(Clone)]
struct Entry {
    version: u64,
    value: Arc<[u8]>,
    /// Learned from a conflict's reply: if a write on it conflicts again, the race is real
    /// (not a stale copy), and the contenders should spread out.
    from_conflict: bool,
}

/// The cache (or nothing, when disabled).
pub(crate) struct Records {
    cache: Option<Cache<(Tag, Handle), Entry>>,
    /// How many times the connection was lost, and the count the cache is current with.
    losses: Arc<AtomicU64>,
    seen: AtomicU64,
}

impl Records {
    /// A cache of at most `capacity` records (0: no cache), emptied whenever `losses` grows.
    pub(crate) fn new(capacity: usize, losses: Arc<AtomicU64>) -> Self {
        let seen = AtomicU64::new(losses.load(Ordering::Acquire));
        Self {
            cache: (capacity > 0).then(|| Cache::new(capacity)),
            losses,
            seen,
        }
    }

    /// The cache, emptied first if the connection was lost since it was last used: the
    /// server may since have restarted from older data, or been replaced by a replica, and
    /// versions alone cannot tell a copy from before that apart.
    fn current(&self) -> Option<&Cache<(Tag, Handle), Entry>> {
        let cache = self.cache.as_ref()?;
        let losses = self.losses.load(Ordering::Acquire);
        if self.seen.swap(losses, Ordering::AcqRel) != losses {
            cache.clear();
        }
        Some(cache)
    }

    /// Forgets every record: after a failure, nobody knows what Redis holds.
    pub(crate) fn clear(&self) {
        if let Some(cache) = &self.cache {
            cache.clear();
        }
    }

    /// The cached record under `key`, for a `cached` read.
    pub(crate) fn get(&self, key: &Key) -> Option<Stored> {
        let (cache, Key::Session(app, h)) = (self.current()?, key) else {
            return None;
        };
        cache.get(&(*app, *h)).map(|e| Stored {
            value: e.value.to_vec(),
            version: e.version,
        })
    }

    fn put(&self, key: &Key, stored: Option<(u64, &[u8])>, from_conflict: bool) {
        let (Some(cache), Key::Session(app, h)) = (self.current(), key) else {
            return;
        };
        match stored {
            Some((version, value)) => cache.insert(
                (*app, *h),
                Entry {
                    version,
                    value: value.into(),
                    from_conflict,
                },
            ),
            None => {
                cache.remove(&(*app, *h));
            }
        }
    }

    /// Learns from an applied batch: what each read found, what each write left.
    pub(crate) fn learn(&self, batch: &Batch, replies: &[Reply], written: &[(usize, u64)]) {
        if self.cache.is_none() {
            return;
        }
        for (i, cmd) in batch.iter().enumerate() {
            match (cmd, replies.get(i)) {
                (Command::Get { key, .. }, Some(Reply::Record(r))) => {
                    self.put(key, r.as_ref().map(|s| (s.version, &s.value[..])), false);
                }
                (Command::Put { key, value, .. }, _) => {
                    let version = written.iter().find(|(c, _)| *c == i).map(|(_, v)| *v);
                    self.put(key, version.map(|v| (v, &value[..])), false);
                }
                (Command::Delete { key, .. }, _) => self.put(key, None, false),
                _ => {}
            }
        }
    }

    /// Learns the records a conflict reported (by their keys); true when one of them had
    /// been learned from a conflict already: a real race, not a stale copy.
    pub(crate) fn learn_conflict(&self, current: Vec<(&Key, Option<Stored>)>) -> bool {
        let Some(cache) = self.current() else {
            return true;
        };
        let mut again = false;
        for (key, stored) in current {
            if let Key::Session(app, h) = key {
                again |= cache.get(&(*app, *h)).is_some_and(|e| e.from_conflict);
            }
            self.put(
                key,
                stored.as_ref().map(|s| (s.version, &s.value[..])),
                true,
            );
        }
        again
    }

    /// Forgets every record a batch wrote or read.
    pub(crate) fn forget(&self, batch: &Batch) {
        for cmd in batch {
            self.put(cmd.key(), None, false);
        }
    }
}
