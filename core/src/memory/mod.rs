//! [`MemoryStore`]: the embedded, in-process store.

mod members;
mod names;
mod order;
mod snapshot;
mod space;
#[cfg(test)]
mod tests;
mod zset;

use crate::keys::Key;
use crate::store::{ApplyError, Batch, Command, Reply, SyncStore};
use crate::validate::App;
use hashbrown::HashMap;
use space::{Set, Space};
use std::sync::{Mutex, MutexGuard};
use zset::ZSet;

/// The embedded store: every app's records and sorted sets in this process, behind one lock.
///
/// - **Thread-safe.** A batch runs under the lock, so it is atomic and isolated.
/// - **Fast.** Everything stored under one session handle (its record, its scores in
///   `_sessions` and `_expiry`) sits in one slot, found with one hash lookup; sorted sets are
///   B-trees of slot numbers (a small vector for one user's sessions). Every command is
///   O(log n) or better, and range and count commands cost what they return, not the size of
///   the set.
/// - **Compact.** A handle is stored once, inline in its slot, however many sets hold it.
/// - **No leak.** It ignores TTL hints: expired sessions are reclaimed by `sweep`, which the
///   [`Sessions`](crate::Sessions) driver runs in small bounded steps inside ordinary calls,
///   so sessions that nobody reads again still go away.
///
/// ```
/// use session_core::{Create, MemoryStore, Sessions};
/// let sessions = Sessions::new(MemoryStore::new());
/// let token = sessions.create(Create::new("shop", "u1", "10.0.0.1")).unwrap();
/// assert_eq!(sessions.get("shop", &token).unwrap().unwrap().id, "u1");
/// ```
#[derive(Debug, Default)]
pub struct MemoryStore {
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    apps: HashMap<String, Space>,
    registry: ZSet,
}

/// The app's sorted set that `key` names, or `None` for the registry ([`Key::Apps`]).
fn set_of(key: &Key) -> Result<Option<(&App, Set<'_>)>, ApplyError> {
    Ok(match key {
        Key::Sessions(app) => Some((app, Set::Sessions)),
        Key::Expiry(app) => Some((app, Set::Expiry)),
        Key::Users(app) => Some((app, Set::Users)),
        Key::UserSessions(app, id) => Some((app, Set::User(id.as_str()))),
        Key::Apps => None,
        Key::Session(..) => return Err(not_a_zset(key)),
    })
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock cannot leave a batch half applied (expectations are
        // checked before anything changes, and applying does not fail), so the data is sound.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// How many session records the store holds, over all apps (live or not yet swept).
    pub fn record_count(&self) -> usize {
        self.lock().apps.values().map(Space::record_count).sum()
    }

    /// A canonical dump of everything stored, for tests that compare states: each key
    /// rendered under namespace `rs`, with the record version and bytes or the sorted members.
    pub fn dump(&self) -> Vec<(String, String)> {
        let inner = self.lock();
        let mut out = Vec::new();
        if !inner.registry.is_empty() {
            let mut m: Vec<String> = inner
                .registry
                .iter()
                .map(|(m, s)| format!("{m}={s}"))
                .collect();
            m.sort();
            out.push((Key::Apps.render("rs"), m.join(",")));
        }
        for (app, space) in &inner.apps {
            for (key, content) in space.dump() {
                out.push((format!("rs:{{{app}}}:{key}"), content));
            }
        }
        out.sort();
        out
    }
}

impl Inner {
    fn space(&self, app: &App) -> Option<&Space> {
        self.apps.get(app.as_str())
    }

    fn space_mut(&mut self, app: &App) -> &mut Space {
        self.apps.entry_ref(app.as_str()).or_default()
    }

    /// Drops the app's space once nothing is stored in it.
    fn drop_if_empty(&mut self, app: &App) {
        if self.space(app).is_some_and(Space::is_empty) {
            self.apps.remove(app.as_str());
        }
    }

    fn version(&self, key: &Key) -> Option<u64> {
        match key {
            Key::Session(app, h) => self.space(app)?.version(h.as_str()),
            _ => None,
        }
    }

    /// Whether the sorted set under `key` has no members.
    fn set_is_empty(&self, key: &Key) -> Result<bool, ApplyError> {
        Ok(match set_of(key)? {
            Some((app, set)) => self.space(app).is_none_or(|s| s.set_is_empty(set)),
            None => self.registry.is_empty(),
        })
    }

    /// Removes `member` from the sorted set under `key`; true when it was there.
    fn remove(&mut self, key: &Key, member: &str) -> Result<bool, ApplyError> {
        let Some((app, set)) = set_of(key)? else {
            return Ok(self.registry.remove(member));
        };
        let Some(space) = self.apps.get_mut(app.as_str()) else {
            return Ok(false);
        };
        let removed = space.remove(set, member);
        self.drop_if_empty(app);
        Ok(removed)
    }

    fn run(&mut self, cmd: Command) -> Result<Reply, ApplyError> {
        Ok(match cmd {
            Command::Get { key } => {
                let Key::Session(app, h) = &key else {
                    return Err(not_a_record(&key));
                };
                Reply::Record(self.space(app).and_then(|s| s.get(h.as_str())))
            }
            Command::Put { key, value, .. } => {
                let Key::Session(app, h) = &key else {
                    return Err(not_a_record(&key));
                };
                self.space_mut(app).put(h.as_str(), value);
                Reply::Done
            }
            Command::Delete { key, .. } => {
                let Key::Session(app, h) = &key else {
                    return Err(not_a_record(&key));
                };
                let removed = self
                    .apps
                    .get_mut(app.as_str())
                    .is_some_and(|s| s.delete(h.as_str()));
                self.drop_if_empty(app);
                Reply::Removed(removed)
            }
            Command::ZAdd { key, member, score } => {
                match set_of(&key)? {
                    Some((app, set)) => self.space_mut(app).add(set, &member, score),
                    None => self.registry.add(member.into(), score),
                }
                Reply::Done
            }
            Command::ZRem { key, member } => Reply::Removed(self.remove(&key, &member)?),
            Command::ZRemIfEmpty {
                key,
                member,
                watched,
            } => Reply::Removed(self.set_is_empty(&watched)? && self.remove(&key, &member)?),
            Command::ZRange {
                key,
                min,
                max,
                limit,
                rev,
            } => Reply::Members(match set_of(&key)? {
                Some((app, set)) => self
                    .space(app)
                    .map(|s| s.range(set, min, max, limit, rev))
                    .unwrap_or_default(),
                None => self.registry.range(min, max, limit, rev),
            }),
            Command::ZCount { key, min, max } => Reply::Count(match set_of(&key)? {
                Some((app, set)) => self.space(app).map_or(0, |s| s.count(set, min, max)),
                None => self.registry.count(min, max),
            }),
        })
    }
}

fn not_a_record(key: &Key) -> ApplyError {
    ApplyError::Store(format!("{} is not a record key", key.render("rs")))
}

fn not_a_zset(key: &Key) -> ApplyError {
    ApplyError::Store(format!("{} is not a sorted-set key", key.render("rs")))
}

impl SyncStore for MemoryStore {
    fn apply(&self, batch: Batch) -> Result<Vec<Reply>, ApplyError> {
        let mut inner = self.lock();
        // All or nothing: every expectation is checked before anything changes.
        for cmd in &batch {
            if let Some(expect) = cmd.expectation() {
                if !expect.holds(inner.version(cmd.key())) {
                    return Err(ApplyError::Conflict);
                }
            }
        }
        // Key-kind errors are found before anything changes, too.
        for cmd in &batch {
            let record_cmd = matches!(
                cmd,
                Command::Get { .. } | Command::Put { .. } | Command::Delete { .. }
            );
            if record_cmd != cmd.key().is_record() {
                return Err(if record_cmd {
                    not_a_record(cmd.key())
                } else {
                    not_a_zset(cmd.key())
                });
            }
            if let Command::ZRemIfEmpty { watched, .. } = cmd {
                if watched.is_record() {
                    return Err(not_a_zset(watched));
                }
            }
        }
        batch.into_iter().map(|cmd| inner.run(cmd)).collect()
    }
}
