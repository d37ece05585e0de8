//! What happened to sessions: the events drivers pass on to listeners.

use crate::token::Handle;
use crate::validate::{App, UserId};
use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};

/// Why a session ended.
// Non-exhaustive: a new way to end a session adds a reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Reason {
    /// `kill` ended it.
    Kill,
    /// `killsoid` ended it, with the user's other sessions.
    KillSoid,
    /// `killall` ended it, with the app's other sessions.
    KillAll,
    /// `regenerate` replaced its token.
    Regenerate,
    /// It expired, and an operation or `sweep` found it.
    Expired,
}

impl Reason {
    /// The reason as events spell it: `kill`, `killsoid`, `killall`, `regenerate`, `expired`.
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::Kill => "kill",
            Reason::KillSoid => "killsoid",
            Reason::KillAll => "killall",
            Reason::Regenerate => "regenerate",
            Reason::Expired => "expired",
        }
    }
}

/// What happened.
// Non-exhaustive: new kinds of events may come (a session renewed, say).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum EventKind {
    /// A session was created (by `create` or `regenerate`).
    Created,
    /// A session ended.
    Destroyed(Reason),
}

/// One thing that happened to one session. It serializes as
/// `{"type": "created" | "destroyed", "app", "id", "handle", "reason"?}`.
// Non-exhaustive: events may carry more fields; only the core makes them.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Event {
    /// What happened.
    pub kind: EventKind,
    /// The session's app.
    pub app: App,
    /// The session's user id.
    pub id: UserId,
    /// The session's handle (never its token).
    pub handle: Handle,
}

impl Event {
    /// `"created"` or `"destroyed"`.
    pub fn type_name(&self) -> &'static str {
        match self.kind {
            EventKind::Created => "created",
            EventKind::Destroyed(_) => "destroyed",
        }
    }

    /// Why the session ended, for `destroyed` events.
    pub fn reason(&self) -> Option<Reason> {
        match self.kind {
            EventKind::Created => None,
            EventKind::Destroyed(r) => Some(r),
        }
    }
}

impl Serialize for Event {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let reason = self.reason();
        let mut m = s.serialize_map(Some(4 + usize::from(reason.is_some())))?;
        m.serialize_entry("type", self.type_name())?;
        m.serialize_entry("app", self.app.as_str())?;
        m.serialize_entry("id", self.id.as_str())?;
        m.serialize_entry("handle", self.handle.text().as_str())?;
        if let Some(r) = reason {
            m.serialize_entry("reason", r.as_str())?;
        }
        m.end()
    }
}
