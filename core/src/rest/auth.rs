//! A shared secret that every request but the probes (`/ping`, `/health`, with any method and
//! read as the router reads paths: `/ping/` too) must carry as `Authorization: Bearer <token>`
//! (the server's `--auth-token`, the Worker's `AUTH_TOKEN`).
//!
//! Only the SHA-256 of the token is kept, and a request's token is compared by its SHA-256
//! with a comparison that looks at every byte, so the time an answer takes says nothing about
//! the token.

use super::answer::RestError;
use sha2::{Digest, Sha256};

/// The expected token, as its SHA-256.
///
/// ```
/// use session_core::rest::Auth;
/// let auth = Auth::new("s3cret");
/// assert!(auth.check("/shop/get/x", Some(b"Bearer s3cret")).is_ok());
/// assert!(auth.check("/ping", None).is_ok());
/// assert!(auth.check("/health/", None).is_ok()); // a trailing slash, as the router reads it
/// assert_eq!(auth.check("/shop/get/x", Some(b"Bearer nope")).unwrap_err().status, 401);
/// ```
#[derive(Clone)]
pub struct Auth {
    digest: [u8; 32],
}

impl std::fmt::Debug for Auth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Not even the digest: it would let a reader test guesses offline.
        f.write_str("Auth { .. }")
    }
}

impl Auth {
    /// Requests must carry `token`.
    pub fn new(token: &str) -> Self {
        Self {
            digest: Sha256::digest(token.as_bytes()).into(),
        }
    }

    /// Whether an `Authorization` header value carries the token (`Bearer`, any case).
    pub fn admits(&self, authorization: Option<&[u8]>) -> bool {
        let Some(value) = authorization else {
            return false;
        };
        // The scheme is case-insensitive (RFC 9110, section 11.1).
        let Some((scheme, token)) = value.split_at_checked(7) else {
            return false;
        };
        if !scheme.eq_ignore_ascii_case(b"bearer ") {
            return false;
        }
        let presented: [u8; 32] = Sha256::digest(token.trim_ascii()).into();
        equal(&presented, &self.digest)
    }

    /// Passes a request for `path` with this `Authorization` header, or answers `401`. The
    /// probes are open: the paths the router reads as `/ping` or `/health` (a method they do
    /// not take then gets the router's 405, which discloses nothing).
    pub fn check(&self, path: &str, authorization: Option<&[u8]>) -> Result<(), RestError> {
        if super::route::is_probe(path) || self.admits(authorization) {
            Ok(())
        } else {
            Err(RestError::unauthorized())
        }
    }
}

/// Compares every byte whatever the first difference (the inputs are digests).
fn equal(a: &[u8; 32], b: &[u8; 32]) -> bool {
    let diff = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    std::hint::black_box(diff) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_exact_bearer_token_is_admitted() {
        let auth = Auth::new("s3cret-token");
        let admits = |v: &str| auth.admits(Some(v.as_bytes()));
        assert!(admits("Bearer s3cret-token"));
        assert!(admits("bearer s3cret-token"));
        assert!(admits("BEARER  s3cret-token "));
        assert!(!admits("Bearer s3cret-toke"));
        assert!(!admits("Bearer s3cret-token2"));
        assert!(!admits("Basic s3cret-token"));
        assert!(!admits("s3cret-token"));
        assert!(!admits("Bearer"));
        assert!(!auth.admits(None));
        assert_eq!(format!("{auth:?}"), "Auth { .. }");
    }

    #[test]
    fn the_probes_are_open_as_the_router_reads_their_paths() {
        let auth = Auth::new("s3cret-token");
        for open in ["/ping", "/ping/", "/health", "/health/"] {
            assert!(auth.check(open, None).is_ok(), "{open}");
        }
        for closed in [
            "/metrics",
            "/metrics/",
            "/ping/x",
            "/pingx",
            "/shop/get/x",
            "/",
        ] {
            assert_eq!(
                auth.check(closed, None).unwrap_err().status,
                401,
                "{closed}"
            );
        }
    }
}
