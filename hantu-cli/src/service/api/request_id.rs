//! Request ids: taken from `X-Request-Id` when the caller sent a sane one, otherwise made here; put on
//! every response, into the log span, and into every error body.

use std::sync::atomic::{AtomicU64, Ordering};

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderName, HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;

use super::error::{ApiError, ErrorBody, ErrorDetail, code_for};

/// The header carrying the id both ways.
pub static X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Longest caller-supplied id kept; longer ones are replaced rather than echoed.
const MAX_LEN: usize = 128;

fn acceptable(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_LEN
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':' | b'/' | b'+' | b'='))
}

/// A new id: process start time and a counter, so ids are unique per process and sort by arrival.
fn generate() -> String {
    static SEQ: AtomicU64 = AtomicU64::new(0);
    static START: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    let start = *START.get_or_init(|| {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64)
    });
    format!("{start:x}-{:06x}", SEQ.fetch_add(1, Ordering::Relaxed))
}

/// The outermost layer: assigns the id, renders error bodies, sets the header.
pub async fn layer(req: Request, next: Next) -> Response {
    let id = req
        .headers()
        .get(&X_REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|s| acceptable(s))
        .map_or_else(generate, str::to_owned);
    let span = tracing::info_span!("api", request_id = %id, method = %req.method(), path = %req.uri().path());
    let mut res = tracing::Instrument::instrument(next.run(req), span).await;
    let status = res.status();
    let err = res.extensions_mut().remove::<ApiError>();
    let bare_error =
        (status.is_client_error() || status.is_server_error()) && !res.headers().contains_key(header::CONTENT_TYPE);
    if err.is_some() || bare_error {
        let (code, message, field) = match err {
            Some(e) => (e.code.to_owned(), e.message, e.field),
            None => (code_for(status).to_owned(), status.canonical_reason().unwrap_or("error").to_owned(), None),
        };
        if status.is_server_error() {
            tracing::warn!(request_id = %id, status = status.as_u16(), code, "API request failed");
        }
        let body = ErrorBody { error: ErrorDetail { code, message, field }, request_id: id.clone() };
        let bytes = serde_json::to_vec(&body).unwrap_or_default();
        let (mut parts, _) = res.into_parts();
        parts.headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
        parts.headers.remove(header::CONTENT_LENGTH);
        res = Response::from_parts(parts, Body::from(bytes));
    }
    if let Ok(v) = HeaderValue::from_str(&id) {
        res.headers_mut().insert(X_REQUEST_ID.clone(), v);
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_sane_ids_and_replaces_others() {
        assert!(acceptable("abc-123_x.y"));
        assert!(!acceptable(""));
        assert!(!acceptable("has space"));
        assert!(!acceptable(&"x".repeat(129)));
        assert_ne!(generate(), generate());
    }
}
