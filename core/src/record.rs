//! The stored form of a session, with its format version.
//!
//! The encoding is written by hand, not by a serialization framework: a format byte, then
//! varints and length-prefixed text, with `d` last as the compact JSON text the core wrote, so
//! decoding a record copies its data as text (see [`crate::Data`] for who parses it, and
//! when). 3 small data keys make a record of about 80 bytes.
//!
//! | field | encoding |
//! |---|---|
//! | format | one byte, [`FORMAT_VERSION`] |
//! | flags | one byte: 1 `no_resave`, 2 has `lifetime`, 4 has `d` |
//! | `r`, `w`, `ttl`, `created` | LEB128 varints |
//! | `last` | zigzag varint of `last - created` (small; negative only when clocks disagree) |
//! | `lifetime` | varint, when flagged |
//! | `id`, `ip` | varint length, then UTF-8 |
//! | `d` | the rest of the bytes, when flagged |

use crate::error::Error;
use crate::validate::UserId;

/// The first byte of every encoded record. A reader refuses any other value, so a future
/// format can be introduced without misreading old records.
pub(crate) const FORMAT_VERSION: u8 = 2;
/// Records stay in the store this long past their expiry (a hint to the store), so that
/// `sweep` finds them and can clean up the user index they belong to.
pub(crate) const GRACE_MS: u64 = 3_600_000;

const NO_RESAVE: u8 = 1;
const HAS_LIFETIME: u8 = 2;
const HAS_DATA: u8 = 4;

/// One session as stored: opaque outside the crate (its encoding is the core's business and
/// carries a format version). Times are milliseconds on the caller's clock; `ttl` and
/// `lifetime` are seconds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub(crate) id: UserId,
    pub(crate) ip: String,
    pub(crate) r: u64,
    pub(crate) w: u64,
    pub(crate) ttl: u64,
    pub(crate) created: u64,
    pub(crate) last: u64,
    pub(crate) no_resave: bool,
    pub(crate) lifetime: Option<u64>,
    /// The data as compact JSON, kept as text (decoding copies it; see [`crate::Data`]).
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

    pub(crate) fn encode(&self) -> Vec<u8> {
        let d = self.d.as_deref().unwrap_or_default();
        let mut out = Vec::with_capacity(40 + self.id.as_str().len() + self.ip.len() + d.len());
        let flags = (u8::from(self.no_resave) * NO_RESAVE)
            | (u8::from(self.lifetime.is_some()) * HAS_LIFETIME)
            | (u8::from(self.d.is_some()) * HAS_DATA);
        out.push(FORMAT_VERSION);
        out.push(flags);
        for n in [self.r, self.w, self.ttl, self.created] {
            put_varint(&mut out, n);
        }
        // Two's complement difference, zigzagged: exact for any pair of u64s.
        let delta = self.last.wrapping_sub(self.created) as i64;
        put_varint(&mut out, ((delta << 1) ^ (delta >> 63)) as u64);
        if let Some(l) = self.lifetime {
            put_varint(&mut out, l);
        }
        for text in [self.id.as_str(), &self.ip] {
            put_varint(&mut out, text.len() as u64);
            out.extend_from_slice(text.as_bytes());
        }
        out.extend_from_slice(d.as_bytes());
        out
    }

    pub(crate) fn decode(bytes: &[u8]) -> Result<Self, Error> {
        let corrupt = || Error::store("a session record is corrupt");
        let mut r = Reader(bytes);
        match r.byte() {
            Some(FORMAT_VERSION) => {}
            Some(v) => {
                return Err(Error::store(format!(
                    "a session record has format version {v}; this build reads version {FORMAT_VERSION}"
                )));
            }
            None => return Err(Error::store("a session record is empty")),
        }
        let flags = r.byte().ok_or_else(corrupt)?;
        let mut n = || r.varint().ok_or_else(corrupt);
        let (reads, writes, ttl, created) = (n()?, n()?, n()?, n()?);
        let zigzag = n()?;
        let delta = (zigzag >> 1) as i64 ^ -((zigzag & 1) as i64);
        let last = created.wrapping_add(delta as u64);
        let lifetime = if flags & HAS_LIFETIME != 0 {
            Some(r.varint().ok_or_else(corrupt)?)
        } else {
            None
        };
        let id = UserId::from_stored(r.text().ok_or_else(corrupt)?);
        let ip = r.text().ok_or_else(corrupt)?.to_owned();
        let d = if flags & HAS_DATA != 0 {
            // The text goes into answers as it is: it must be data, or it could break them.
            let text = std::str::from_utf8(r.0).map_err(|_| corrupt())?;
            if !crate::data::is_stored_form(text) {
                return Err(corrupt());
            }
            Some(text.to_owned())
        } else if r.0.is_empty() {
            None
        } else {
            return Err(corrupt());
        };
        Ok(Record {
            id,
            ip,
            r: reads,
            w: writes,
            ttl,
            created,
            last,
            no_resave: flags & NO_RESAVE != 0,
            lifetime,
            d,
        })
    }
}

pub(crate) fn put_varint(out: &mut Vec<u8>, mut n: u64) {
    while n >= 0x80 {
        out.push((n as u8) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

/// Reads an encoded record front to back; `None` when it ends early or is malformed.
pub(crate) struct Reader<'a>(pub(crate) &'a [u8]);

impl<'a> Reader<'a> {
    pub(crate) fn byte(&mut self) -> Option<u8> {
        let (&b, rest) = self.0.split_first()?;
        self.0 = rest;
        Some(b)
    }

    pub(crate) fn varint(&mut self) -> Option<u64> {
        let mut n: u64 = 0;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            n |= u64::from(b & 0x7f).checked_shl(shift)?;
            if b & 0x80 == 0 {
                return Some(n);
            }
        }
        None
    }

    fn text(&mut self) -> Option<&'a str> {
        let len = usize::try_from(self.varint()?).ok()?;
        if len > self.0.len() {
            return None;
        }
        let (text, rest) = self.0.split_at(len);
        self.0 = rest;
        std::str::from_utf8(text).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Record {
        Record {
            id: UserId::from_stored("u1"),
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
        let mut r = sample();
        let bytes = r.encode();
        assert_eq!(Record::decode(&bytes).unwrap(), r);
        let mut future = bytes.clone();
        future[0] = 3;
        assert_eq!(Record::decode(&future).unwrap_err().name(), "storeError");
        assert!(Record::decode(&[]).is_err());
        for cut in 1..bytes.len() - 7 {
            assert!(Record::decode(&bytes[..cut]).is_err(), "cut at {cut}");
        }
        r.d = None;
        r.no_resave = true;
        r.lifetime = Some(u64::MAX);
        r.id = UserId::from_stored("ü 🚀");
        assert_eq!(Record::decode(&r.encode()).unwrap(), r);
        for (created, last) in [(5, 1), (0, u64::MAX), (u64::MAX, 0), (u64::MAX, u64::MAX)] {
            let rec = Record {
                created,
                last,
                ..sample()
            };
            assert_eq!(
                Record::decode(&rec.encode()).unwrap(),
                rec,
                "{created} {last}"
            );
        }
        let mut trailing = r.encode();
        trailing.push(b'x');
        assert!(Record::decode(&trailing).is_err());
    }

    #[test]
    fn a_typical_session_is_small() {
        let r = Record {
            id: UserId::from_stored("user12345"),
            ip: "192.168.1.10".into(),
            r: 1,
            w: 1,
            ttl: 7200,
            created: 1_700_000_000_000,
            last: 1_700_000_000_000,
            no_resave: false,
            lifetime: None,
            d: Some(r#"{"admin":false,"cart":3,"theme":"dark"}"#.into()),
        };
        assert_eq!(r.encode().len(), 75);
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
        // The store's TTL hint: what remains, plus the grace that lets `sweep` find it.
        assert_eq!(r.ttl_hint(5_000), 26_000 + GRACE_MS);
        assert_eq!(r.ttl_hint(40_000), GRACE_MS);
    }
}
