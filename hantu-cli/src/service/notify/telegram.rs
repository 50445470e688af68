//! The Telegram Bot API: `sendMessage` for notifications and replies, `getUpdates` for the bot.
//!
//! The token is part of every URL, so no URL is ever logged or put in an error (see
//! [`super::transport::http_error`]).

use std::time::Duration;

use async_trait::async_trait;
use hantu_core::notify::text::{ParseMode, TELEGRAM_LIMIT, telegram_messages};
use hantu_core::notify::{Level, Rendered};
use serde::Deserialize;
use serde_json::{Value, json};

use super::transport::{SendError, Transport, http_error, status_error};
use crate::config::Secret;

/// A Bot API client for one bot.
#[derive(Clone)]
pub struct TelegramApi {
    http: reqwest::Client,
    base: String,
    token: Secret,
}

impl std::fmt::Debug for TelegramApi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TelegramApi").field("base", &self.base).field("token", &self.token).finish()
    }
}

/// The Bot API's reply envelope.
#[derive(Debug, Deserialize)]
struct Envelope {
    ok: bool,
    #[serde(default)]
    result: Value,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    parameters: Option<Parameters>,
}

#[derive(Debug, Deserialize)]
struct Parameters {
    retry_after: Option<u64>,
}

/// One incoming message (the parts the bot reads).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Incoming {
    /// The update's id (the next poll asks for ids after it).
    pub update_id: i64,
    /// The chat it came from.
    pub chat_id: i64,
    /// The sender's user name, when known (for the audit).
    pub from: Option<String>,
    /// Its text.
    pub text: String,
}

impl TelegramApi {
    /// A client of the bot with `token` at `base` (`https://api.telegram.org`).
    pub fn new(http: reqwest::Client, base: &str, token: Secret) -> Self {
        Self { http, base: base.trim_end_matches('/').to_owned(), token }
    }

    async fn call(&self, method: &str, body: &Value, timeout: Duration) -> Result<Value, SendError> {
        let url = format!("{}/bot{}/{method}", self.base, self.token.expose());
        let resp = self
            .http
            .post(url)
            .timeout(timeout)
            .json(body)
            .send()
            .await
            .map_err(|e| SendError::retry(http_error(e)))?;
        let status = resp.status();
        let text = resp.text().await.map_err(|e| SendError::retry(http_error(e)))?;
        let env: Option<Envelope> = serde_json::from_str(&text).ok();
        match env {
            Some(env) if status.is_success() && env.ok => Ok(env.result),
            Some(env) => {
                let after = env.parameters.and_then(|p| p.retry_after).map(Duration::from_secs);
                Err(status_error(status, after, env.description.as_deref().unwrap_or("")))
            }
            None => Err(status_error(status, None, "reply is not Bot API JSON")),
        }
    }

    /// Sends one message (already escaped for `mode`) to `chat_id`.
    ///
    /// # Errors
    /// [`SendError::Retry`] on 429 (with Telegram's `retry_after`), 5xx and network errors;
    /// [`SendError::Permanent`] on other refusals.
    pub async fn send_message(&self, chat_id: &str, text: &str, mode: ParseMode) -> Result<(), SendError> {
        let mut body = json!({ "chat_id": chat_id, "text": text, "disable_web_page_preview": true });
        if let Some(m) = mode.telegram_name() {
            body["parse_mode"] = json!(m);
        }
        self.call("sendMessage", &body, Duration::from_secs(30)).await.map(|_| ())
    }

    /// The bot itself (`getMe`): proves the token is valid without sending anything.
    ///
    /// # Errors
    /// As [`TelegramApi::send_message`] (401 for a revoked token is permanent).
    pub async fn get_me(&self) -> Result<String, SendError> {
        let me = self.call("getMe", &json!({}), Duration::from_secs(10)).await?;
        Ok(me.get("username").and_then(Value::as_str).unwrap_or("?").to_owned())
    }

    /// Long-polls for messages after `offset`, waiting up to `timeout` for one to arrive.
    ///
    /// # Errors
    /// As [`TelegramApi::send_message`].
    pub async fn get_updates(&self, offset: i64, timeout: Duration) -> Result<Vec<Incoming>, SendError> {
        let body = json!({ "offset": offset, "timeout": timeout.as_secs(), "allowed_updates": ["message"] });
        let result = self.call("getUpdates", &body, timeout + Duration::from_secs(10)).await?;
        let updates = result.as_array().cloned().unwrap_or_default();
        Ok(updates
            .iter()
            .filter_map(|u| {
                let update_id = u.get("update_id")?.as_i64()?;
                let msg = u.get("message");
                let chat_id = msg.and_then(|m| m.pointer("/chat/id")).and_then(Value::as_i64);
                let text = msg.and_then(|m| m.get("text")).and_then(Value::as_str);
                let from = msg.and_then(|m| m.pointer("/from/username")).and_then(Value::as_str).map(str::to_owned);
                // An update without a chat or text (a sticker, an edit) still advances the offset.
                Some(Incoming {
                    update_id,
                    chat_id: chat_id.unwrap_or(0),
                    from,
                    text: text.unwrap_or_default().to_owned(),
                })
            })
            .collect())
    }
}

/// The Telegram notification channel: one chat, one parse mode.
#[derive(Clone, Debug)]
pub struct Telegram {
    api: TelegramApi,
    chat_id: String,
    mode: ParseMode,
}

impl Telegram {
    /// A channel sending to `chat_id` through `api`.
    pub fn new(api: TelegramApi, chat_id: String, mode: ParseMode) -> Self {
        Self { api, chat_id, mode }
    }
}

#[async_trait]
impl Transport for Telegram {
    fn name(&self) -> &str {
        "telegram"
    }

    async fn probe(&self) -> Result<String, String> {
        self.api.get_me().await.map(|bot| format!("bot @{bot} answers (getMe)")).map_err(|e| e.to_string())
    }

    async fn send(&self, level: Level, r: &Rendered, sent: &mut usize) -> Result<(), SendError> {
        let mut r = r.clone();
        if level == Level::Critical {
            r.title = format!("‼️ {}", r.title);
        }
        let parts = telegram_messages(&r, self.mode, TELEGRAM_LIMIT);
        while let Some(part) = parts.get(*sent) {
            self.api.send_message(&self.chat_id, part, self.mode).await?;
            *sent += 1;
        }
        Ok(())
    }
}
