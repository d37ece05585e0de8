//! Session tokens and the handles derived from them.
//!
//! A token is the bearer secret a client holds. The store never sees it: every record and
//! index entry is keyed by the token's [`Handle`], the base64url SHA-256 of the token. A dump
//! of the store therefore yields no usable token, and a handle can be shown in listings ("your
//! sessions") without letting anyone read the session.
//!
//! Tokens are never compared: a lookup hashes the presented token and asks the store for that
//! key, so there is no secret-dependent comparison for a timing attack to measure.

use crate::error::Error;
use base64::Engine as _;
use sha2::{Digest, Sha256};
use std::fmt;
use std::sync::Arc;

/// The alphabet of tokens: 62 characters.
const ALPHABET: &[u8; 62] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
/// The length of a token, in characters.
pub const TOKEN_LEN: usize = 64;
/// The length of a handle, in characters (43 = base64url of 32 bytes, unpadded).
pub const HANDLE_LEN: usize = 43;
/// Random bytes below this bound map onto the alphabet without bias (248 = 4 × 62).
const UNBIASED_BOUND: u8 = 248;

/// A session token: exactly 64 characters of `[A-Za-z0-9]`.
///
/// ```
/// use session_core::Token;
/// let t = Token::generate().unwrap();
/// assert_eq!(t.as_str().len(), 64);
/// assert!(Token::new(t.as_str()).is_ok());
/// assert_eq!(Token::new("short").unwrap_err().to_string(), "Invalid token format");
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Token(String);

impl Token {
    /// Validates a token presented by a client.
    pub fn new(value: impl Into<String>) -> Result<Self, Error> {
        let value = value.into();
        if value.is_empty() {
            return Err(Error::missing("token"));
        }
        if value.len() != TOKEN_LEN || !value.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(Error::format("token"));
        }
        Ok(Self(value))
    }

    /// Draws a fresh token from the operating system's CSPRNG.
    ///
    /// Each character is chosen by rejection sampling (bytes ≥ 248 are redrawn), so every
    /// character of the alphabet is equally likely: 64 × log2(62) ≈ 381 bits of entropy.
    pub fn generate() -> Result<Self, Error> {
        let mut out = String::with_capacity(TOKEN_LEN);
        let mut buf = [0u8; 80];
        while out.len() < TOKEN_LEN {
            getrandom::fill(&mut buf)
                .map_err(|e| Error::store(format!("the OS random source failed: {e}")))?;
            for &b in buf.iter().filter(|&&b| b < UNBIASED_BOUND) {
                if out.len() == TOKEN_LEN {
                    break;
                }
                out.push(char::from(ALPHABET[usize::from(b % 62)]));
            }
        }
        Ok(Self(out))
    }

    /// The token text, to hand to the client.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The handle under which this token's session is stored.
    pub fn handle(&self) -> Handle {
        let digest = Sha256::digest(self.0.as_bytes());
        let mut text = [0u8; HANDLE_LEN];
        let written = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode_slice(digest, &mut text)
            .unwrap_or_default();
        // Base64 output is ASCII, so always UTF-8.
        Handle(
            std::str::from_utf8(&text[..written])
                .unwrap_or_default()
                .into(),
        )
    }

    /// Gives up the token text.
    pub fn into_string(self) -> String {
        self.0
    }
}

impl AsRef<str> for Token {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// Tokens are secrets: their `Debug` output is redacted so that they do not end up in logs.
impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(<redacted>)")
    }
}

/// The non-secret name of a session: the base64url (unpadded) SHA-256 of its token.
///
/// It keys the session's record and index entries, appears in listings, and is accepted by
/// `kill` so that one device's session can be ended from a "your sessions" page.
///
/// ```
/// use session_core::{Handle, Token};
/// let t = Token::generate().unwrap();
/// let h = t.handle();
/// assert_eq!(h.as_str().len(), 43);
/// assert_eq!(Handle::new(h.as_str()).unwrap(), h);
/// ```
///
/// Cloning it is cheap (a shared string): store keys and events copy it often.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Handle(Arc<str>);

impl serde::Serialize for Handle {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl Handle {
    /// Validates a handle: exactly 43 characters of `[A-Za-z0-9_-]`.
    pub fn new(value: impl Into<String>) -> Result<Self, Error> {
        let value = value.into();
        if value.is_empty() {
            return Err(Error::missing("handle"));
        }
        let ok = value.len() == HANDLE_LEN
            && value
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        if !ok {
            return Err(Error::format("handle"));
        }
        Ok(Self(value.into()))
    }

    /// The handle text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Wraps a handle the core wrote into an index.
    pub(crate) fn from_stored(value: String) -> Self {
        Self(value.into())
    }
}

impl fmt::Display for Handle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_use_the_whole_alphabet_evenly() {
        // 2,000 tokens = 128,000 characters, about 2,065 per symbol. A modulo-biased draw
        // (b % 62 over all 256 bytes) would give the first 8 symbols about 20% more.
        let mut counts = [0u32; 62];
        for _ in 0..2000 {
            for b in Token::generate().unwrap().as_str().bytes() {
                let i = ALPHABET.iter().position(|&a| a == b).unwrap();
                counts[i] += 1;
            }
        }
        let expected = 128_000.0 / 62.0;
        for (i, &c) in counts.iter().enumerate() {
            let dev = (f64::from(c) - expected).abs() / expected;
            assert!(
                dev < 0.12,
                "symbol {i} drawn {c} times, expected about {expected}"
            );
        }
    }

    #[test]
    fn handle_is_sha256_base64url() {
        let t = Token::new("a".repeat(64)).unwrap();
        // echo -n aaaa…(64) | sha256sum, then base64url without padding.
        let digest = Sha256::digest("a".repeat(64).as_bytes());
        let expected = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest);
        assert_eq!(t.handle().as_str(), expected);
        assert!(Handle::new(expected).is_ok());
    }

    #[test]
    fn debug_does_not_leak_the_token() {
        let t = Token::generate().unwrap();
        assert!(!format!("{t:?}").contains(t.as_str()));
    }
}
