//! The store protocol: the primitive commands every store implements.
//!
//! An operation never talks to a database. It hands its driver a [`Batch`] of [`Command`]s,
//! and the driver runs the batch against a store and hands back one [`Reply`] per command.
//! Anything that can hold byte strings and sorted sets can be a store: the in-process
//! [`MemoryStore`](crate::MemoryStore), Redis (one Lua script per batch), a Durable Object, or
//! a `Map` in JavaScript.
//!
//! # What a store must do
//!
//! A store keeps two kinds of values, told apart by the key ([`Key::is_record`]):
//!
//! - **records**: an opaque byte string plus a **version**, a number the store manages. A new
//!   record has version 1; each `Put` over an existing record adds 1. The core never interprets
//!   versions except to compare them, so any strictly increasing counter works.
//! - **sorted sets**: members (strings) with integer scores (milliseconds). A member appears at
//!   most once; adding it again replaces its score. A sorted set with no members does not
//!   exist (remove it, so that empty sets do not leak).
//!
//! Apply each batch **all or nothing**:
//!
//! 1. Before changing anything, check the expectation of every `Put` and `Delete`
//!    ([`Expect`]) against the current state. If any fails, apply nothing and return
//!    [`ApplyError::Conflict`]. The core then re-reads and retries (a bounded number of times).
//! 2. Otherwise run the commands in order, each seeing the effects of the ones before it, and
//!    return one reply per command, in order. No other writer may interleave with the batch
//!    (hold a lock, run a script, or use a transaction).
//!
//! If the store itself fails (connection lost, quota, corrupt data), return
//! [`ApplyError::Store`] with a message; the operation fails with `storeError`.
//!
//! | command | effect | reply |
//! |---|---|---|
//! | `Get { key, cached }` | read a record | `Record(Some(Stored { value, version }))` or `Record(None)` |
//! | `Put { key, value, ttl_ms, expect }` | write a record; `ttl_ms` is a hint (below) | `Done` |
//! | `Delete { key, expect }` | delete a record | `Removed(existed)` |
//! | `ZAdd { key, member, score }` | add or re-score a member | `Done` |
//! | `ZRem { key, member }` | remove a member | `Removed(was_there)` |
//! | `ZRange { key, min, max, limit, rev }` | members with `min <= score <= max`, by score ascending (descending with `rev`), ties by member; at most `limit` | `Members(vec of (member, score))` |
//! | `ZCount { key, min, max }` | count members with `min <= score <= max` | `Count(n)` |
//! | `ZRemIfEmpty { key, member, watched }` | remove `member` from `key` if the sorted set `watched` has no members | `Removed(removed)` |
//!
//! Ties in `ZRange` are ordered by member bytes (descending with `rev`), as Redis does. A
//! member is a [`Member`]: a session handle, a user id or an app name, by the set's
//! [`Key::member_kind`]; a store with string members writes it with [`Member::as_text`] (a
//! handle as its 22 characters, whose byte order is not the handle's byte order: ties sort by
//! the text the store holds).
//!
//! **Cached reads.** A `Get` with `cached: true` comes from an operation that writes or
//! deletes that record conditionally on the version it reads. A stale answer therefore costs a
//! conflict and a retry, never a wrong result, so a store may answer it from a cache that it
//! keeps coherent with the versions it writes (the Redis store does: an uncontended access is
//! then one round trip). Any other `Get` must read the current record.
//!
//! **TTL hint.** A `Put` carries `ttl_ms`: the record may be dropped once that many
//! milliseconds have passed (Redis `PEXPIRE`). It is the session's remaining life plus a grace
//! period, so the core's `sweep` normally finds and cleans up the record first. Correctness
//! never depends on it: the core checks expiry itself against its own clock, so a store may
//! ignore the hint (the memory store does; `sweep` reclaims its memory).
//!
//! **Keys.** Every key of a batch belongs to one app (the same hash tag), except batches that
//! touch only [`Key::Apps`]. A flat-string store renders keys with [`Key::render`].
//!
//! **What must be locked.** A batch must not interleave with another batch that touches any
//! of its keys, from this process or any other. Since a batch's keys belong to one app, a
//! lock per app is enough (plus one for [`Key::Apps`]); a single lock for the whole store is
//! correct too. Reads are part of this: the expectations are checked, and the commands run,
//! against one state that no other writer changes in between.
//!
//! **Batch size.** A store must accept batches of up to [`MAX_BATCH`] commands: a `sweep` at
//! its largest `limit` ([`crate::sweep::LIMIT_MAX`]) reads that many records in one batch and
//! removes each with five commands in the next. Every other batch is far smaller (a
//! single-session operation sends at most a handful of commands).
//!
//! **Scores** are milliseconds since the epoch, whole numbers from 0 to 2^53 − 1 (JavaScript's
//! exact integers, and what a Redis score, a double, holds exactly). A `ZRange` or `ZCount`
//! bound may be `u64::MAX`, meaning "no bound"; the JSON protocol sends it as 2^53 − 1.
//!
//! **Versions after a delete.** A record written again after a `Delete` may start over at
//! version 1. The core never carries a version across a delete: the only records are
//! sessions, each under a handle derived from a fresh random token, and a record is created
//! with [`Expect::Absent`].
//!
//! # Example: a store in a few lines
//!
//! ```
//! use session_core::store::{ApplyError, Batch, Command, Expect, Reply, Stored, SyncStore};
//! use session_core::{Key, MemoryStore, Sessions};
//!
//! /// A store that counts batches and passes them on to a `MemoryStore`.
//! struct Counting { inner: MemoryStore, batches: std::sync::atomic::AtomicUsize }
//!
//! impl SyncStore for Counting {
//!     fn apply(&self, batch: Batch) -> Result<Vec<Reply>, ApplyError> {
//!         self.batches.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
//!         self.inner.apply(batch)
//!     }
//! }
//!
//! let store = Counting { inner: MemoryStore::new(), batches: Default::default() };
//! let sessions = Sessions::new(store);
//! let t = sessions.create(session_core::Create::new("shop", "u1", "10.0.0.1")).unwrap();
//! assert!(sessions.get("shop", &t).unwrap().is_some());
//! ```

use crate::keys::{Key, MemberKind};
use crate::token::Handle;
use crate::validate::{App, UserId};
use std::borrow::Cow;
use std::fmt;
use std::future::Future;

/// The commands of one atomic step, applied all or nothing.
pub type Batch = Vec<Command>;

/// The most commands the core puts in one batch: a `sweep` of [`crate::sweep::LIMIT_MAX`]
/// entries removes each expired session with five commands (see the module docs).
pub const MAX_BATCH: usize = 5 * crate::sweep::LIMIT_MAX as usize;

/// What a `Put` or `Delete` requires of the record before the batch may apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    /// No condition.
    Any,
    /// The record must not exist.
    Absent,
    /// The record must exist at exactly this version.
    Version(u64),
}

impl Expect {
    /// Whether a record currently at `current` (`None`: absent) meets the expectation.
    pub fn holds(self, current: Option<u64>) -> bool {
        match self {
            Expect::Any => true,
            Expect::Absent => current.is_none(),
            Expect::Version(v) => current == Some(v),
        }
    }
}

/// One primitive store command. See the [module docs](self) for the exact semantics.
///
/// Exhaustive on purpose, unlike [`crate::Error`] or [`crate::Response`]: every store must
/// run every command, so a new command is a change of the store contract, and a store's
/// `match` without a wildcard arm is how its author learns of it (at compile time, not from
/// a batch the store cannot run).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Read a record.
    Get {
        /// A record key.
        key: Key,
        /// The operation validates this read with a versioned write of the same record, so
        /// the store may answer from a version-coherent cache (see the module docs).
        cached: bool,
    },
    /// Write a record.
    Put {
        /// A record key.
        key: Key,
        /// The encoded record.
        value: Vec<u8>,
        /// The store may drop the record after this many milliseconds.
        ttl_ms: u64,
        /// The condition the batch depends on.
        expect: Expect,
    },
    /// Delete a record.
    Delete {
        /// A record key.
        key: Key,
        /// The condition the batch depends on.
        expect: Expect,
    },
    /// Add a member to a sorted set, or change its score.
    ZAdd {
        /// A sorted-set key.
        key: Key,
        /// The member.
        member: Member,
        /// Its score (milliseconds).
        score: u64,
    },
    /// Remove a member from a sorted set.
    ZRem {
        /// A sorted-set key.
        key: Key,
        /// The member.
        member: Member,
    },
    /// List members whose score is within `min..=max`.
    ZRange {
        /// A sorted-set key.
        key: Key,
        /// Lowest score, inclusive.
        min: u64,
        /// Highest score, inclusive.
        max: u64,
        /// At most this many members (`None`: all).
        limit: Option<u32>,
        /// Highest scores first.
        rev: bool,
    },
    /// Count members whose score is within `min..=max`.
    ZCount {
        /// A sorted-set key.
        key: Key,
        /// Lowest score, inclusive.
        min: u64,
        /// Highest score, inclusive.
        max: u64,
    },
    /// Remove `member` from `key`, but only if the sorted set `watched` is empty.
    ZRemIfEmpty {
        /// A sorted-set key.
        key: Key,
        /// The member.
        member: Member,
        /// The sorted set that must be empty.
        watched: Key,
    },
}

impl Command {
    /// The key the command acts on.
    pub fn key(&self) -> &Key {
        match self {
            Command::Get { key, .. }
            | Command::Put { key, .. }
            | Command::Delete { key, .. }
            | Command::ZAdd { key, .. }
            | Command::ZRem { key, .. }
            | Command::ZRange { key, .. }
            | Command::ZCount { key, .. }
            | Command::ZRemIfEmpty { key, .. } => key,
        }
    }

    /// The expectation a `Put` or `Delete` places on its record.
    pub fn expectation(&self) -> Option<Expect> {
        match self {
            Command::Put { expect, .. } | Command::Delete { expect, .. } => Some(*expect),
            _ => None,
        }
    }
}

/// A member of a sorted set: what the set holds, by its [`Key::member_kind`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Member {
    /// A session handle (`_expiry`, `us:<id>`).
    Handle(Handle),
    /// A user id (`_users`).
    Id(UserId),
    /// An app name (the registry).
    App(App),
}

impl Member {
    /// The member as text: a handle's 22 characters, an id, an app name.
    pub fn as_text(&self) -> Cow<'_, str> {
        match self {
            Member::Handle(h) => Cow::Owned(h.text().as_str().to_owned()),
            Member::Id(id) => Cow::Borrowed(id.as_str()),
            Member::App(app) => Cow::Borrowed(app.as_str()),
        }
    }

    /// Reads a member of kind `kind` from its text (a store with string members reading back
    /// what [`Member::as_text`] wrote); `None` when the text is not one.
    pub fn from_text(kind: MemberKind, text: &str) -> Option<Self> {
        Some(match kind {
            MemberKind::Handle => Member::Handle(Handle::parse(text)?),
            MemberKind::Id => Member::Id(UserId::new(text).ok()?),
            MemberKind::App => Member::App(App::new(text).ok()?),
        })
    }

    /// The kind of member this is.
    pub fn kind(&self) -> MemberKind {
        match self {
            Member::Handle(_) => MemberKind::Handle,
            Member::Id(_) => MemberKind::Id,
            Member::App(_) => MemberKind::App,
        }
    }
}

/// A record as stored: the encoded bytes and the store's version of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    /// The bytes the core wrote.
    pub value: Vec<u8>,
    /// The store's version of the record (1 when first written).
    pub version: u64,
}

/// The reply to one command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// For `Get`.
    Record(Option<Stored>),
    /// For `Put` and `ZAdd`.
    Done,
    /// For `Delete`, `ZRem` and `ZRemIfEmpty`: whether something was removed.
    Removed(bool),
    /// For `ZRange`: members with their scores.
    Members(Vec<(Member, u64)>),
    /// For `ZCount`.
    Count(u64),
}

/// Why a store did not apply a batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApplyError {
    /// An expectation failed; nothing was applied.
    Conflict,
    /// The store failed; say what happened.
    Store(String),
}

impl fmt::Display for ApplyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ApplyError::Conflict => f.write_str("a version expectation failed"),
            ApplyError::Store(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for ApplyError {}

/// Applies one batch; what [`SyncStore::exclusive`] hands its caller.
pub type ApplyFn<'a> = dyn FnMut(Batch) -> Result<Vec<Reply>, ApplyError> + 'a;

/// A store in the same process, applied synchronously: see the [module docs](self).
pub trait SyncStore {
    /// Applies one batch all or nothing, returning one reply per command.
    fn apply(&self, batch: Batch) -> Result<Vec<Reply>, ApplyError>;

    /// Runs `steps` with the store held exclusively, when the store can do that: every batch
    /// `steps` applies through its argument then runs with no other writer in between, so a
    /// single-session operation finishes in one turn, and the driver neither takes its
    /// per-session lock nor ever sees a conflict. Returns `false` when the store cannot (the
    /// default): `steps` was not called, and the driver applies batch by batch with
    /// [`SyncStore::apply`].
    ///
    /// [`MemoryStore`](crate::MemoryStore) takes its lock once for the whole operation.
    fn exclusive(&self, steps: &mut dyn FnMut(&mut ApplyFn<'_>)) -> bool {
        let _ = steps;
        false
    }
}

impl<S: SyncStore + ?Sized> SyncStore for &S {
    fn apply(&self, batch: Batch) -> Result<Vec<Reply>, ApplyError> {
        (**self).apply(batch)
    }

    fn exclusive(&self, steps: &mut dyn FnMut(&mut ApplyFn<'_>)) -> bool {
        (**self).exclusive(steps)
    }
}

impl<S: SyncStore + ?Sized> SyncStore for std::sync::Arc<S> {
    fn apply(&self, batch: Batch) -> Result<Vec<Reply>, ApplyError> {
        (**self).apply(batch)
    }

    fn exclusive(&self, steps: &mut dyn FnMut(&mut ApplyFn<'_>)) -> bool {
        (**self).exclusive(steps)
    }
}

/// A store across the network, applied asynchronously: the same contract as [`SyncStore`].
///
/// The future must be `Send` so that drivers can run on multi-threaded runtimes.
pub trait AsyncStore {
    /// Applies one batch all or nothing, returning one reply per command.
    fn apply(&self, batch: Batch) -> impl Future<Output = Result<Vec<Reply>, ApplyError>> + Send;
}
