//! The batch pieces that keep a session's record and its index entries in step.
//!
//! Every write of a session goes through [`save`] and every removal through [`remove`], so the
//! indexes (`_users`, `_expiry`, `_issued`, `us:<id>`) cannot drift from the records.
//!
//! **`_expiry` holds a lower bound.** A session's `_expiry` score is never later than its real
//! expiry, but may be earlier: an access (`get`, `touch`, `set`) only ever moves the expiry
//! later, so it leaves `_expiry` alone ([`Expiry::Kept`]) and saves one sorted-set update per
//! call. `sweep` reads every record it ranges and re-scores the live ones, so a stale bound
//! costs one extra read when it comes due, never a wrong removal. Writes that may move the
//! expiry earlier (`create`, `regenerate`, `setTtl`) write the exact score ([`Expiry::Exact`]).

use crate::keys::Key;
use crate::record::Record;
use crate::shard::Tag;
use crate::store::{Batch, Command, Expect, Member};
use crate::token::Handle;
use crate::validate::UserId;

/// Whether a [`save`] writes the session's `_expiry` score (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Expiry {
    /// Write the exact expiry: the write may have moved it earlier, or it is new.
    Exact,
    /// Keep the stored score: the write only moved the expiry later (or not at all), so the
    /// stored score is still a lower bound.
    Kept,
}

/// Writes `rec` under `handle` and moves its user's `_users` entry to its last access (and,
/// with [`Expiry::Exact`], its `_expiry` entry to its expiry).
pub(crate) fn save(
    batch: &mut Batch,
    tag: &Tag,
    handle: Handle,
    rec: &Record,
    now: u64,
    expect: Expect,
    expiry: Expiry,
) {
    batch.push(Command::Put {
        key: Key::Session(*tag, handle),
        value: rec.encode(),
        ttl_ms: rec.ttl_hint(now),
        expect,
    });
    batch.push(Command::ZAdd {
        key: Key::Users(*tag),
        member: Member::Id(rec.id.clone()),
        score: rec.last,
    });
    if expiry == Expiry::Exact {
        batch.push(Command::ZAdd {
            key: Key::Expiry(*tag),
            member: Member::Handle(handle),
            score: rec.expires(),
        });
    }
}

/// Adds a newly issued `handle` to its user's index and to `_issued` (at creation, or when
/// `regenerate` renames a session), `issued` being when (ms).
pub(crate) fn enlist(batch: &mut Batch, tag: &Tag, handle: Handle, rec: &Record, issued: u64) {
    batch.push(Command::ZAdd {
        key: Key::UserSessions(*tag, rec.id.clone()),
        member: Member::Handle(handle),
        score: rec.created,
    });
    batch.push(Command::ZAdd {
        key: Key::Issued(*tag),
        member: Member::Handle(handle),
        score: issued,
    });
}

/// Deletes the record under `handle` and every index entry of it. The `Delete` comes first,
/// so its reply (did the record exist) is the first of the commands pushed here.
///
/// With the user's `id` (read from the record), the user index loses the handle too, and the
/// user leaves `_users` when that was their last session. Without it (the record is already
/// gone), only `_expiry` is cleaned.
pub(crate) fn remove(
    batch: &mut Batch,
    tag: &Tag,
    handle: Handle,
    id: Option<&UserId>,
    expect: Expect,
) {
    batch.push(Command::Delete {
        key: Key::Session(*tag, handle),
        expect,
    });
    unindex(batch, tag, handle);
    if let Some(id) = id {
        let user = Key::UserSessions(*tag, id.clone());
        batch.push(Command::ZRem {
            key: user.clone(),
            member: Member::Handle(handle),
        });
        batch.push(Command::ZRemIfEmpty {
            key: Key::Users(*tag),
            member: Member::Id(id.clone()),
            watched: user,
        });
    }
}

/// Removes `handle` from the app-wide session indexes (`_expiry`, `_issued`).
pub(crate) fn unindex(batch: &mut Batch, tag: &Tag, handle: Handle) {
    batch.push(Command::ZRem {
        key: Key::Expiry(*tag),
        member: Member::Handle(handle),
    });
    batch.push(Command::ZRem {
        key: Key::Issued(*tag),
        member: Member::Handle(handle),
    });
}
