//! Notifications out (Telegram, Slack, email, console) and commands in (the Telegram bot).
//!
//! The messages themselves, their templates and dedup keys are `hantu_core::notify`; this is the
//! network side.
//!
//! | module | holds |
//! |---|---|
//! | [`config`] | `[notify]`: channels, levels, rates, language, retries, the bot's allowlist; validation |
//! | [`transport`] | the [`transport::Transport`] trait and how HTTP failures are classified (retry or not) |
//! | [`telegram`], [`slack`], [`email`], [`console`] | the channels |
//! | [`bot`] | the Telegram control bot: allowlist, commands through `hantu_core::control`, audit, confirmations |
//! | [`daily`] | the day's report as a notification (the bot's `/daily`, the scheduler's report step) |
//! | [`delivery`] | bounded queues, one task per channel, pacing, retries, the store's record and dedup |

pub mod bot;
pub mod config;
pub mod console;
pub mod daily;
pub mod delivery;
pub mod email;
pub mod slack;
pub mod telegram;
pub mod transport;

#[cfg(test)]
pub(crate) mod tests;

use std::sync::Arc;
use std::time::Duration;

use hantu_core::notify::text::ParseMode;
use hantu_core::notify::{Lang, Level};

use self::config::{SLACK_WEBHOOK_VAR, SMTP_PASSWORD_VAR, TELEGRAM_TOKEN_VAR};
use self::delivery::{Channel, Options};
use crate::config::Loaded;

/// The names of the configured channels, in a fixed order.
pub fn configured(l: &Loaded) -> Vec<&'static str> {
    let n = &l.config.notify;
    let mut out = Vec::new();
    if n.telegram.is_some() {
        out.push("telegram");
    }
    if n.slack.is_some() {
        out.push("slack");
    }
    if n.email.is_some() {
        out.push("email");
    }
    if n.console.is_some() {
        out.push("console");
    }
    out
}

/// An HTTP client for the chat APIs.
///
/// # Errors
/// If the TLS backend cannot start.
pub fn http_client() -> anyhow::Result<reqwest::Client> {
    Ok(reqwest::Client::builder().connect_timeout(Duration::from_secs(10)).timeout(Duration::from_secs(60)).build()?)
}

fn level(s: &str) -> Level {
    Level::parse(s).unwrap_or(Level::Info)
}

/// The Telegram Bot API client of the configuration, when the token is set.
pub fn telegram_api(l: &Loaded, http: &reqwest::Client) -> Option<telegram::TelegramApi> {
    let base = l.config.notify.telegram.as_ref().map_or("https://api.telegram.org", |t| t.api_url.as_str());
    let token = l.secrets.get(TELEGRAM_TOKEN_VAR).map(|(s, _)| s.clone())?;
    Some(telegram::TelegramApi::new(http.clone(), base, token))
}

/// The configured channels (all, or those named in `only`). Configuration was validated on load.
///
/// # Errors
/// If a channel's secret is missing or its client cannot be built.
pub fn channels(l: &Loaded, only: &[String]) -> anyhow::Result<Vec<Channel>> {
    let n = &l.config.notify;
    let wanted = |name: &str| only.is_empty() || only.iter().any(|o| o == name);
    let http = http_client()?;
    let mut out = Vec::new();
    if let Some(t) = n.telegram.as_ref().filter(|_| wanted("telegram")) {
        let api = telegram_api(l, &http).ok_or_else(|| {
            l.secret(TELEGRAM_TOKEN_VAR).err().map_or_else(|| anyhow::anyhow!("telegram token"), Into::into)
        })?;
        let mode = ParseMode::parse(&t.parse_mode).unwrap_or_default();
        out.push(Channel {
            transport: Arc::new(telegram::Telegram::new(api, t.chat_id.trim().to_owned(), mode)),
            min_level: level(&t.min_level),
            rate_per_minute: t.rate_per_minute,
        });
    }
    if let Some(s) = n.slack.as_ref().filter(|_| wanted("slack")) {
        let hook = l.secret(SLACK_WEBHOOK_VAR)?.clone();
        out.push(Channel {
            transport: Arc::new(slack::Slack::new(http.clone(), hook)),
            min_level: level(&s.min_level),
            rate_per_minute: s.rate_per_minute,
        });
    }
    if let Some(e) = n.email.as_ref().filter(|_| wanted("email")) {
        let password = l.secrets.get(SMTP_PASSWORD_VAR).map(|(s, _)| s);
        let email = email::Email::new(e, password).map_err(anyhow::Error::msg)?;
        out.push(Channel {
            transport: Arc::new(email),
            min_level: level(&e.min_level),
            rate_per_minute: e.rate_per_minute,
        });
    }
    if let Some(c) = n.console.as_ref().filter(|_| wanted("console")) {
        out.push(Channel {
            transport: Arc::new(console::Console),
            min_level: level(&c.min_level),
            rate_per_minute: c.rate_per_minute,
        });
    }
    Ok(out)
}

/// Starts delivery to every configured channel on the current tokio runtime; `None` when no
/// channel is configured. Hand `delivery.notifier` to whatever raises notifications (the trader,
/// the scheduler, a screen run) and `close` it on shutdown.
///
/// # Errors
/// As [`channels`].
pub fn start(l: &Loaded, store: Arc<dyn hantu_core::store::Store>) -> anyhow::Result<Option<delivery::Delivery>> {
    let chans = channels(l, &[])?;
    if chans.is_empty() {
        return Ok(None);
    }
    Ok(Some(delivery::Delivery::start(chans, options(l), store)))
}

/// Delivery options of the configuration.
pub fn options(l: &Loaded) -> Options {
    let n = &l.config.notify;
    Options {
        lang: Lang::parse(&n.lang).unwrap_or_default(),
        queue: n.queue,
        max_attempts: n.max_attempts,
        backoff: Duration::from_millis(n.backoff_ms),
    }
}
