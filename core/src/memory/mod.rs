//! [`MemoryStore`]: the embedded, in-process store.

mod zset;

use crate::keys::Key;
use crate::store::{ApplyError, Batch, Command, Reply, Stored, SyncStore};
use crate::validate::App;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use zset::ZSet;

/// The embedded store: every app's records and sorted sets in this process, behind one lock.
///
/// - **Thread-safe.** A batch runs under the lock, so it is atomic and isolated.
/// - **Fast.** Records live in hash maps; sorted sets are a hash map plus a B-tree (a small
///   sorted vector for sets of up to 8 members, such as one user's sessions). Every command is
///   O(log n) or better, and range and count commands cost what they return, not the size of
///   the set.
/// - **Compact.** A session's handle is stored once and shared by its record and its index
///   entries.
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
    apps: HashMap<App, Space>,
    registry: ZSet,
}

/// One app's keys.
#[derive(Debug, Default)]
struct Space {
    /// Session records by handle.
    records: HashMap<Arc<str>, Record>,
    sessions: ZSet,
    users: ZSet,
    expiry: ZSet,
    /// One sorted set per user id.
    by_user: HashMap<Arc<str>, ZSet>,
}

#[derive(Debug)]
struct Record {
    value: Box<[u8]>,
    version: u64,
}

impl Space {
    fn is_empty(&self) -> bool {
        self.records.is_empty()
            && self.sessions.is_empty()
            && self.users.is_empty()
            && self.expiry.is_empty()
            && self.by_user.is_empty()
    }

    /// The shared allocation for a handle, if its record exists.
    fn handle(&self, member: String) -> Arc<str> {
        match self.records.get_key_value(member.as_str()) {
            Some((k, _)) => k.clone(),
            None => Arc::from(member),
        }
    }

    /// The shared allocation for a user id, if the user is known.
    fn user(&self, member: String) -> Arc<str> {
        match self.by_user.get_key_value(member.as_str()) {
            Some((k, _)) => k.clone(),
            None => self
                .users
                .interned(&member)
                .unwrap_or_else(|| Arc::from(member)),
        }
    }
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
        self.lock().apps.values().map(|s| s.records.len()).sum()
    }

    /// A canonical dump of everything stored, for tests that compare states: each key
    /// rendered under namespace `rs`, with the record version and bytes or the sorted members.
    pub fn dump(&self) -> Vec<(String, String)> {
        let inner = self.lock();
        let mut out = Vec::new();
        let zdump = |z: &ZSet| {
            let mut m: Vec<String> = z.iter().map(|(m, s)| format!("{m}={s}")).collect();
            m.sort();
            m.join(",")
        };
        if !inner.registry.is_empty() {
            out.push((Key::Apps.render("rs"), zdump(&inner.registry)));
        }
        for (app, space) in &inner.apps {
            for (h, r) in &space.records {
                let key = format!("rs:{{{app}}}:s:{h}");
                out.push((key, format!("v{} {:?}", r.version, r.value)));
            }
            for (name, z) in [
                ("_sessions", &space.sessions),
                ("_users", &space.users),
                ("_expiry", &space.expiry),
            ] {
                if !z.is_empty() {
                    out.push((format!("rs:{{{app}}}:{name}"), zdump(z)));
                }
            }
            for (id, z) in &space.by_user {
                out.push((format!("rs:{{{app}}}:us:{id}"), zdump(z)));
            }
        }
        out.sort();
        out
    }
}

impl Inner {
    fn space(&self, app: &App) -> Option<&Space> {
        self.apps.get(app)
    }

    fn space_mut(&mut self, app: &App) -> &mut Space {
        self.apps.entry(app.clone()).or_default()
    }

    fn version(&self, key: &Key) -> Option<u64> {
        match key {
            Key::Session(app, h) => self
                .space(app)
                .and_then(|s| s.records.get(h.as_str()))
                .map(|r| r.version),
            _ => None,
        }
    }

    /// The sorted set under `key`, if it exists.
    fn zset(&self, key: &Key) -> Option<&ZSet> {
        match key {
            Key::Apps => Some(&self.registry),
            Key::Sessions(app) => self.space(app).map(|s| &s.sessions),
            Key::Users(app) => self.space(app).map(|s| &s.users),
            Key::Expiry(app) => self.space(app).map(|s| &s.expiry),
            Key::UserSessions(app, id) => self.space(app).and_then(|s| s.by_user.get(id.as_str())),
            Key::Session(..) => None,
        }
    }

    fn run(&mut self, cmd: Command) -> Result<Reply, ApplyError> {
        Ok(match cmd {
            Command::Get { key } => Reply::Record(match &key {
                Key::Session(app, h) => self
                    .space(app)
                    .and_then(|s| s.records.get(h.as_str()))
                    .map(|r| Stored {
                        value: r.value.to_vec(),
                        version: r.version,
                    }),
                _ => return Err(not_a_record(&key)),
            }),
            Command::Put { key, value, .. } => {
                let Key::Session(app, h) = &key else {
                    return Err(not_a_record(&key));
                };
                let space = self.space_mut(app);
                let value = value.into_boxed_slice();
                match space.records.get_mut(h.as_str()) {
                    Some(r) => {
                        r.value = value;
                        r.version += 1;
                    }
                    None => {
                        space
                            .records
                            .insert(Arc::from(h.as_str()), Record { value, version: 1 });
                    }
                }
                Reply::Done
            }
            Command::Delete { key, .. } => {
                let Key::Session(app, h) = &key else {
                    return Err(not_a_record(&key));
                };
                let removed = match self.apps.get_mut(app) {
                    Some(space) => space.records.remove(h.as_str()).is_some(),
                    None => false,
                };
                self.drop_if_empty(app);
                Reply::Removed(removed)
            }
            Command::ZAdd { key, member, score } => {
                match &key {
                    Key::Apps => self.registry.add(Arc::from(member), score),
                    Key::Sessions(app) | Key::Expiry(app) => {
                        let space = self.space_mut(app);
                        let m = space.handle(member);
                        match key {
                            Key::Sessions(_) => space.sessions.add(m, score),
                            _ => space.expiry.add(m, score),
                        }
                    }
                    Key::Users(app) => {
                        let space = self.space_mut(app);
                        let m = space.user(member);
                        space.users.add(m, score);
                    }
                    Key::UserSessions(app, id) => {
                        let space = self.space_mut(app);
                        let m = space.handle(member);
                        match space.by_user.get_mut(id.as_str()) {
                            Some(z) => z.add(m, score),
                            None => {
                                let id = space.user(id.as_str().to_owned());
                                space.by_user.entry(id).or_default().add(m, score);
                            }
                        }
                    }
                    Key::Session(..) => return Err(not_a_zset(&key)),
                }
                Reply::Done
            }
            Command::ZRem { key, member } => {
                let removed = self.zset_mut(&key, |z| z.remove(&member))?;
                Reply::Removed(removed)
            }
            Command::ZRemIfEmpty {
                key,
                member,
                watched,
            } => {
                let empty = self.zset(&watched).is_none_or(ZSet::is_empty);
                let removed = empty && self.zset_mut(&key, |z| z.remove(&member))?;
                Reply::Removed(removed)
            }
            Command::ZRange {
                key,
                min,
                max,
                limit,
                rev,
            } => {
                if key.is_record() {
                    return Err(not_a_zset(&key));
                }
                Reply::Members(
                    self.zset(&key)
                        .map(|z| z.range(min, max, limit, rev))
                        .unwrap_or_default(),
                )
            }
            Command::ZCount { key, min, max } => {
                if key.is_record() {
                    return Err(not_a_zset(&key));
                }
                Reply::Count(self.zset(&key).map_or(0, |z| z.count(min, max)))
            }
        })
    }

    /// Runs `f` on the sorted set under `key` (if it exists), then drops the set if it became
    /// empty, and the app's space if that became empty.
    fn zset_mut(
        &mut self,
        key: &Key,
        f: impl FnOnce(&mut ZSet) -> bool,
    ) -> Result<bool, ApplyError> {
        let out = match key {
            Key::Apps => f(&mut self.registry),
            Key::Session(..) => return Err(not_a_zset(key)),
            Key::Sessions(app) | Key::Users(app) | Key::Expiry(app) => {
                let Some(space) = self.apps.get_mut(app) else {
                    return Ok(false);
                };
                f(match key {
                    Key::Sessions(_) => &mut space.sessions,
                    Key::Users(_) => &mut space.users,
                    _ => &mut space.expiry,
                })
            }
            Key::UserSessions(app, id) => {
                let Some(space) = self.apps.get_mut(app) else {
                    return Ok(false);
                };
                let Some(z) = space.by_user.get_mut(id.as_str()) else {
                    return Ok(false);
                };
                let out = f(z);
                if z.is_empty() {
                    space.by_user.remove(id.as_str());
                }
                out
            }
        };
        if let Some(app) = key.app() {
            self.drop_if_empty(app);
        }
        Ok(out)
    }

    fn drop_if_empty(&mut self, app: &App) {
        if self.apps.get(app).is_some_and(Space::is_empty) {
            self.apps.remove(app);
        }
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
