//! `[notify]` in `hantu.toml`: the channels, each with a minimum level and its own rate limit, the
//! language, the delivery queue and retries, and the Telegram bot's allowlist.
//!
//! A channel is on when its table is present. Its secret comes only from the environment or `.env`
//! (`HANTU_TELEGRAM_TOKEN`, `HANTU_SLACK_WEBHOOK_URL`, `HANTU_SMTP_PASSWORD`); [`validate`] lists
//! every problem at once, each naming its key.
//!
//! ```toml
//! [notify]
//! lang = "ko"                 # ko | en
//! [notify.telegram]
//! chat_id = "123456789"
//! min_level = "info"
//! rate_per_minute = 20
//! [notify.slack]
//! min_level = "warning"
//! [notify.email]
//! smtp_host = "smtp.example.com"
//! smtp_port = 587
//! tls = "starttls"            # starttls | tls | none
//! username = "me@example.com"
//! from = "hantu <me@example.com>"
//! to = ["me@example.com"]
//! [notify.console]
//! min_level = "warning"
//! [notify.bot]
//! allowed_chat_ids = [123456789]
//! ```

use hantu_core::notify::text::ParseMode;
use hantu_core::notify::{Lang, Level};
use serde::{Deserialize, Deserializer, Serialize};

use crate::config::{ConfigError, Loaded};

/// The secret variable of the Telegram bot token.
pub const TELEGRAM_TOKEN_VAR: &str = "HANTU_TELEGRAM_TOKEN";
/// The secret variable of the Slack incoming-webhook URL.
pub const SLACK_WEBHOOK_VAR: &str = "HANTU_SLACK_WEBHOOK_URL";
/// The secret variable of the SMTP password.
pub const SMTP_PASSWORD_VAR: &str = "HANTU_SMTP_PASSWORD";

/// `[notify]`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NotifySection {
    /// Language of messages (`ko` or `en`).
    pub lang: String,
    /// Notifications waiting per channel before new ones are dropped (and recorded as failed).
    pub queue: usize,
    /// Attempts per notification before it is recorded as failed.
    pub max_attempts: u32,
    /// First retry delay in milliseconds; doubles per attempt (capped at a minute).
    pub backoff_ms: u64,
    /// Telegram channel (on when present).
    pub telegram: Option<TelegramSection>,
    /// Slack channel (on when present).
    pub slack: Option<SlackSection>,
    /// Email channel (on when present).
    pub email: Option<EmailSection>,
    /// Console channel: one line per notification on stderr (on when present).
    pub console: Option<ConsoleSection>,
    /// The Telegram control bot.
    pub bot: BotSection,
}

impl Default for NotifySection {
    fn default() -> Self {
        Self {
            lang: "ko".into(),
            queue: 256,
            max_attempts: 4,
            backoff_ms: 1_000,
            telegram: None,
            slack: None,
            email: None,
            console: None,
            bot: BotSection::default(),
        }
    }
}

/// `[notify.telegram]`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TelegramSection {
    /// The chat notifications go to.
    pub chat_id: String,
    /// `html` (default), `markdown_v2` or `plain`.
    pub parse_mode: String,
    /// Bot API base URL (a local server in tests).
    pub api_url: String,
    /// Least urgent level delivered.
    pub min_level: String,
    /// Most messages per minute.
    pub rate_per_minute: u32,
}

impl Default for TelegramSection {
    fn default() -> Self {
        Self {
            chat_id: String::new(),
            parse_mode: "html".into(),
            api_url: "https://api.telegram.org".into(),
            min_level: "info".into(),
            rate_per_minute: 20,
        }
    }
}

/// `[notify.slack]` (the webhook URL is the secret `HANTU_SLACK_WEBHOOK_URL`).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SlackSection {
    /// Least urgent level delivered.
    pub min_level: String,
    /// Most messages per minute.
    pub rate_per_minute: u32,
}

impl Default for SlackSection {
    fn default() -> Self {
        Self { min_level: "info".into(), rate_per_minute: 20 }
    }
}

/// How the SMTP connection is secured.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SmtpTls {
    /// Plain connection upgraded with STARTTLS (port 587). The default.
    Starttls,
    /// TLS from the first byte (port 465).
    Tls,
    /// No encryption: only for a relay on this machine (and tests).
    None,
}

/// `[notify.email]`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EmailSection {
    /// SMTP server.
    pub smtp_host: String,
    /// SMTP port.
    pub smtp_port: u16,
    /// Connection security.
    pub tls: SmtpTls,
    /// Login user (the password is the secret `HANTU_SMTP_PASSWORD`); none: no login.
    pub username: Option<String>,
    /// Sender address (`Name <addr>` or `addr`).
    pub from: String,
    /// Recipients (a list, or one comma-separated string).
    #[serde(deserialize_with = "string_list")]
    pub to: Vec<String>,
    /// Least urgent level delivered.
    pub min_level: String,
    /// Most messages per minute.
    pub rate_per_minute: u32,
}

impl Default for EmailSection {
    fn default() -> Self {
        Self {
            smtp_host: String::new(),
            smtp_port: 587,
            tls: SmtpTls::Starttls,
            username: None,
            from: String::new(),
            to: Vec::new(),
            min_level: "warning".into(),
            rate_per_minute: 6,
        }
    }
}

/// `[notify.console]`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ConsoleSection {
    /// Least urgent level delivered.
    pub min_level: String,
    /// Most messages per minute.
    pub rate_per_minute: u32,
}

impl Default for ConsoleSection {
    fn default() -> Self {
        Self { min_level: "info".into(), rate_per_minute: 600 }
    }
}

/// `[notify.bot]`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BotSection {
    /// The chats allowed to command the trader; everyone else gets a polite refusal.
    #[serde(deserialize_with = "id_list")]
    pub allowed_chat_ids: Vec<i64>,
    /// Long-polling timeout in seconds.
    pub poll_timeout_secs: u64,
}

impl Default for BotSection {
    fn default() -> Self {
        Self { allowed_chat_ids: Vec::new(), poll_timeout_secs: 30 }
    }
}

/// A list of strings, or one comma-separated string (what an environment variable can hold).
fn string_list<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Either {
        One(String),
        Many(Vec<String>),
    }
    Ok(match Either::deserialize(d)? {
        Either::One(s) => s.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect(),
        Either::Many(v) => v,
    })
}

/// Chat ids as integers, strings, or one comma-separated string.
fn id_list<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<i64>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Id {
        Int(i64),
        Str(String),
    }
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Either {
        One(Id),
        Many(Vec<Id>),
    }
    let ids = match Either::deserialize(d)? {
        Either::One(Id::Str(s)) => s
            .split(',')
            .map(|p| Id::Str(p.trim().to_owned()))
            .filter(|i| !matches!(i, Id::Str(s) if s.is_empty()))
            .collect(),
        Either::One(i) => vec![i],
        Either::Many(v) => v,
    };
    ids.into_iter()
        .map(|i| match i {
            Id::Int(n) => Ok(n),
            Id::Str(s) => {
                s.parse().map_err(|_| serde::de::Error::custom(format!("{s:?} is not a chat id (an integer)")))
            }
        })
        .collect()
}

/// Every problem of `[notify]` and its secrets, each naming its key (empty when valid).
pub fn validate(l: &Loaded) -> Vec<ConfigError> {
    let n = &l.config.notify;
    let mut out = Vec::new();
    let mut err = |key: &str, message: String| {
        out.push(ConfigError { key: key.into(), source_desc: l.source(key).to_string(), message });
    };
    if Lang::parse(&n.lang).is_none() {
        err("notify.lang", format!("{:?} must be ko or en", n.lang));
    }
    if n.queue == 0 {
        err("notify.queue", "must be at least 1".into());
    }
    if n.max_attempts == 0 || n.max_attempts > 20 {
        err("notify.max_attempts", format!("{} must be in 1..=20", n.max_attempts));
    }
    let mut limits = |section: &str, min_level: &str, rate: u32| {
        if Level::parse(min_level).is_none() {
            err(&format!("notify.{section}.min_level"), format!("{min_level:?} must be info, warning or critical"));
        }
        if rate == 0 {
            err(&format!("notify.{section}.rate_per_minute"), "must be at least 1".into());
        }
    };
    if let Some(t) = &n.telegram {
        limits("telegram", &t.min_level, t.rate_per_minute);
    }
    if let Some(s) = &n.slack {
        limits("slack", &s.min_level, s.rate_per_minute);
    }
    if let Some(e) = &n.email {
        limits("email", &e.min_level, e.rate_per_minute);
    }
    if let Some(c) = &n.console {
        limits("console", &c.min_level, c.rate_per_minute);
    }
    let mut err = |key: &str, message: String| {
        out.push(ConfigError { key: key.into(), source_desc: l.source(key).to_string(), message });
    };
    let mut missing_secret = |var: &str, what: &str| {
        if !l.secrets.contains_key(var) {
            err(var, format!("missing secret: {what} needs {var} in the environment or .env"));
        }
    };
    if n.telegram.is_some() {
        missing_secret(TELEGRAM_TOKEN_VAR, "[notify.telegram]");
    }
    if !n.bot.allowed_chat_ids.is_empty() {
        missing_secret(TELEGRAM_TOKEN_VAR, "[notify.bot]");
    }
    if n.slack.is_some() {
        missing_secret(SLACK_WEBHOOK_VAR, "[notify.slack]");
    }
    if let Some(e) = &n.email {
        if e.username.is_some() {
            missing_secret(SMTP_PASSWORD_VAR, "[notify.email] with a username");
        }
    }
    if let Some(t) = &n.telegram {
        if t.chat_id.trim().is_empty() {
            err("notify.telegram.chat_id", "required: the chat notifications go to".into());
        } else if t.chat_id.trim().parse::<i64>().is_err() && !t.chat_id.trim().starts_with('@') {
            err("notify.telegram.chat_id", format!("{:?} must be a numeric chat id or @channel", t.chat_id));
        }
        if ParseMode::parse(&t.parse_mode).is_none() {
            err("notify.telegram.parse_mode", format!("{:?} must be html, markdown_v2 or plain", t.parse_mode));
        }
        check_url(&mut err, "notify.telegram.api_url", &t.api_url);
    }
    if let Some((url, _)) = l.secrets.get(SLACK_WEBHOOK_VAR).filter(|_| n.slack.is_some()) {
        if !(url.expose().starts_with("https://") || url.expose().starts_with("http://")) {
            // The value is a secret: say what is wrong without showing it.
            err(SLACK_WEBHOOK_VAR, "must be an http(s) URL (value not shown)".into());
        }
    }
    if let Some(e) = &n.email {
        if e.smtp_host.trim().is_empty() {
            err("notify.email.smtp_host", "required".into());
        }
        if e.smtp_port == 0 {
            err("notify.email.smtp_port", "must be a port number".into());
        }
        if e.from.parse::<lettre::message::Mailbox>().is_err() {
            err("notify.email.from", format!("{:?} is not an email address", e.from));
        }
        if e.to.is_empty() {
            err("notify.email.to", "at least one recipient".into());
        }
        for to in &e.to {
            if to.parse::<lettre::message::Mailbox>().is_err() {
                err("notify.email.to", format!("{to:?} is not an email address"));
            }
        }
    }
    // A secret two channels need is reported once.
    let mut seen = std::collections::BTreeSet::new();
    out.retain(|e| !e.key.starts_with("HANTU_") || seen.insert(e.key.clone()));
    out
}

fn check_url(err: &mut impl FnMut(&str, String), key: &str, url: &str) {
    if !(url.starts_with("https://") || url.starts_with("http://")) {
        err(key, format!("{url:?} must be an http(s) URL"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_accept_arrays_and_comma_strings() {
        let b: BotSection = toml::from_str("allowed_chat_ids = \"1, 2,3\"").unwrap();
        assert_eq!(b.allowed_chat_ids, vec![1, 2, 3]);
        let b: BotSection = toml::from_str("allowed_chat_ids = [4, \"5\"]").unwrap();
        assert_eq!(b.allowed_chat_ids, vec![4, 5]);
        assert!(toml::from_str::<BotSection>("allowed_chat_ids = \"x\"").is_err());
        let e: EmailSection = toml::from_str("to = \"a@x.kr, b@x.kr\"").unwrap();
        assert_eq!(e.to, vec!["a@x.kr", "b@x.kr"]);
    }
}
