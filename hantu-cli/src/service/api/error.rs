//! Errors as the API answers them: a status, a stable code, a message, the field at fault when a
//! request was malformed, and the request id, always as JSON.
//!
//! Handlers return [`ApiError`]; its response carries the error in an extension and no body yet,
//! and the request-id layer ([`super::request_id`]) renders the body once it knows the id. Every
//! error response — axum's own 404 and 405 included — goes through that one place.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

/// An error answer.
#[derive(Clone, Debug)]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// Stable machine-readable code (`unauthorized`, `invalid_field`, …).
    pub code: &'static str,
    /// For people.
    pub message: String,
    /// The request field at fault, for validation errors.
    pub field: Option<String>,
    /// Seconds to wait before retrying (429).
    pub retry_after: Option<u64>,
}

impl ApiError {
    /// An error with a status, code and message.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self { status, code, message: message.into(), field: None, retry_after: None }
    }

    /// 400 for a query or path value that does not parse, naming it.
    pub fn bad_param(field: &str, message: impl Into<String>) -> Self {
        Self { field: Some(field.to_owned()), ..Self::new(StatusCode::BAD_REQUEST, "invalid_parameter", message) }
    }

    /// 422 for a body field that is present but wrong, naming it.
    pub fn invalid_field(field: &str, message: impl Into<String>) -> Self {
        Self { field: Some(field.to_owned()), ..Self::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_field", message) }
    }

    /// 404.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", message)
    }

    /// 500 for a store failure (the message names the failure, never data).
    pub fn store(e: &hantu_core::store::StoreError) -> Self {
        tracing::error!(error = %e, "Store read failed in an API request");
        Self::new(StatusCode::SERVICE_UNAVAILABLE, "store_unavailable", format!("the store failed: {e}"))
    }
}

impl From<hantu_core::store::StoreError> for ApiError {
    fn from(e: hantu_core::store::StoreError) -> Self {
        Self::store(&e)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut r = self.status.into_response();
        if let Some(s) = self.retry_after.and_then(|s| HeaderValue::from_str(&s.to_string()).ok()) {
            r.headers_mut().insert(header::RETRY_AFTER, s);
        }
        r.extensions_mut().insert(self);
        r
    }
}

/// The JSON body of every error.
#[derive(Serialize, ToSchema)]
pub struct ErrorBody {
    /// The error.
    pub error: ErrorDetail,
    /// The request's id (also in the `X-Request-Id` header).
    pub request_id: String,
}

/// What went wrong.
#[derive(Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable code: `unauthorized`, `forbidden`, `rate_limited`, `invalid_parameter`, `malformed_body`,
    /// `invalid_field`, `not_found`, `method_not_allowed`, `not_implemented`, `store_unavailable`.
    pub code: String,
    /// For people.
    pub message: String,
    /// The field at fault, for validation errors.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

/// The code of a bare status (an error axum produced itself).
pub fn code_for(status: StatusCode) -> &'static str {
    match status {
        StatusCode::NOT_FOUND => "not_found",
        StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
        StatusCode::PAYLOAD_TOO_LARGE => "body_too_large",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
        s if s.is_server_error() => "internal",
        _ => "bad_request",
    }
}
