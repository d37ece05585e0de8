//! How errors become HTTP responses: every error the server writes is JSON
//! `{"error": name, "message": ...}`.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;
use session_core::Error;

/// An error answer: `{"error": name, "message": ...}` with a status that says whose fault it
/// is.
#[derive(Debug)]
pub(crate) struct ApiError(pub(crate) Error);

impl ApiError {
    pub(crate) fn status(&self) -> StatusCode {
        match self.0 {
            Error::MissingParameter { .. }
            | Error::InvalidFormat { .. }
            | Error::InvalidValue { .. } => StatusCode::BAD_REQUEST,
            Error::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Error::Conflict { .. } => StatusCode::CONFLICT,
            Error::Store { .. } => StatusCode::SERVICE_UNAVAILABLE,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        error(self.status(), self.0.name(), &self.0.to_string())
    }
}

/// An error of the HTTP layer rather than of a session operation (no route, wrong method,
/// unreadable body, missing credentials, ...), with its own name.
#[derive(Debug)]
pub(crate) struct HttpError {
    pub(crate) status: StatusCode,
    pub(crate) name: &'static str,
    pub(crate) message: String,
}

impl HttpError {
    pub(crate) fn new(status: StatusCode, name: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            name,
            message: message.into(),
        }
    }
}

impl IntoResponse for HttpError {
    fn into_response(self) -> Response {
        error(self.status, self.name, &self.message)
    }
}

/// The one shape of every error answer.
pub(crate) fn error(status: StatusCode, name: &str, message: &str) -> Response {
    (status, Json(json!({"error": name, "message": message}))).into_response()
}

/// The name of an error status the server has no more specific name for (the safety net for
/// answers written by the framework, such as a rejected extractor).
pub(crate) fn name_of(status: StatusCode) -> &'static str {
    match status {
        StatusCode::BAD_REQUEST => "badRequest",
        StatusCode::UNAUTHORIZED => "unauthorized",
        StatusCode::NOT_FOUND => "notFound",
        StatusCode::METHOD_NOT_ALLOWED => "methodNotAllowed",
        StatusCode::REQUEST_TIMEOUT => "timeout",
        StatusCode::PAYLOAD_TOO_LARGE => "tooLarge",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupportedMediaType",
        StatusCode::SERVICE_UNAVAILABLE => "storeError",
        s if s.is_client_error() => "badRequest",
        _ => "internalError",
    }
}
