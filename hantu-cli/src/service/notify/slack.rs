//! The Slack channel: an incoming webhook (`POST {"text": …}`). The webhook URL is the secret.

use async_trait::async_trait;
use hantu_core::notify::{Level, Rendered};
use serde_json::json;

use super::transport::{SendError, Transport, http_error, retry_after_header, status_error};
use crate::config::Secret;

/// Slack's limit on a message's text; longer messages are cut (Slack would reject them).
const SLACK_LIMIT: usize = 39_000;

/// Posts to a Slack incoming webhook.
#[derive(Clone, Debug)]
pub struct Slack {
    http: reqwest::Client,
    webhook: Secret,
}

impl Slack {
    /// A channel posting to `webhook`.
    pub fn new(http: reqwest::Client, webhook: Secret) -> Self {
        Self { http, webhook }
    }
}

/// Escapes text for Slack's mrkdwn (`&`, `<`, `>`).
pub fn escape(s: &str) -> String {
    hantu_core::notify::text::escape_html(s)
}

#[async_trait]
impl Transport for Slack {
    fn name(&self) -> &str {
        "slack"
    }

    /// Posts an empty payload: Slack refuses it (400 `no_text`) without posting anything, while
    /// a revoked or wrong webhook answers 403 / 404 / 410.
    async fn probe(&self) -> Result<String, String> {
        let resp = self.http.post(self.webhook.expose()).json(&json!({})).send().await.map_err(http_error)?;
        let status = resp.status();
        let body: String = resp.text().await.unwrap_or_default().chars().take(200).collect();
        match status.as_u16() {
            200..=299 | 400 => Ok(format!("webhook answers (HTTP {}, nothing posted)", status.as_u16())),
            code => Err(format!("webhook refused: HTTP {code} {body}")),
        }
    }

    async fn send(&self, level: Level, r: &Rendered, sent: &mut usize) -> Result<(), SendError> {
        let icon = match level {
            Level::Info => "",
            Level::Warning => ":warning: ",
            Level::Critical => ":rotating_light: ",
        };
        let mut text = format!("{icon}*{}*", escape(&r.title));
        if !r.body.is_empty() {
            text.push('\n');
            text.push_str(&escape(&r.body));
        }
        let text: String = text.chars().take(SLACK_LIMIT).collect();
        let resp = self
            .http
            .post(self.webhook.expose())
            .json(&json!({ "text": text }))
            .send()
            .await
            .map_err(|e| SendError::retry(http_error(e)))?;
        let status = resp.status();
        if status.is_success() {
            *sent = 1;
            return Ok(());
        }
        let after = retry_after_header(resp.headers());
        let body = resp.text().await.unwrap_or_default();
        Err(status_error(status, after, &body))
    }
}
