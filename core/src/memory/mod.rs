//! [`MemoryStore`]: the embedded, in-process store.

mod cut;
mod members;
mod names;
mod order;
mod recency;
mod snapshot;
mod space;
#[cfg(test)]
mod tests;
mod zset;

pub use snapshot::Snapshot;

use crate::keys::Key;
use crate::shard::Tag;
use crate::store::{ApplyError, ApplyFn, Batch, Command, Expect, Member, Reply, SyncStore};
use crate::validate::App;
use cut::Cut;
use hashbrown::HashMap;
use space::{Set, Space};
use std::sync::{Mutex, MutexGuard};
use zset::ZSet;

/// The embedded store: every app's records and sorted sets in this process, behind one lock.
///
/// - **Thread-safe.** A batch runs under the lock, so it is atomic and isolated; an operation
///   on one session takes the lock once for all its batches ([`SyncStore::exclusive`]).
/// - **Fast.** Everything stored under one session handle (its record, its score in
///   `_expiry`) sits in one slot, found with one hash lookup; sorted sets are
///   B-trees of slot numbers (a small vector for one user's sessions). Every command is
///   O(log n) or better, and range and count commands cost what they return, not the size of
///   the set.
/// - **Compact.** A handle is stored once, inline in its slot, however many sets hold it.
/// - **No leak.** It ignores TTL hints: expired sessions are reclaimed by `sweep`, which the
///   [`Sessions`](crate::Sessions) driver runs in small bounded steps inside ordinary calls,
///   so sessions that nobody reads again still go away.
/// - **Snapshots without a stall.** [`MemoryStore::snapshot`] copies the sessions of one
///   instant while batches keep running: it holds the lock for short steps only.
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
    /// Held by the snapshot in progress (one at a time): the size of the last one's entries,
    /// to size the next one's buffer at once rather than by doubling (each doubling copies it).
    snapshots: Mutex<usize>,
}

#[derive(Debug, Default)]
struct Inner {
    /// One space per shard's tag (one per app with one shard).
    apps: HashMap<Tag, Space>,
    registry: ZSet,
    /// The snapshot in progress, if any (see [`cut`]).
    cut: Option<Cut>,
    /// Why batches that write are refused, while they are ([`MemoryStore::refuse_writes`]).
    refusing: Option<String>,
}

/// The app's sorted set that a sorted-set key names (`None` for the registry and records).
fn set_of(key: &Key) -> Option<Set<'_>> {
    match key {
        Key::Expiry(_) => Some(Set::Expiry),
        Key::Issued(_) => Some(Set::Issued),
        Key::Users(_) => Some(Set::Users),
        Key::UserSessions(_, id) => Some(Set::User(id.as_str())),
        Key::Session(..) | Key::Apps => None,
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

    /// Refuses every batch that writes, with `why` as the store error, until called again with
    /// `None`; batches that only read still run. For a host that must not accept changes it
    /// cannot persist (the REST server's `--on-snapshot-error refuse-writes`). Operations that
    /// write then fail with a `storeError` carrying `why`, and change nothing.
    pub fn refuse_writes(&self, why: Option<String>) {
        self.lock().refusing = why;
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

/// Checks what can be checked without the data: each command's key is of the kind the
/// command needs, and each member of the kind its set holds.
fn check_kinds(batch: &Batch) -> Result<(), ApplyError> {
    for cmd in batch {
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
        let member = match cmd {
            Command::ZAdd { member, .. }
            | Command::ZRem { member, .. }
            | Command::ZRemIfEmpty { member, .. } => Some(member),
            _ => None,
        };
        if let Some(member) = member {
            if cmd.key().member_kind() != Some(member.kind()) {
                return Err(ApplyError::Store(format!(
                    "{} does not hold members like {}",
                    cmd.key().render("rs"),
                    member.as_text()
                )));
            }
        }
        if let Command::ZRemIfEmpty { watched, .. } = cmd {
            if watched.is_record() {
                return Err(not_a_zset(watched));
            }
        }
    }
    Ok(())
}

/// Whether a command changes what is stored.
fn writes(cmd: &Command) -> bool {
    !matches!(
        cmd,
        Command::Get { .. } | Command::ZRange { .. } | Command::ZCount { .. }
    )
}

/// A `ZRemIfEmpty` whose watched set is not in `app`'s space (outside the protocol, which
/// keeps a batch in one app, but still answered right).
fn watches_elsewhere(cmd: &Command, app: Option<&Tag>) -> bool {
    matches!(cmd, Command::ZRemIfEmpty { watched, .. } if watched.tag() != app)
}

impl Inner {
    fn version(&self, key: &Key) -> Option<u64> {
        match key {
            Key::Session(app, h) => self.apps.get(app)?.version(*h),
            _ => None,
        }
    }

    /// Whether the sorted set under `key` has no members.
    fn set_is_empty(&self, key: &Key) -> bool {
        match (key.tag(), set_of(key)) {
            (Some(app), Some(set)) => self.apps.get(app).is_none_or(|s| s.set_is_empty(set)),
            _ => self.registry.is_empty(),
        }
    }

    /// For a `ZRemIfEmpty` watching a set outside `app`: whether that set is empty now.
    fn empty_elsewhere(&self, cmd: &Command, app: Option<&Tag>) -> Option<bool> {
        match cmd {
            Command::ZRemIfEmpty { watched, .. } if watches_elsewhere(cmd, app) => {
                Some(self.set_is_empty(watched))
            }
            _ => None,
        }
    }

    /// Applies one batch all or nothing (the caller holds the lock).
    fn apply(&mut self, batch: Batch) -> Result<Vec<Reply>, ApplyError> {
        check_kinds(&batch)?;
        if let Some(why) = &self.refusing {
            if batch.iter().any(writes) {
                return Err(ApplyError::Store(why.clone()));
            }
        }
        if let Some(cut) = &mut self.cut {
            cut.keep(&batch, &self.apps);
        }
        let app = batch.first().and_then(|c| c.key().tag()).copied();
        match app {
            // The protocol keeps a batch within one app: find its space once.
            Some(app)
                if batch
                    .iter()
                    .all(|c| c.key().tag() == Some(&app) && !watches_elsewhere(c, Some(&app))) =>
            {
                self.apply_in(app, batch)
            }
            _ => self.apply_any(batch),
        }
    }

    /// Applies a batch whose every key is in `app`'s space.
    fn apply_in(&mut self, app: Tag, batch: Batch) -> Result<Vec<Reply>, ApplyError> {
        let Some(space) = self.apps.get_mut(&app) else {
            // Nothing stored in the app: no expectation of a present record can hold.
            if batch
                .iter()
                .any(|c| matches!(c.expectation(), Some(Expect::Version(_))))
            {
                return Err(ApplyError::Conflict);
            }
            let mut space = Space::default();
            let replies = batch
                .into_iter()
                .map(|c| run(&mut space, c, None))
                .collect();
            if !space.is_empty() {
                self.apps.insert(app, space);
            }
            return Ok(replies);
        };
        for cmd in &batch {
            if let (Some(expect), Key::Session(_, h)) = (cmd.expectation(), cmd.key()) {
                if !expect.holds(space.version(*h)) {
                    return Err(ApplyError::Conflict);
                }
            }
        }
        let replies = batch.into_iter().map(|c| run(space, c, None)).collect();
        if space.is_empty() {
            self.apps.remove(&app);
        }
        Ok(replies)
    }

    /// Applies a batch that spans apps (outside the protocol, but answered right).
    fn apply_any(&mut self, batch: Batch) -> Result<Vec<Reply>, ApplyError> {
        // All or nothing: every expectation is checked before anything changes.
        for cmd in &batch {
            if let Some(expect) = cmd.expectation() {
                if !expect.holds(self.version(cmd.key())) {
                    return Err(ApplyError::Conflict);
                }
            }
        }
        let mut replies = Vec::with_capacity(batch.len());
        let mut commands = batch.into_iter().peekable();
        while let Some(cmd) = commands.next() {
            let app = cmd.key().tag().copied();
            let elsewhere = self.empty_elsewhere(&cmd, app.as_ref());
            let Some(app) = app else {
                replies.push(self.run_registry(cmd, elsewhere));
                continue;
            };
            // A batch stays within one app's keys: find its space once for the run of them.
            let space = self.apps.entry(app).or_default();
            replies.push(run(space, cmd, elsewhere));
            let same =
                |c: &Command| c.key().tag() == Some(&app) && !watches_elsewhere(c, Some(&app));
            while let Some(cmd) = commands.next_if(same) {
                replies.push(run(space, cmd, None));
            }
            if space.is_empty() {
                self.apps.remove(&app);
            }
        }
        Ok(replies)
    }

    /// Runs a registry command; `elsewhere` is [`Inner::empty_elsewhere`].
    fn run_registry(&mut self, cmd: Command, elsewhere: Option<bool>) -> Reply {
        let r = &mut self.registry;
        match cmd {
            Command::ZAdd {
                member: Member::App(app),
                score,
                ..
            } => {
                r.add(app.as_str().into(), score);
                Reply::Done
            }
            Command::ZRem {
                member: Member::App(app),
                ..
            } => Reply::Removed(r.remove(app.as_str())),
            Command::ZRemIfEmpty {
                member: Member::App(app),
                ..
            } => {
                let empty = elsewhere.unwrap_or_else(|| r.is_empty());
                Reply::Removed(empty && r.remove(app.as_str()))
            }
            Command::ZRange {
                min,
                max,
                limit,
                rev,
                ..
            } => Reply::Members(
                r.range(min, max, limit, rev)
                    .into_iter()
                    .map(|(app, s)| (Member::App(App::from_stored(&app)), s))
                    .collect(),
            ),
            Command::ZCount { min, max, .. } => Reply::Count(r.count(min, max)),
            // Record commands and other members were refused by `check_kinds`.
            _ => Reply::Done,
        }
    }
}

/// Runs one command of an app's batch against its space; `elsewhere` is
/// [`Inner::empty_elsewhere`].
fn run(space: &mut Space, cmd: Command, elsewhere: Option<bool>) -> Reply {
    match cmd {
        Command::Get { key, .. } => match key {
            Key::Session(_, h) => Reply::Record(space.get(h)),
            _ => Reply::Record(None),
        },
        Command::Put { key, value, .. } => {
            if let Key::Session(_, h) = key {
                space.put(h, value);
            }
            Reply::Done
        }
        Command::Delete { key, .. } => match key {
            Key::Session(_, h) => Reply::Removed(space.delete(h)),
            _ => Reply::Removed(false),
        },
        Command::ZAdd { key, member, score } => {
            if let Some(set) = set_of(&key) {
                space.add(set, &member, score);
            }
            Reply::Done
        }
        Command::ZRem { key, member } => {
            Reply::Removed(set_of(&key).is_some_and(|set| space.remove(set, &member)))
        }
        Command::ZRemIfEmpty {
            key,
            member,
            watched,
        } => {
            let empty =
                elsewhere.unwrap_or_else(|| set_of(&watched).is_none_or(|w| space.set_is_empty(w)));
            Reply::Removed(empty && set_of(&key).is_some_and(|set| space.remove(set, &member)))
        }
        Command::ZRange {
            key,
            min,
            max,
            limit,
            rev,
        } => Reply::Members(
            set_of(&key).map_or_else(Vec::new, |set| space.range(set, min, max, limit, rev)),
        ),
        Command::ZCount { key, min, max } => {
            Reply::Count(set_of(&key).map_or(0, |set| space.count(set, min, max)))
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
        self.lock().apply(batch)
    }

    /// One lock for the whole operation.
    fn exclusive(&self, steps: &mut dyn FnMut(&mut ApplyFn<'_>)) -> bool {
        let mut inner = self.lock();
        steps(&mut |batch| inner.apply(batch));
        true
    }
}
