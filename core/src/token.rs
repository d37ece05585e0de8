//! Session tokens and the handles derived from them.
//!
//! A token is the bearer secret a client holds. The store never sees it: every record and
//! index entry is keyed by the token's [`Handle`], the first 128 bits of the SHA-256 of the token. A dump
//! of the store therefore yields no usable token, and a handle can be shown in listings ("your
//! sessions") without letting anyone read the session.
//!
//! Tokens are never compared: a lookup hashes the presented token and asks the store for that
//! key, so there is no secret-dependent comparison for a timing attack to measure.

use crate::error::Error;
use base64::Engine as _;
use sha2::{Digest, Sha256};
use std::fmt;

/// The alphabet of tokens: 62 characters.
const ALPHABET: &[u8; 62] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
/// The length of a token, in characters.
pub const TOKEN_LEN: usize = 64;
/// The length of a handle's text, in characters (22 = base64url of 16 bytes, unpadded).
pub const HANDLE_LEN: usize = 22;
/// The length of a handle, in bytes: the first 128 bits of the token's SHA-256.
pub const HANDLE_BYTES: usize = 16;
/// SHA-256's initial hash value (FIPS 180-4, 5.3.3).
const SHA256_IV: [u32; 8] = [
    0x6a09_e667,
    0xbb67_ae85,
    0x3c6e_f372,
    0xa54f_f53a,
    0x510e_527f,
    0x9b05_688c,
    0x1f83_d9ab,
    0x5be0_cd19,
];

/// The padding block that follows a 64-byte message: a 1 bit, zeros, then the message length
/// in bits (512) as a 64-bit big-endian number.
const PADDING_64: [u8; 64] = {
    let mut block = [0; 64];
    block[0] = 0x80;
    block[62] = 0x02;
    block
};

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
        check_token(&value)?;
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
        Handle::digest(self.0.as_bytes())
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

/// Checks a presented token: `missingParameter` when empty, `invalidFormat` unless it is
/// exactly 64 characters of `[A-Za-z0-9]`.
fn check_token(value: &str) -> Result<(), Error> {
    if value.is_empty() {
        return Err(Error::missing("token"));
    }
    if value.len() != TOKEN_LEN || !value.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(Error::format("token"));
    }
    Ok(())
}

/// The non-secret name of a session: the first 128 bits of the SHA-256 of its token, shown as
/// 22 characters of base64url (unpadded).
///
/// It keys the session's record and index entries, appears in listings and events, and is
/// accepted by `kill` so that one device's session can be ended from a "your sessions" page.
/// 128 bits keep collisions out of reach (about 2^-64 at four billion sessions) and a handle
/// reveals nothing about its token. It is a plain 16-byte value: copying it allocates nothing.
///
/// ```
/// use session_core::{Handle, Token};
/// let t = Token::generate().unwrap();
/// let h = t.handle();
/// assert_eq!(h.to_string().len(), 22);
/// assert_eq!(Handle::new(h.to_string()).unwrap(), h);
/// assert_eq!(Handle::of_token(t.as_str()).unwrap(), h);
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Handle([u8; HANDLE_BYTES]);

impl Handle {
    /// Validates a handle's text: exactly 22 characters of `[A-Za-z0-9_-]`, the canonical
    /// base64url form of 16 bytes.
    pub fn new(value: impl AsRef<str>) -> Result<Self, Error> {
        let value = value.as_ref();
        if value.is_empty() {
            return Err(Error::missing("handle"));
        }
        Self::parse(value).ok_or(Error::format("handle"))
    }

    /// The handle of a presented token, which is validated as [`Token::new`] does, without
    /// copying it: what every lookup by token needs.
    pub fn of_token(token: &str) -> Result<Self, Error> {
        check_token(token)?;
        Ok(Self::digest(token.as_bytes()))
    }

    /// The first 16 bytes of SHA-256(`token`). A token is always 64 bytes: one block, then a
    /// padding block that is the same for every token, so the compression function runs
    /// directly on the two (what `Sha256::digest` does, without its buffering).
    fn digest(token: &[u8]) -> Self {
        let Ok(block) = <[u8; 64]>::try_from(token) else {
            let digest = Sha256::digest(token);
            let mut bytes = [0; HANDLE_BYTES];
            bytes.copy_from_slice(&digest[..HANDLE_BYTES]);
            return Self(bytes);
        };
        let mut state = SHA256_IV;
        sha2::compress256(&mut state, &[block.into(), PADDING_64.into()]);
        let mut bytes = [0; HANDLE_BYTES];
        for (out, word) in bytes.chunks_exact_mut(4).zip(state) {
            out.copy_from_slice(&word.to_be_bytes());
        }
        Self(bytes)
    }

    /// The text form, if `text` is one (canonical base64url of 16 bytes, no padding).
    pub(crate) fn parse(text: &str) -> Option<Self> {
        if text.len() != HANDLE_LEN {
            return None;
        }
        let mut bytes = [0; HANDLE_BYTES];
        // The strict engine refuses non-canonical trailing bits, so each handle has one text.
        let n = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode_slice(text, &mut bytes)
            .ok()?;
        (n == HANDLE_BYTES).then_some(Self(bytes))
    }

    /// The 16 bytes.
    pub fn as_bytes(&self) -> &[u8; HANDLE_BYTES] {
        &self.0
    }

    /// A handle from its 16 bytes (as a store read them back).
    pub fn from_bytes(bytes: [u8; HANDLE_BYTES]) -> Self {
        Self(bytes)
    }

    /// The 22-character text, without allocating.
    pub fn text(&self) -> HandleText {
        let mut text = [0; HANDLE_LEN];
        // 16 bytes always encode to exactly 22 characters.
        let _ = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode_slice(self.0, &mut text);
        HandleText(text)
    }
}

/// A handle's text on the stack (see [`Handle::text`]).
#[derive(Clone, Copy)]
pub struct HandleText([u8; HANDLE_LEN]);

impl HandleText {
    /// The 22 characters.
    pub fn as_str(&self) -> &str {
        // Base64 output is ASCII, so always UTF-8.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }
}

impl std::ops::Deref for HandleText {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl fmt::Display for Handle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text())
    }
}

impl fmt::Debug for Handle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Handle({})", self.text().as_str())
    }
}

impl serde::Serialize for Handle {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text())
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
    fn the_two_block_digest_is_sha256() {
        for token in [
            "a".repeat(64),
            Token::generate().unwrap().into_string(),
            "0".repeat(64),
        ] {
            let full = Sha256::digest(token.as_bytes());
            assert_eq!(Handle::digest(token.as_bytes()).0, full[..16]);
        }
        let short = Sha256::digest(b"abc");
        assert_eq!(Handle::digest(b"abc").0, short[..16]);
    }

    #[test]
    fn handle_is_truncated_sha256_base64url() {
        let t = Token::new("a".repeat(64)).unwrap();
        // echo -n aaaa…(64) | sha256sum: the first 16 bytes, then base64url without padding.
        let digest = Sha256::digest("a".repeat(64).as_bytes());
        let expected = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&digest[..16]);
        assert_eq!(t.handle().to_string(), expected);
        assert_eq!(Handle::new(&expected).unwrap(), t.handle());
        // Only the canonical text of 16 bytes is a handle.
        let mut last_bits = expected.clone().into_bytes();
        last_bits[21] = if last_bits[21] == b'B' { b'C' } else { b'B' };
        assert!(Handle::new(String::from_utf8(last_bits).unwrap()).is_err());
        assert!(Handle::new(&expected[..21]).is_err());
        assert_eq!(Handle::new("").unwrap_err(), Error::missing("handle"));
    }

    #[test]
    fn debug_does_not_leak_the_token() {
        let t = Token::generate().unwrap();
        assert!(!format!("{t:?}").contains(t.as_str()));
    }
}
