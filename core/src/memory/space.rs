//! [`Space`]: one app's records and sorted sets, laid out by what they are keyed by.
//!
//! Every value keyed by a session handle shares the handle's slot: its record, its scores in
//! `_sessions` and `_expiry`. Every value keyed by a user id shares the user's slot: their
//! score in `_users` and their set `us:<id>`. So `get` finds a session's record and both of its
//! scores with one lookup, and a handle is stored once however many sets hold it.
//!
//! This is only a layout: every key still behaves exactly as the protocol says, including
//! members that have no record (a `ZAdd` before its `Put`, or an orphan): a slot lives while
//! anything is stored under its name.

use super::members::Members;
use super::names::Names;
use super::order::Order;
use crate::store::Stored;

/// Which of an app's sorted sets.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Set<'a> {
    /// `_sessions`: handles by last access.
    Sessions,
    /// `_expiry`: handles by expiry.
    Expiry,
    /// `_users`: user ids by last access.
    Users,
    /// `us:<id>`: one user's handles.
    User(&'a str),
}

/// What is stored under one handle.
#[derive(Debug, Default)]
struct HandleSlot {
    /// The record's bytes, when `version > 0`.
    value: Box<[u8]>,
    /// The record's version; 0: no record.
    version: u64,
    /// Score in `_sessions`.
    access: Option<u64>,
    /// Score in `_expiry`.
    expiry: Option<u64>,
    /// How many `us:<id>` sets hold the handle.
    lists: u32,
}

impl HandleSlot {
    fn is_empty(&self) -> bool {
        self.version == 0 && self.access.is_none() && self.expiry.is_none() && self.lists == 0
    }
}

/// What is stored under one user id.
#[derive(Debug, Default)]
struct UserSlot {
    /// Score in `_users`.
    active: Option<u64>,
    /// The set `us:<id>` (empty: absent).
    sessions: Members,
}

/// One app's keys.
#[derive(Debug, Default)]
pub(crate) struct Space {
    handles: Names<HandleSlot>,
    users: Names<UserSlot>,
    sessions: Order,
    expiry: Order,
    active: Order,
}

impl Space {
    pub(crate) fn is_empty(&self) -> bool {
        self.handles.is_empty() && self.users.is_empty()
    }

    /// Every record as (handle, bytes), for snapshots.
    pub(crate) fn records(&self) -> impl Iterator<Item = (&str, &[u8])> {
        self.handles
            .iter()
            .filter(|(_, s)| s.version > 0)
            .map(|(h, s)| (h, &*s.value))
    }

    pub(crate) fn record_count(&self) -> usize {
        self.handles.iter().filter(|(_, s)| s.version > 0).count()
    }

    fn record(&self, handle: &str) -> Option<&HandleSlot> {
        let slot = &self.handles[self.handles.find(handle)?];
        (slot.version > 0).then_some(slot)
    }

    pub(crate) fn version(&self, handle: &str) -> Option<u64> {
        self.record(handle).map(|s| s.version)
    }

    pub(crate) fn get(&self, handle: &str) -> Option<Stored> {
        self.record(handle).map(|s| Stored {
            value: s.value.to_vec(),
            version: s.version,
        })
    }

    pub(crate) fn put(&mut self, handle: &str, value: Vec<u8>) {
        let i = self.handles.intern(handle);
        let slot = &mut self.handles[i];
        if slot.value.len() == value.len() {
            // Rewrites usually keep the length: reuse the allocation rather than free a cold
            // block that the allocator would hand out again later (a cache miss each time).
            slot.value.copy_from_slice(&value);
        } else {
            slot.value = value.into_boxed_slice();
        }
        slot.version += 1;
    }

    /// Deletes the record; true when there was one.
    pub(crate) fn delete(&mut self, handle: &str) -> bool {
        let Some(i) = self.handles.find(handle) else {
            return false;
        };
        let slot = &mut self.handles[i];
        if slot.version == 0 {
            return false;
        }
        *slot = HandleSlot {
            access: slot.access,
            expiry: slot.expiry,
            lists: slot.lists,
            ..HandleSlot::default()
        };
        self.release_handle(i);
        true
    }

    pub(crate) fn add(&mut self, set: Set<'_>, member: &str, score: u64) {
        match set {
            Set::Sessions | Set::Expiry => {
                let i = self.handles.intern(member);
                let (order, at) = self.handle_score(set, i);
                order.rescore(at, i, score);
            }
            Set::Users => {
                let u = self.users.intern(member);
                self.active.rescore(&mut self.users[u].active, u, score);
            }
            Set::User(id) => {
                let u = self.users.intern(id);
                let i = self.handles.intern(member);
                if self.users[u].sessions.add(i, score) {
                    self.handles[i].lists += 1;
                }
            }
        }
    }

    /// Removes `member` from `set`; true when it was there.
    pub(crate) fn remove(&mut self, set: Set<'_>, member: &str) -> bool {
        match set {
            Set::Sessions | Set::Expiry => {
                let Some(i) = self.handles.find(member) else {
                    return false;
                };
                let (order, at) = self.handle_score(set, i);
                let removed = order.unscore(at, i);
                self.release_handle(i);
                removed
            }
            Set::Users => {
                let Some(u) = self.users.find(member) else {
                    return false;
                };
                let removed = self.active.unscore(&mut self.users[u].active, u);
                self.release_user(u);
                removed
            }
            Set::User(id) => {
                let (Some(u), Some(i)) = (self.users.find(id), self.handles.find(member)) else {
                    return false;
                };
                if !self.users[u].sessions.remove(i) {
                    return false;
                }
                self.handles[i].lists -= 1;
                self.release_handle(i);
                self.release_user(u);
                true
            }
        }
    }

    pub(crate) fn set_is_empty(&self, set: Set<'_>) -> bool {
        match set {
            Set::Sessions => self.sessions.is_empty(),
            Set::Expiry => self.expiry.is_empty(),
            Set::Users => self.active.is_empty(),
            Set::User(id) => self
                .users
                .find(id)
                .is_none_or(|u| self.users[u].sessions.is_empty()),
        }
    }

    pub(crate) fn count(&self, set: Set<'_>, min: u64, max: u64) -> u64 {
        match set {
            Set::Sessions => self.sessions.count(min, max),
            Set::Expiry => self.expiry.count(min, max),
            Set::Users => self.active.count(min, max),
            Set::User(id) => self
                .users
                .find(id)
                .map_or(0, |u| self.users[u].sessions.count(min, max)),
        }
    }

    pub(crate) fn range(
        &self,
        set: Set<'_>,
        min: u64,
        max: u64,
        limit: Option<u32>,
        rev: bool,
    ) -> Vec<(String, u64)> {
        let handle = |i| self.handles.name(i);
        match set {
            Set::Sessions => self.sessions.range(min, max, limit, rev, handle),
            Set::Expiry => self.expiry.range(min, max, limit, rev, handle),
            Set::Users => self
                .active
                .range(min, max, limit, rev, |u| self.users.name(u)),
            Set::User(id) => self.users.find(id).map_or_else(Vec::new, |u| {
                self.users[u].sessions.range(min, max, limit, rev, handle)
            }),
        }
    }

    /// Every key of this app as (key suffix, canonical content): `s:<handle>` for records, the
    /// set name for sorted sets. For [`MemoryStore::dump`](super::MemoryStore::dump).
    pub(crate) fn dump(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        let mut sessions = Vec::new();
        let mut expiry = Vec::new();
        for (h, slot) in self.handles.iter() {
            if slot.version > 0 {
                out.push((
                    format!("s:{h}"),
                    format!("v{} {:?}", slot.version, slot.value),
                ));
            }
            if let Some(s) = slot.access {
                sessions.push(format!("{h}={s}"));
            }
            if let Some(s) = slot.expiry {
                expiry.push(format!("{h}={s}"));
            }
        }
        let mut active = Vec::new();
        for (id, slot) in self.users.iter() {
            if let Some(s) = slot.active {
                active.push(format!("{id}={s}"));
            }
            if !slot.sessions.is_empty() {
                let members = slot
                    .sessions
                    .iter()
                    .map(|(i, s)| format!("{}={s}", self.handles.name(i)))
                    .collect();
                out.push((format!("us:{id}"), joined(members)));
            }
        }
        for (name, members) in [
            ("_sessions", sessions),
            ("_users", active),
            ("_expiry", expiry),
        ] {
            if !members.is_empty() {
                out.push((name.to_owned(), joined(members)));
            }
        }
        out
    }

    /// The order and the score of handle slot `i` in `_sessions` or `_expiry`.
    fn handle_score(&mut self, set: Set<'_>, i: u32) -> (&mut Order, &mut Option<u64>) {
        let slot = &mut self.handles[i];
        match set {
            Set::Expiry => (&mut self.expiry, &mut slot.expiry),
            _ => (&mut self.sessions, &mut slot.access),
        }
    }

    fn release_handle(&mut self, i: u32) {
        if self.handles[i].is_empty() {
            self.handles.release(i);
        }
    }

    fn release_user(&mut self, u: u32) {
        let slot = &self.users[u];
        if slot.active.is_none() && slot.sessions.is_empty() {
            self.users.release(u);
        }
    }
}

/// Sorted members, comma-separated: a canonical view of a sorted set.
fn joined(mut members: Vec<String>) -> String {
    members.sort();
    members.join(",")
}
