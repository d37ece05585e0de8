//! How errors become HTTP responses.

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
        let body = json!({"error": self.0.name(), "message": self.0.to_string()});
        (self.status(), Json(body)).into_response()
    }
}
