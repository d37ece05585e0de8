//! `--auth-token`: a shared secret that every request but `/ping` and `/health` must carry as
//! `Authorization: Bearer <token>`.
//!
//! Only the SHA-256 of the token is kept, and a request's token is compared by its SHA-256
//! with a comparison that looks at every byte, so the time an answer takes says nothing about
//! the token. Neither is ever logged.

use crate::config::Secret;
use crate::errors::HttpError;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use std::sync::Arc;

/// Routes open without the token: liveness and readiness probes.
pub(crate) const OPEN_ROUTES: &[&str] = &["/ping", "/health"];

/// The expected token, as its SHA-256.
#[derive(Clone)]
pub(crate) struct Auth {
    digest: [u8; 32],
}

impl Auth {
    pub(crate) fn new(token: &Secret) -> Self {
        Self {
            digest: Sha256::digest(token.0.as_bytes()).into(),
        }
    }

    /// Whether an `Authorization` header value carries the token.
    fn admits(&self, authorization: Option<&HeaderValue>) -> bool {
        let Some(value) = authorization.map(HeaderValue::as_bytes) else {
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
}

/// Compares every byte whatever the first difference (the inputs are digests).
fn equal(a: &[u8; 32], b: &[u8; 32]) -> bool {
    let diff = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    std::hint::black_box(diff) == 0
}

/// The middleware: 401 (JSON, with `WWW-Authenticate: Bearer`) without the token.
pub(crate) async fn require(State(auth): State<Arc<Auth>>, req: Request, next: Next) -> Response {
    if OPEN_ROUTES.contains(&req.uri().path())
        || auth.admits(req.headers().get(header::AUTHORIZATION))
    {
        return next.run(req).await;
    }
    let mut response = HttpError::new(
        StatusCode::UNAUTHORIZED,
        "unauthorized",
        "This server requires a token: send the header Authorization: Bearer <token>",
    )
    .into_response();
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Bearer realm=\"session-core\""),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_exact_bearer_token_is_admitted() {
        let auth = Auth::new(&Secret("s3cret-token".into()));
        let header = |v: &str| HeaderValue::from_str(v).unwrap();
        assert!(auth.admits(Some(&header("Bearer s3cret-token"))));
        assert!(auth.admits(Some(&header("bearer s3cret-token"))));
        assert!(!auth.admits(Some(&header("Bearer s3cret-toke"))));
        assert!(!auth.admits(Some(&header("Bearer s3cret-token2"))));
        assert!(!auth.admits(Some(&header("Basic s3cret-token"))));
        assert!(!auth.admits(Some(&header("s3cret-token"))));
        assert!(!auth.admits(Some(&header("Bearer"))));
        assert!(!auth.admits(None));
    }
}
