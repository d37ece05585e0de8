//! The stored form of a session, with its format version.

use crate::data::Data;
use crate::error::Error;
use serde::{Deserialize, Serialize};

/// The first byte of every encoded record. A reader refuses any other value, so a future
/// format can be introduced without misreading old records.
pub(crate) const FORMAT_VERSION: u8 = 1;
/// Records stay in the store this long past their expiry (a hint to the store), so that
/// `sweep` finds them and can clean up the user index they belong to.
pub(crate) const GRACE_MS: u64 = 3_600_000;

/// One session as stored: opaque outside the crate (its encoding is the core's business and
/// carries a format version). Times are milliseconds on the caller's clock; `ttl` and
/// `lifetime` are seconds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    pub(crate) id: String,
    pub(crate) ip: String,
    pub(crate) r: u64,
    pub(crate) w: u64,
    pub(crate) ttl: u64,
    pub(crate) created: u64,
    pub(crate) last: u64,
    pub(crate) no_resave: bool,
    pub(crate) lifetime: Option<u64>,
    /// The data as compact JSON, kept as text so a read never parses it.
    pub(crate) d: Option<String>,
}

impl Record {
    /// The first instant (ms) at which the session is no longer alive.
    pub(crate) fn expires(&self) -> u64 {
        let ttl_ms = self.ttl.saturating_mul(1000);
        let base = if self.no_resave {
            self.created
        } else {
            self.last
        };
        let sliding = base.saturating_add(ttl_ms);
        match self.lifetime {
            Some(l) => sliding.min(self.created.saturating_add(l.saturating_mul(1000))),
            None => sliding,
        }
    }

    /// Alive while `now < expires`.
    pub(crate) fn alive_at(&self, now: u64) -> bool {
        now < self.expires()
    }

    /// The store TTL hint for a write at `now`.
    pub(crate) fn ttl_hint(&self, now: u64) -> u64 {
        self.expires().saturating_sub(now).saturating_add(GRACE_MS)
    }

    pub(crate) fn data(&self) -> Option<Data> {
        self.d.clone().map(Data::from_stored)
    }

    pub(crate) fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(64 + self.d.as_ref().map_or(0, String::len));
        out.push(FORMAT_VERSION);
        // Serializing a plain struct into a Vec cannot fail.
        postcard::to_io(self, &mut out)
            .map(|_| ())
            .unwrap_or_default();
        out
    }

    pub(crate) fn decode(bytes: &[u8]) -> Result<Self, Error> {
        match bytes.split_first() {
            Some((&FORMAT_VERSION, rest)) => postcard::from_bytes(rest)
                .map_err(|e| Error::store(format!("a session record is corrupt: {e}"))),
            Some((v, _)) => Err(Error::store(format!(
                "a session record has format version {v}; this build reads version {FORMAT_VERSION}"
            ))),
            None => Err(Error::store("a session record is empty")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Record {
        Record {
            id: "u1".into(),
            ip: "::1".into(),
            r: 1,
            w: 2,
            ttl: 60,
            created: 1_000,
            last: 5_000,
            no_resave: false,
            lifetime: None,
            d: Some(r#"{"a":1}"#.into()),
        }
    }

    #[test]
    fn round_trips_and_refuses_unknown_versions() {
        let r = sample();
        let bytes = r.encode();
        assert_eq!(Record::decode(&bytes).unwrap(), r);
        let mut future = bytes.clone();
        future[0] = 2;
        assert_eq!(Record::decode(&future).unwrap_err().name(), "storeError");
        assert!(Record::decode(&[]).is_err());
        assert!(Record::decode(&bytes[..5]).is_err());
    }

    #[test]
    fn expiry_rules() {
        let mut r = sample();
        assert_eq!(r.expires(), 65_000);
        r.no_resave = true;
        assert_eq!(r.expires(), 61_000);
        r.no_resave = false;
        r.lifetime = Some(30);
        assert_eq!(r.expires(), 31_000);
    }
}
