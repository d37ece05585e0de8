//! The session as operations return it.

use crate::data::Data;
use crate::record::Record;
use crate::token::Handle;
use serde::Serialize;

/// A session, in redis-sessions' shape: `{id, r, w, ttl, idle, ip, d?, no_resave?}`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Session {
    /// The user id.
    pub id: String,
    /// Reads counted (for `get`: as it was before this read).
    pub r: u64,
    /// Writes counted (for `set`: including this write).
    pub w: u64,
    /// The TTL in seconds; for a `no_resave` session, the seconds that remain (rounded up).
    pub ttl: u64,
    /// Whole seconds since the last access before this call.
    pub idle: u64,
    /// The address given at creation.
    pub ip: String,
    /// The session's data; absent when it has none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub d: Option<Data>,
    /// True when the expiry does not slide.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub no_resave: bool,
}

impl Session {
    /// The view of `rec` at `now`, with `idle` measured from `last` (the previous access). It
    /// takes the record, so its text moves into the answer instead of being copied.
    pub(crate) fn of(rec: Record, now: u64, last: u64) -> Self {
        let ttl = if rec.no_resave {
            rec.expires().saturating_sub(now).div_ceil(1000)
        } else {
            rec.ttl
        };
        Session {
            id: rec.id.as_str().to_owned(),
            r: rec.r,
            w: rec.w,
            ttl,
            idle: now.saturating_sub(last) / 1000,
            ip: rec.ip,
            d: rec.d.map(Data::from_stored),
            no_resave: rec.no_resave,
        }
    }
}

/// A session in a listing (`soapp`, `soid`): the session plus its non-secret handle.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Listed {
    /// The session's handle (22 characters): pass it to `kill` to end this session.
    pub handle: Handle,
    /// The session.
    #[serde(flatten)]
    pub session: Session,
}
