//! The typed error of the layer and the extractor, and the HTTP answer of each kind.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use std::fmt;

/// Why a session call failed. Each kind has its HTTP status ([`SessionError::status`]), so a
/// handler can return it with `?` (it implements [`IntoResponse`]).
///
/// | kind | status | body |
/// |---|---|---|
/// | [`NotAuthenticated`](SessionError::NotAuthenticated) | 401, with `WWW-Authenticate: Bearer` | empty |
/// | [`Store`](SessionError::Store) | 503 | `{"error":{"name":"storeError","message":"the session store is unavailable"}}` (`conflict` alike); the store's own message is not sent |
/// | [`InvalidValue`](SessionError::InvalidValue), [`WrongType`](SessionError::WrongType), [`Input`](SessionError::Input), [`Config`](SessionError::Config), [`MissingLayer`](SessionError::MissingLayer) | 500 | `{"error":{"name","message"}}` |
///
/// A forged, malformed, expired or killed token is never an error: the request simply has
/// no session.
///
/// ```
/// use axum::http::StatusCode;
/// use session_core_tower::SessionError;
///
/// let e = SessionError::from(session_core::Error::store("Redis at 10.0.0.5:6379 is unreachable"));
/// assert_eq!(e.status(), StatusCode::SERVICE_UNAVAILABLE);
/// assert_eq!(SessionError::NotAuthenticated.status(), StatusCode::UNAUTHORIZED);
/// let e = SessionError::from(session_core::Error::format("id"));
/// assert_eq!((e.status(), e.to_string().as_str()), (StatusCode::INTERNAL_SERVER_ERROR, "Invalid id format"));
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum SessionError {
    /// The request has no live session, and the call needs one (`insert`, `remove`,
    /// `active_sessions`, or the [`RequireSession`](crate::RequireSession) guard).
    NotAuthenticated,
    /// `insert` was given a value that is not a string, a finite number or a boolean (session
    /// data is a flat object of those).
    InvalidValue {
        /// The key.
        key: String,
        /// What the value serialized to instead (`"null"`, `"an array"`, …).
        found: &'static str,
    },
    /// `get` found a value that does not deserialize into the type asked for.
    WrongType {
        /// The key.
        key: String,
        /// serde's message.
        message: String,
    },
    /// The store failed, or a write kept conflicting past the core's retry bound (the core's
    /// `storeError` and `conflict`): try again later.
    Store(session_core::Error),
    /// The core refused an input: a user id or `d` for `log_in` that breaks its rules, data
    /// over a size limit, a TTL out of range, an invalid app name.
    Input(session_core::Error),
    /// The cookie settings do not make a valid `Set-Cookie` header.
    Config(String),
    /// The route is not wrapped by a [`SessionLayer`](crate::SessionLayer).
    MissingLayer,
}

impl SessionError {
    /// The HTTP status this error answers with.
    ///
    /// ```
    /// use session_core_tower::SessionError;
    /// assert_eq!(SessionError::MissingLayer.status().as_u16(), 500);
    /// ```
    pub fn status(&self) -> StatusCode {
        match self {
            Self::NotAuthenticated => StatusCode::UNAUTHORIZED,
            Self::Store(_) => StatusCode::SERVICE_UNAVAILABLE,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// A short name: the core's error name for [`Store`](Self::Store) and
    /// [`Input`](Self::Input) (`storeError`, `conflict`, `invalidFormat`, …), otherwise
    /// `notAuthenticated`, `invalidValue`, `wrongType`, `config` or `missingLayer`.
    ///
    /// ```
    /// use session_core_tower::SessionError;
    /// let e = SessionError::InvalidValue { key: "cart".into(), found: "an array" };
    /// assert_eq!(e.name(), "invalidValue");
    /// ```
    pub fn name(&self) -> &'static str {
        match self {
            Self::NotAuthenticated => "notAuthenticated",
            Self::InvalidValue { .. } => "invalidValue",
            Self::WrongType { .. } => "wrongType",
            Self::Store(e) | Self::Input(e) => e.name(),
            Self::Config(_) => "config",
            Self::MissingLayer => "missingLayer",
        }
    }
}

/// Store failures and contention become [`SessionError::Store`]; everything else the core
/// refuses is [`SessionError::Input`].
impl From<session_core::Error> for SessionError {
    fn from(e: session_core::Error) -> Self {
        if e.is_input_error() {
            Self::Input(e)
        } else {
            Self::Store(e)
        }
    }
}

impl fmt::Display for SessionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotAuthenticated => f.write_str("The request has no live session"),
            Self::InvalidValue { key, found } => write!(
                f,
                "d.{key} must be a string, a finite number or a boolean, not {found}"
            ),
            Self::WrongType { key, message } => write!(f, "d.{key} has another type: {message}"),
            Self::Store(e) | Self::Input(e) => e.fmt(f),
            Self::Config(m) => write!(f, "The session cookie settings are invalid: {m}"),
            Self::MissingLayer => f.write_str(
                "No SessionLayer wraps this route: add .layer(SessionLayer::new(store)) to the router",
            ),
        }
    }
}

impl std::error::Error for SessionError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Store(e) | Self::Input(e) => Some(e),
            _ => None,
        }
    }
}

impl IntoResponse for SessionError {
    fn into_response(self) -> Response {
        let status = self.status();
        if let Self::NotAuthenticated = self {
            let mut res = status.into_response();
            res.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            return res;
        }
        // A store's message may name hosts and addresses: the client only learns the kind.
        let message = match &self {
            Self::Store(_) => "the session store is unavailable".to_owned(),
            other => other.to_string(),
        };
        let body = serde_json::json!({ "error": { "name": self.name(), "message": message } });
        let mut res = (status, body.to_string()).into_response();
        res.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        res
    }
}
