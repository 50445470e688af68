//! What a channel is to the delivery queue: something that sends one rendered notification and
//! says whether a failure is worth retrying.

use std::time::Duration;

use async_trait::async_trait;
use hantu_core::notify::{Level, Rendered};

/// Why a send failed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// Worth trying again (429, 5xx, a network error), after `after` when the server said so.
    #[error("{message}")]
    Retry {
        /// The server's own wait (Telegram's `retry_after`, a `Retry-After` header).
        after: Option<Duration>,
        /// What went wrong (secrets removed).
        message: String,
    },
    /// Trying again will not help (bad chat id, revoked token, bad address).
    #[error("{0}")]
    Permanent(String),
}

impl SendError {
    /// A retryable failure without a server-given wait.
    pub fn retry(message: impl Into<String>) -> Self {
        SendError::Retry { after: None, message: message.into() }
    }
}

/// One channel's way out.
#[async_trait]
pub trait Transport: Send + Sync {
    /// The channel's name (`telegram`, `slack`, `email`, `console`).
    fn name(&self) -> &str;

    /// Sends `r`. A transport that splits a message into parts starts at part `*sent` and
    /// advances it after each part delivered, so a retry never repeats a part.
    async fn send(&self, level: Level, r: &Rendered, sent: &mut usize) -> Result<(), SendError>;

    /// A cheap check that the channel is reachable and its credentials are accepted, sending
    /// nobody anything (for `hantu health` and the API's `/health`); what was seen, or why not.
    async fn probe(&self) -> Result<String, String> {
        Ok("nothing to check".into())
    }
}

/// A reqwest error as text without its URL (a Telegram URL holds the bot token; a Slack webhook
/// URL is itself the secret).
pub fn http_error(e: reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "could not connect"
    } else {
        "request failed"
    };
    let e = e.without_url();
    format!("{kind}: {e}")
}

/// Classifies an HTTP status: 429 and 5xx are retried, the rest of 4xx are not.
pub fn status_error(status: reqwest::StatusCode, after: Option<Duration>, detail: &str) -> SendError {
    let message = format!("HTTP {}: {}", status.as_u16(), detail.chars().take(300).collect::<String>());
    if status == reqwest::StatusCode::TOO_MANY_REQUESTS || status.is_server_error() {
        SendError::Retry { after, message }
    } else {
        SendError::Permanent(message)
    }
}

/// A `Retry-After` header in seconds.
pub fn retry_after_header(h: &reqwest::header::HeaderMap) -> Option<Duration> {
    h.get(reqwest::header::RETRY_AFTER)?.to_str().ok()?.trim().parse::<u64>().ok().map(Duration::from_secs)
}
