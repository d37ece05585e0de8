//! Answers: a result or an error as (status, content type, body, headers).
//!
//! Every error answer is JSON `{"error": name, "message": ...}`. An operation's error keeps
//! the core's name and message, with a status that says whose fault it is; the errors of the
//! HTTP layer (no route, wrong method, an unreadable body, no credentials) have names of
//! their own.

use crate::error::Error;
use serde_json::Value;

/// A response to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// The HTTP status.
    pub status: u16,
    /// The `Content-Type`.
    pub content_type: &'static str,
    /// The body.
    pub body: String,
    /// Headers besides `Content-Type`: `Cache-Control: no-store` on every reply, and `Allow`
    /// or `WWW-Authenticate` when they apply.
    pub headers: Vec<(&'static str, String)>,
}

/// The content type of every answer but `/ping`'s, `/metrics`' and `/openapi.json`'s.
const JSON: &str = "application/json";

/// The headers of every reply: `Cache-Control: no-store`. An answer carries a token (create,
/// regenerate) or a session's data, and every read counts: no cache may keep one (OWASP's
/// session management guidance).
fn reply_headers() -> Vec<(&'static str, String)> {
    vec![("cache-control", "no-store".to_owned())]
}

impl Reply {
    /// `200` with a JSON body.
    pub fn json(body: String) -> Self {
        Self {
            status: 200,
            content_type: JSON,
            body,
            headers: reply_headers(),
        }
    }
}

/// `PONG`, four bytes of plain text, exactly as rest-sessions answers `GET /ping`.
pub fn pong() -> Reply {
    Reply {
        status: 200,
        content_type: "text/plain; charset=utf-8",
        body: "PONG".into(),
        headers: reply_headers(),
    }
}

/// The answer to an operation: its JSON result, where `null` (an unknown, expired or killed
/// token) is `200 {}` as rest-sessions clients expect; or its error.
pub fn answer(result: Result<&Value, &Error>) -> Reply {
    match result {
        Ok(Value::Null) => Reply::json("{}".into()),
        Ok(v) => Reply::json(v.to_string()),
        Err(e) => RestError::from(e).reply(),
    }
}

/// [`answer`] for a [`Response`](crate::Response), written straight to JSON text (a listing
/// never becomes a `serde_json::Value` tree).
pub fn respond(result: Result<&crate::Response, &Error>) -> Reply {
    match result {
        Ok(r) => {
            let text = r.to_json_text();
            Reply::json(if text == "null" { "{}".into() } else { text })
        }
        Err(e) => RestError::from(e).reply(),
    }
}

/// An error answer: status, name, message (and the `Allow` header of a 405).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RestError {
    /// The HTTP status.
    pub status: u16,
    /// The error's name: the core's, or the HTTP layer's (`badRequest`, `unauthorized`,
    /// `notFound`, `methodNotAllowed`, `timeout`).
    pub name: &'static str,
    /// What went wrong, naming the field or the route.
    pub message: String,
    /// For `methodNotAllowed`: the methods the path takes, for the `Allow` header.
    pub allow: Option<String>,
}

impl From<&Error> for RestError {
    fn from(e: &Error) -> Self {
        Self::new(error_status(e.name()), e.name(), e.to_string())
    }
}

/// The status of an error by its name: the caller's input 400 (413 when too large), a write
/// that kept conflicting 409, the store 503; the HTTP layer's own names their own statuses.
/// For a host that has an operation's error as a name and a message (the Worker, from a
/// Durable Object).
///
/// ```
/// use session_core::rest::error_status;
/// assert_eq!(error_status("invalidFormat"), 400);
/// assert_eq!(error_status("storeError"), 503);
/// ```
pub fn error_status(name: &str) -> u16 {
    match name {
        "tooLarge" => 413,
        "conflict" => 409,
        "storeError" => 503,
        "unauthorized" => 401,
        "notFound" => 404,
        "methodNotAllowed" => 405,
        "timeout" => 408,
        // missingParameter, invalidFormat, invalidValue, badRequest
        _ => 400,
    }
}

impl RestError {
    /// An error with its status, name and message.
    pub fn new(status: u16, name: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            name,
            message: message.into(),
            allow: None,
        }
    }

    /// `404 notFound`: no route has this path.
    pub fn not_found() -> Self {
        Self::new(404, "notFound", "No such route; see /openapi.json")
    }

    /// `405 methodNotAllowed`: the path takes only `allow`.
    pub fn method_not_allowed(method: &str, path: &str, allow: &str) -> Self {
        Self {
            allow: Some(allow.to_owned()),
            ..Self::new(
                405,
                "methodNotAllowed",
                format!(
                    "{method} is not allowed on {path} (the Allow header lists the methods it takes)"
                ),
            )
        }
    }

    /// `413 tooLarge`: the body is (or says it is) larger than `limit` bytes.
    pub fn too_large(limit: usize) -> Self {
        Self::new(
            413,
            "tooLarge",
            format!("The request body is larger than {limit} bytes"),
        )
    }

    /// `400 badRequest`: the body could not be read (a malformed chunk, a connection closed
    /// early), for the reason `why`.
    pub fn unreadable(why: &str) -> Self {
        Self::new(
            400,
            "badRequest",
            format!("The request body could not be read ({why})"),
        )
    }

    /// `408 timeout`: the body did not arrive within `seconds`.
    pub fn timeout(seconds: f64) -> Self {
        Self::new(
            408,
            "timeout",
            format!("The request body did not arrive within {seconds} s"),
        )
    }

    /// `401 unauthorized`, with the `WWW-Authenticate` challenge in its reply.
    pub fn unauthorized() -> Self {
        Self::new(
            401,
            "unauthorized",
            "This server requires a token: send the header Authorization: Bearer <token>",
        )
    }

    /// The reply: `{"error", "message"}`, with `Allow` or `WWW-Authenticate` when they apply.
    pub fn reply(&self) -> Reply {
        let mut body = String::with_capacity(40 + self.message.len());
        body.push_str("{\"error\":");
        crate::host::write_str(&mut body, self.name);
        body.push_str(",\"message\":");
        crate::host::write_str(&mut body, &self.message);
        body.push('}');
        let mut headers = reply_headers();
        if let Some(allow) = &self.allow {
            headers.push(("allow", allow.clone()));
        }
        if self.status == 401 {
            headers.push((
                "www-authenticate",
                "Bearer realm=\"session-core\"".to_owned(),
            ));
        }
        Reply {
            status: self.status,
            content_type: JSON,
            body,
            headers,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn results_and_errors_become_replies() {
        assert_eq!(answer(Ok(&Value::Null)).body, "{}");
        assert_eq!(answer(Ok(&json!({"kill": 1}))).body, r#"{"kill":1}"#);
        let r = answer(Err(&Error::missing("app")));
        assert_eq!(
            (r.status, r.body.as_str()),
            (
                400,
                r#"{"error":"missingParameter","message":"No app supplied"}"#
            )
        );
        assert_eq!(answer(Err(&Error::store("down"))).status, 503);
        assert_eq!(answer(Err(&Error::Conflict { attempts: 3 })).status, 409);
        let r = RestError::unauthorized().reply();
        assert!(r.headers.iter().any(|(k, _)| *k == "www-authenticate"));
    }

    #[test]
    fn no_reply_may_be_stored_by_a_cache() {
        let replies = [
            respond(Ok(&crate::Response::Token(None))),
            respond(Ok(&crate::Response::Kill(1))),
            answer(Ok(&json!({"token": "t"}))),
            answer(Ok(&Value::Null)),
            answer(Err(&Error::missing("app"))),
            RestError::unauthorized().reply(),
            pong(),
        ];
        for r in replies {
            assert!(
                r.headers
                    .contains(&("cache-control", "no-store".to_owned())),
                "{r:?}"
            );
        }
    }
}
