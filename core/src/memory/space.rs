//! [`Space`]: one app's records and sorted sets, laid out by what they are keyed by.
//!
//! Every value keyed by a session handle shares the handle's slot: its record and its scores in
//! `_expiry` and `_issued`. Every value keyed by a user id shares the user's slot: their score in `_users`
//! and their set `us:<id>`. So `get` finds a session's record with one lookup, and a handle
//! is stored once however many sets hold it.
//!
//! This is only a layout: every key still behaves exactly as the protocol says, including
//! members that have no record (a `ZAdd` before its `Put`, or an orphan): a slot lives while
//! anything is stored under its name.

use super::members::Members;
use super::names::Names;
use super::order::{NO_SCORE, Order, Score};
use super::recency::Recency;
use crate::store::{Member, Stored};
use crate::token::{HANDLE_BYTES, Handle};
use crate::validate::UserId;

/// Which of an app's sorted sets.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Set<'a> {
    /// `_expiry`: handles by expiry.
    Expiry,
    /// `_issued`: handles by when they were issued.
    Issued,
    /// `_users`: user ids by last access.
    Users,
    /// `us:<id>`: one user's handles.
    User(&'a str),
}

/// Records up to this many bytes are kept in their slot (a session with a few small data keys
/// takes about 80): a read then finds them in the slot it already loaded, one cache miss
/// fewer than following a pointer.
const INLINE_RECORD: usize = 102;

/// A record's bytes, in its slot when they fit.
#[derive(Debug)]
enum RecordBytes {
    Inline { len: u8, bytes: [u8; INLINE_RECORD] },
    Heap(Box<[u8]>),
}

impl Default for RecordBytes {
    fn default() -> Self {
        RecordBytes::Inline {
            len: 0,
            bytes: [0; INLINE_RECORD],
        }
    }
}

impl RecordBytes {
    fn as_slice(&self) -> &[u8] {
        match self {
            RecordBytes::Inline { len, bytes } => &bytes[..usize::from(*len)],
            RecordBytes::Heap(b) => b,
        }
    }

    fn set(&mut self, value: Vec<u8>) {
        match u8::try_from(value.len()) {
            Ok(len) if value.len() <= INLINE_RECORD => {
                let mut bytes = [0; INLINE_RECORD];
                bytes[..value.len()].copy_from_slice(&value);
                *self = RecordBytes::Inline { len, bytes };
            }
            _ => *self = RecordBytes::Heap(value.into_boxed_slice()),
        }
    }
}

/// What is stored under one handle.
#[derive(Debug)]
struct HandleSlot {
    /// The record's bytes, when `version > 0`.
    value: RecordBytes,
    /// The record's version; 0: no record.
    version: u64,
    /// Score in `_expiry` ([`NO_SCORE`]: not in it).
    expiry: Score,
    /// Score in `_issued` ([`NO_SCORE`]: not in it).
    issued: Score,
    /// How many `us:<id>` sets hold the handle.
    lists: u32,
}

impl Default for HandleSlot {
    fn default() -> Self {
        Self {
            value: RecordBytes::default(),
            version: 0,
            expiry: NO_SCORE,
            issued: NO_SCORE,
            lists: 0,
        }
    }
}

impl HandleSlot {
    fn is_empty(&self) -> bool {
        self.version == 0 && self.expiry == NO_SCORE && self.issued == NO_SCORE && self.lists == 0
    }
}

/// What is stored under one user id (their score in `_users` is kept by [`Recency`]).
#[derive(Debug, Default)]
struct UserSlot {
    /// The set `us:<id>` (empty: absent).
    sessions: Members,
}

/// One app's keys.
#[derive(Debug, Default)]
pub(crate) struct Space {
    handles: Names<HandleSlot>,
    users: Names<UserSlot>,
    expiry: Order,
    issued: Order,
    /// `_users`: every access moves a user to the newest score.
    active: Recency,
}

/// The handle stored under a slot's name (always 16 bytes: only handles are interned there).
fn handle_of(name: &[u8]) -> Handle {
    let mut bytes = [0; HANDLE_BYTES];
    if name.len() == HANDLE_BYTES {
        bytes.copy_from_slice(name);
    }
    Handle::from_bytes(bytes)
}

/// A user slot's name as text (always UTF-8: interned from a `&str`).
fn text_of(name: &[u8]) -> &str {
    std::str::from_utf8(name).unwrap_or_default()
}

impl Space {
    pub(crate) fn is_empty(&self) -> bool {
        self.handles.is_empty() && self.users.is_empty()
    }

    /// How many handle slots there are (see [`Space::record_at`]).
    pub(crate) fn slots(&self) -> usize {
        self.handles.slot_count()
    }

    /// The record in handle slot `i`, if there is one, with its handle: for a walk over the
    /// slots in steps (a handle keeps its slot while anything is stored under it).
    pub(crate) fn record_at(&self, i: usize) -> Option<(Handle, &[u8])> {
        let (name, slot) = self.handles.slot(i)?;
        (slot.version > 0).then(|| (handle_of(name), slot.value.as_slice()))
    }

    /// The slot of `handle`, if it has one, and its record there.
    pub(crate) fn find_record(&self, handle: Handle) -> Option<(usize, Option<&[u8]>)> {
        let i = self.handles.find(handle.as_bytes())?;
        let slot = &self.handles[i];
        Some((
            i as usize,
            (slot.version > 0).then(|| slot.value.as_slice()),
        ))
    }

    pub(crate) fn record_count(&self) -> usize {
        self.handles.iter().filter(|(_, s)| s.version > 0).count()
    }

    fn record(&self, handle: Handle) -> Option<&HandleSlot> {
        let slot = &self.handles[self.handles.find(handle.as_bytes())?];
        (slot.version > 0).then_some(slot)
    }

    pub(crate) fn version(&self, handle: Handle) -> Option<u64> {
        self.record(handle).map(|s| s.version)
    }

    pub(crate) fn get(&self, handle: Handle) -> Option<Stored> {
        self.record(handle).map(|s| Stored {
            value: s.value.as_slice().to_vec(),
            version: s.version,
        })
    }

    pub(crate) fn put(&mut self, handle: Handle, value: Vec<u8>) {
        let i = self.handles.intern(handle.as_bytes());
        let slot = &mut self.handles[i];
        slot.value.set(value);
        slot.version += 1;
    }

    /// Deletes the record; true when there was one.
    pub(crate) fn delete(&mut self, handle: Handle) -> bool {
        let Some(i) = self.handles.find(handle.as_bytes()) else {
            return false;
        };
        let slot = &mut self.handles[i];
        if slot.version == 0 {
            return false;
        }
        *slot = HandleSlot {
            expiry: slot.expiry,
            issued: slot.issued,
            lists: slot.lists,
            ..HandleSlot::default()
        };
        self.release_handle(i);
        true
    }

    /// Adds `member` to `set` (the caller checked that its kind suits the set).
    pub(crate) fn add(&mut self, set: Set<'_>, member: &Member, score: u64) {
        match (set, member) {
            (Set::Expiry, Member::Handle(h)) => {
                let i = self.handles.intern(h.as_bytes());
                self.expiry.rescore(&mut self.handles[i].expiry, i, score);
            }
            (Set::Issued, Member::Handle(h)) => {
                let i = self.handles.intern(h.as_bytes());
                self.issued.rescore(&mut self.handles[i].issued, i, score);
            }
            (Set::Users, Member::Id(id)) => {
                let u = self.users.intern(id.as_str().as_bytes());
                self.active.rescore(u, score);
            }
            (Set::User(id), Member::Handle(h)) => {
                let u = self.users.intern(id.as_bytes());
                let i = self.handles.intern(h.as_bytes());
                if self.users[u].sessions.add(i, score) {
                    self.handles[i].lists += 1;
                }
            }
            _ => {}
        }
    }

    /// Removes `member` from `set`; true when it was there.
    pub(crate) fn remove(&mut self, set: Set<'_>, member: &Member) -> bool {
        match (set, member) {
            (Set::Expiry, Member::Handle(h)) => {
                let Some(i) = self.handles.find(h.as_bytes()) else {
                    return false;
                };
                let removed = self.expiry.unscore(&mut self.handles[i].expiry, i);
                self.release_handle(i);
                removed
            }
            (Set::Issued, Member::Handle(h)) => {
                let Some(i) = self.handles.find(h.as_bytes()) else {
                    return false;
                };
                let removed = self.issued.unscore(&mut self.handles[i].issued, i);
                self.release_handle(i);
                removed
            }
            (Set::Users, Member::Id(id)) => {
                let Some(u) = self.users.find(id.as_str().as_bytes()) else {
                    return false;
                };
                let removed = self.active.unscore(u);
                self.release_user(u);
                removed
            }
            (Set::User(id), Member::Handle(h)) => {
                let (Some(u), Some(i)) = (
                    self.users.find(id.as_bytes()),
                    self.handles.find(h.as_bytes()),
                ) else {
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
            _ => false,
        }
    }

    pub(crate) fn set_is_empty(&self, set: Set<'_>) -> bool {
        match set {
            Set::Expiry => self.expiry.is_empty(),
            Set::Issued => self.issued.is_empty(),
            Set::Users => self.active.is_empty(),
            Set::User(id) => self
                .users
                .find(id.as_bytes())
                .is_none_or(|u| self.users[u].sessions.is_empty()),
        }
    }

    pub(crate) fn count(&self, set: Set<'_>, min: u64, max: u64) -> u64 {
        match set {
            Set::Expiry => self.expiry.count(min, max),
            Set::Issued => self.issued.count(min, max),
            Set::Users => self.active.count(min, max),
            Set::User(id) => self
                .users
                .find(id.as_bytes())
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
    ) -> Vec<(Member, u64)> {
        // Ties go by the member's text, as a store of strings (Redis) orders them.
        let handle = |i| handle_of(self.handles.name(i));
        let handle_ties = |a, b| handle(a).text().as_str().cmp(handle(b).text().as_str());
        let handles = |v: Vec<(u32, u64)>| -> Vec<(Member, u64)> {
            v.into_iter()
                .map(|(i, s)| (Member::Handle(handle(i)), s))
                .collect()
        };
        match set {
            Set::Expiry => handles(self.expiry.range(min, max, limit, rev, handle_ties)),
            Set::Issued => handles(self.issued.range(min, max, limit, rev, handle_ties)),
            Set::Users => {
                let name = |u| self.users.name(u);
                let ties = |a, b| name(a).cmp(name(b));
                self.active
                    .range(min, max, limit, rev, ties)
                    .into_iter()
                    .map(|(u, s)| (Member::Id(UserId::from_stored(text_of(name(u)))), s))
                    .collect()
            }
            Set::User(id) => self.users.find(id.as_bytes()).map_or_else(Vec::new, |u| {
                handles(
                    self.users[u]
                        .sessions
                        .range(min, max, limit, rev, handle_ties),
                )
            }),
        }
    }

    /// Every key of this app as (key suffix, canonical content): `s:<handle>` for records, the
    /// set name for sorted sets. For [`MemoryStore::dump`](super::MemoryStore::dump).
    pub(crate) fn dump(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        let (mut expiry, mut issued) = (Vec::new(), Vec::new());
        for (h, slot) in self.handles.iter() {
            let h = handle_of(h);
            if slot.version > 0 {
                out.push((
                    format!("s:{h}"),
                    format!("v{} {:?}", slot.version, slot.value.as_slice()),
                ));
            }
            if slot.expiry != NO_SCORE {
                expiry.push(format!("{h}={}", slot.expiry));
            }
            if slot.issued != NO_SCORE {
                issued.push(format!("{h}={}", slot.issued));
            }
        }
        let mut active = Vec::new();
        for (u, (id, slot)) in self.users.iter_slots() {
            let id = text_of(id);
            if let Some(s) = self.active.score(u) {
                active.push(format!("{id}={s}"));
            }
            if !slot.sessions.is_empty() {
                let members = slot
                    .sessions
                    .iter()
                    .map(|(i, s)| format!("{}={s}", handle_of(self.handles.name(i))))
                    .collect();
                out.push((format!("us:{id}"), joined(members)));
            }
        }
        for (name, members) in [("_users", active), ("_expiry", expiry), ("_issued", issued)] {
            if !members.is_empty() {
                out.push((name.to_owned(), joined(members)));
            }
        }
        out
    }

    fn release_handle(&mut self, i: u32) {
        if self.handles[i].is_empty() {
            self.handles.release(i);
        }
    }

    fn release_user(&mut self, u: u32) {
        if self.active.score(u).is_none() && self.users[u].sessions.is_empty() {
            self.users.release(u);
        }
    }
}

/// Sorted members, comma-separated: a canonical view of a sorted set.
fn joined(mut members: Vec<String>) -> String {
    members.sort();
    members.join(",")
}
