//! The key layout: which keys an app's sessions occupy.
//!
//! Keys are structured values; a store that needs flat strings renders them with
//! [`Key::render`], so every string-keyed store (Redis, a JS `Map`, a Durable Object) shares one
//! layout. All keys of one shard of an app carry the shard's hash [`Tag`] (`{app}` when the
//! app has one shard, `{app:n}` with more: see [`crate::shard`]), so a Redis Cluster keeps a
//! shard's keys in one slot and a batch (which never mixes shards) can run as one script.

pub use crate::shard::Tag;
use crate::token::Handle;
use crate::validate::{App, UserId};
use std::fmt;

/// A key in the store.
///
/// | key | kind | rendered (namespace `rs`, app `shop`, one shard) | holds |
/// |---|---|---|---|
/// | [`Key::Session`] | record | `rs:{shop}:s:<handle>` | one session (handle: 22 characters) |
/// | [`Key::Users`] | sorted set | `rs:{shop}:_users` | user ids, scored by last access (ms) |
/// | [`Key::Expiry`] | sorted set | `rs:{shop}:_expiry` | handles, scored by a lower bound of their expiry (ms) |
/// | [`Key::UserSessions`] | sorted set | `rs:{shop}:us:<id>` | one user's handles, scored by creation (ms) |
/// | [`Key::Issued`] | sorted set | `rs:{shop}:_issued` | handles, scored by when they were issued (ms): the order of paged `soapp` |
/// | [`Key::Apps`] | sorted set | `rs:_apps` | app names, scored by their last session creation (ms) |
///
/// With K shards, `{shop}` becomes each shard's tag `{shop:n}` ([`crate::shard`]).
///
/// ```
/// use session_core::{App, Key};
/// let k = Key::Users(App::new("shop").unwrap().into());
/// assert_eq!(k.render("rs"), "rs:{shop}:_users");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Key {
    /// The record of one session.
    Session(Tag, Handle),
    /// The app's users by last access: backs `activity` and `soapp`.
    Users(Tag),
    /// The app's sessions by expiry time: backs `sweep` and `killall`. A score is a lower
    /// bound: accesses that slide the expiry later leave it, and `sweep` re-scores the live
    /// sessions it finds.
    Expiry(Tag),
    /// One user's sessions by creation time: backs `soid` and `killsoid`.
    UserSessions(Tag, UserId),
    /// The app's handles by when they were issued (`create`, `regenerate`): a score never
    /// changes while the handle lives, so paged listings (`soapp` with `limit`) walk it with a
    /// cursor that creates, kills and accesses cannot shift.
    Issued(Tag),
    /// Every app that has had a session: lets `sweep` without an app find them all. It is the
    /// only key outside an app's hash tag, and it is never in a batch with any other key.
    Apps,
}

impl Key {
    /// True for record keys ([`Key::Session`]); every other key is a sorted set.
    pub fn is_record(&self) -> bool {
        matches!(self, Key::Session(..))
    }

    /// The shard's tag this key belongs to (`None` for [`Key::Apps`]).
    pub fn tag(&self) -> Option<&Tag> {
        match self {
            Key::Session(tag, _)
            | Key::Users(tag)
            | Key::Expiry(tag)
            | Key::UserSessions(tag, _)
            | Key::Issued(tag) => Some(tag),
            Key::Apps => None,
        }
    }

    /// The app this key belongs to (`None` for [`Key::Apps`]).
    pub fn app(&self) -> Option<App> {
        self.tag().map(Tag::app)
    }

    /// What the members of this sorted set are (`None` for a record key).
    pub fn member_kind(&self) -> Option<MemberKind> {
        match self {
            Key::Session(..) => None,
            Key::Expiry(_) | Key::UserSessions(..) | Key::Issued(_) => Some(MemberKind::Handle),
            Key::Users(_) => Some(MemberKind::Id),
            Key::Apps => Some(MemberKind::App),
        }
    }

    /// The key as one string, under `namespace` (redis-sessions' default is `rs`).
    pub fn render(&self, namespace: &str) -> String {
        KeyDisplay {
            key: self,
            namespace,
        }
        .to_string()
    }
}

/// What a sorted set holds: see [`Key::member_kind`] and [`Member`](crate::store::Member).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemberKind {
    /// Session handles (`_expiry`, `_issued`, `us:<id>`).
    Handle,
    /// User ids (`_users`).
    Id,
    /// App names (the registry).
    App,
}

struct KeyDisplay<'a> {
    key: &'a Key,
    namespace: &'a str,
}

impl fmt::Display for KeyDisplay<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ns = self.namespace;
        match self.key {
            Key::Session(app, handle) => write!(f, "{ns}:{{{app}}}:s:{}", handle.text().as_str()),
            Key::Users(app) => write!(f, "{ns}:{{{app}}}:_users"),
            Key::Expiry(app) => write!(f, "{ns}:{{{app}}}:_expiry"),
            Key::UserSessions(app, id) => write!(f, "{ns}:{{{app}}}:us:{id}"),
            Key::Issued(app) => write!(f, "{ns}:{{{app}}}:_issued"),
            Key::Apps => write!(f, "{ns}:_apps"),
        }
    }
}
