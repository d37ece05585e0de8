//! The input rules of the semantics table, as validated newtypes.
//!
//! A value of one of these types is proof that the rule held, so operations never re-check.

use crate::error::Error;
use std::fmt;
use std::sync::Arc;

/// The longest TTL, absolute lifetime or `dt` accepted, in seconds: 365 days.
pub const MAX_SECONDS: u64 = 365 * 24 * 3600;
/// The shortest TTL, absolute lifetime or `dt` accepted, in seconds.
pub const MIN_SECONDS: u64 = 10;
/// The TTL of a session created without one, in seconds.
pub const DEFAULT_TTL: u64 = 7200;

macro_rules! text_newtype {
    ($(#[$doc:meta])* $name:ident, $field:literal, $check:expr) => {
        $(#[$doc])*
        ///
        /// Cloning it is cheap (a shared string): store keys and events copy it often.
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(Arc<str>);

        impl $name {
            /// Validates `value`: a `missingParameter` error when it is empty, an
            /// `invalidFormat` error when it breaks the rule.
            pub fn new(value: impl Into<String>) -> Result<Self, Error> {
                let value = value.into();
                if value.is_empty() {
                    return Err(Error::missing($field));
                }
                let check: fn(&str) -> bool = $check;
                if !check(&value) {
                    return Err(Error::format($field));
                }
                Ok(Self(value.into()))
            }

            /// The validated text.
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// Wraps text the core validated before it was stored.
            #[allow(dead_code)] // Not every newtype is read back from a record.
            pub(crate) fn from_stored(value: &str) -> Self {
                Self(value.into())
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
    };
}

/// The longest app name, in bytes.
const APP_MAX: usize = 20;

/// An app name: 3–20 characters of `[A-Za-z0-9_-]`.
///
/// It is kept inline (no allocation), so copying it into keys and events is free.
///
/// ```
/// use session_core::App;
/// assert!(App::new("forum").is_ok());
/// assert_eq!(App::new("a b").unwrap_err().to_string(), "Invalid app format");
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct App {
    len: u8,
    bytes: [u8; APP_MAX],
}

impl App {
    /// Validates `value`: a `missingParameter` error when it is empty, an `invalidFormat`
    /// error when it breaks the rule.
    pub fn new(value: impl AsRef<str>) -> Result<Self, Error> {
        let value = value.as_ref();
        if value.is_empty() {
            return Err(Error::missing("app"));
        }
        let ok = (3..=APP_MAX).contains(&value.len())
            && value
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        if !ok {
            return Err(Error::format("app"));
        }
        Ok(Self::from_stored(value))
    }

    /// The validated text.
    pub fn as_str(&self) -> &str {
        // Copied from a validated `&str` of ASCII.
        std::str::from_utf8(&self.bytes[..usize::from(self.len)]).unwrap_or_default()
    }

    /// Wraps a name the core validated before it was stored (at most 20 bytes are kept).
    pub(crate) fn from_stored(value: &str) -> Self {
        let len = value.len().min(APP_MAX);
        let mut bytes = [0; APP_MAX];
        bytes[..len].copy_from_slice(&value.as_bytes()[..len]);
        Self {
            len: len as u8,
            bytes,
        }
    }
}

impl fmt::Debug for App {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "App({})", self.as_str())
    }
}

impl fmt::Display for App {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl AsRef<str> for App {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl PartialOrd for App {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for App {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.as_str().cmp(other.as_str())
    }
}

text_newtype!(
    /// A user id: 1–128 characters, no control characters. Unicode and e-mail addresses are
    /// fine.
    ///
    /// ```
    /// use session_core::UserId;
    /// assert!(UserId::new("jo@example.com").is_ok());
    /// assert!(UserId::new("line\nbreak").is_err());
    /// ```
    UserId,
    "id",
    |s| printable_within(s, 128)
);

text_newtype!(
    /// A client address as given: 1–39 characters (an IPv6 address fits), no control
    /// characters.
    ///
    /// ```
    /// use session_core::Ip;
    /// assert!(Ip::new("2001:db8::1").is_ok());
    /// ```
    Ip,
    "ip",
    |s| printable_within(s, 39)
);

/// 1..=`max` characters (Unicode scalar values), none of them a control character.
fn printable_within(s: &str, max: usize) -> bool {
    let mut count = 0;
    for c in s.chars() {
        if c.is_control() {
            return false;
        }
        count += 1;
        if count > max {
            return false;
        }
    }
    count >= 1
}

/// Checks a duration in whole seconds against [`MIN_SECONDS`]..=[`MAX_SECONDS`].
///
/// `field` names the input in the message (`ttl`, `lifetime`).
///
/// ```
/// use session_core::validate::seconds;
/// assert_eq!(seconds("ttl", 60), Ok(60));
/// assert_eq!(seconds("ttl", 9).unwrap_err().to_string(), "ttl must be a positive integer >= 10");
/// ```
pub fn seconds(field: &'static str, value: u64) -> Result<u64, Error> {
    if value < MIN_SECONDS {
        return Err(too_small(field));
    }
    if value > MAX_SECONDS {
        return Err(Error::value(
            field,
            format!("{field} must be at most {MAX_SECONDS}"),
        ));
    }
    Ok(value)
}

/// Checks a look-back window `dt` in whole seconds: at least [`MIN_SECONDS`]. There is no upper
/// bound: a window wider than any TTL simply includes everything.
pub fn delta(value: u64) -> Result<u64, Error> {
    if value < MIN_SECONDS {
        return Err(too_small("dt"));
    }
    Ok(value)
}

/// The `invalidValue` error for a duration below the minimum (or not a whole number).
pub(crate) fn too_small(field: &'static str) -> Error {
    Error::value(field, format!("{field} must be a positive integer >= 10"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn app_bounds() {
        assert!(App::new("abc").is_ok());
        assert!(App::new("a".repeat(20)).is_ok());
        assert_eq!(App::new("ab"), Err(Error::format("app")));
        assert_eq!(App::new("a".repeat(21)), Err(Error::format("app")));
        assert_eq!(App::new(""), Err(Error::missing("app")));
        assert_eq!(App::new("ab:c"), Err(Error::format("app")));
        let app = App::new("forum").unwrap();
        assert_eq!(app.as_ref(), "forum");
        assert_eq!(app.to_string(), "forum");
        assert_eq!(format!("{app:?}"), "App(forum)");
        let later = App::new("forums").unwrap();
        assert_eq!(app.partial_cmp(&later), Some(std::cmp::Ordering::Less));
        assert!(app < later);
    }

    #[test]
    fn id_counts_characters_not_bytes() {
        assert!(UserId::new("é".repeat(128)).is_ok());
        assert!(UserId::new("é".repeat(129)).is_err());
        assert!(UserId::new("a\u{7}b").is_err());
        assert!(UserId::new("a\u{85}b").is_err());
    }
}
