//! Notifications to people: what a notification is, how it reads (Korean by default, English by
//! option), when two are the same (dedup keys), and the shape of the history the store keeps.
//!
//! The network transports (Telegram, Slack, SMTP) live in the `hantu` binary; this module holds the
//! pure parts so every door (the trader, the scheduler, the CLI, Python) builds the same message.
//!
//! | module | holds |
//! |---|---|
//! | [`message`] | [`Message`]: the typed events worth telling someone about, their kind, level and dedup key |
//! | [`template`] | rendering a message as a title and body in [`Lang::Ko`] or [`Lang::En`] |
//! | [`text`] | Telegram escaping (HTML, MarkdownV2) and splitting over a length limit |
//! | [`history`] | [`NotificationRecord`], one delivery attempt per channel, as the store keeps it |

pub mod history;
pub mod message;
pub mod template;
pub mod text;

use serde::{Deserialize, Serialize};

pub use history::{DeliveryStatus, NotificationRecord};
pub use message::{EntryLine, Message, NotificationKind};
pub use template::{Lang, Rendered};

use crate::domain::Timestamp;

/// How urgent a notification is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// For the record.
    Info,
    /// Needs attention.
    Warning,
    /// Needs action now.
    Critical,
}

impl Level {
    /// The lower-case name (`info`, `warning`, `critical`).
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Level::Info => "info",
            Level::Warning => "warning",
            Level::Critical => "critical",
        }
    }

    /// Parses [`Level::as_str`] (also `warn`, `error`).
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        match s.to_ascii_lowercase().as_str() {
            "info" => Some(Level::Info),
            "warning" | "warn" => Some(Level::Warning),
            "critical" | "error" => Some(Level::Critical),
            _ => None,
        }
    }
}

impl std::fmt::Display for Level {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A message to deliver: what happened ([`Message`]), how urgent, when, and the key that makes a
/// second delivery of the same event a duplicate (kept across restarts by the store).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Notification {
    /// When it happened.
    pub ts: Timestamp,
    /// Urgency.
    pub level: Level,
    /// Two notifications with the same key are one; `None` never deduplicates.
    pub dedup_key: Option<String>,
    /// What happened.
    pub message: Message,
}

impl Notification {
    /// A notification of `message` at its default level and with its default dedup key.
    #[must_use]
    pub fn new(ts: Timestamp, message: Message) -> Self {
        Self { ts, level: message.default_level(), dedup_key: message.dedup_key(ts), message }
    }

    /// A free-form notification (no dedup key).
    #[must_use]
    pub fn text(ts: Timestamp, level: Level, title: impl Into<String>, body: impl Into<String>) -> Self {
        Self { ts, level, dedup_key: None, message: Message::Text { title: title.into(), body: body.into() } }
    }

    /// The same with another level.
    #[must_use]
    pub fn with_level(mut self, level: Level) -> Self {
        self.level = level;
        self
    }

    /// The same with another dedup key (`None`: always deliver).
    #[must_use]
    pub fn with_key(mut self, key: Option<String>) -> Self {
        self.dedup_key = key;
        self
    }

    /// What kind of event it is.
    #[must_use]
    pub fn kind(&self) -> NotificationKind {
        self.message.kind()
    }

    /// The title and body in `lang`.
    #[must_use]
    pub fn render(&self, lang: Lang) -> Rendered {
        template::render(&self.message, self.ts, lang)
    }
}

/// Delivers notifications (console, Telegram, Slack, email). Must not block the engine: an
/// implementation that does I/O queues the message and returns.
pub trait Notifier: Send + Sync {
    /// Delivers one notification. Failures are recorded by the implementation, never raised.
    fn notify(&self, n: &Notification);
}

/// Writes notifications to the log (in English, for whoever reads the log).
#[derive(Clone, Copy, Debug, Default)]
pub struct LogNotifier;

impl Notifier for LogNotifier {
    fn notify(&self, n: &Notification) {
        let r = n.render(Lang::En);
        match n.level {
            Level::Info => tracing::info!(kind = n.kind().as_str(), title = %r.title, "{}", r.body),
            Level::Warning => tracing::warn!(kind = n.kind().as_str(), title = %r.title, "{}", r.body),
            Level::Critical => tracing::error!(kind = n.kind().as_str(), title = %r.title, "{}", r.body),
        }
    }
}

/// Hands every notification to each of several notifiers.
#[derive(Default)]
pub struct FanOut(pub Vec<std::sync::Arc<dyn Notifier>>);

impl Notifier for FanOut {
    fn notify(&self, n: &Notification) {
        for inner in &self.0 {
            inner.notify(n);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_order_and_parse() {
        assert!(Level::Info < Level::Warning && Level::Warning < Level::Critical);
        for l in [Level::Info, Level::Warning, Level::Critical] {
            assert_eq!(Level::parse(l.as_str()), Some(l));
        }
        assert_eq!(Level::parse("WARN"), Some(Level::Warning));
        assert_eq!(Level::parse("loud"), None);
    }

    #[test]
    fn a_text_notification_never_deduplicates() {
        let n = Notification::text(Timestamp::from_millis(0), Level::Warning, "t", "b");
        assert_eq!(n.dedup_key, None);
        assert_eq!(n.kind(), NotificationKind::Text);
        assert_eq!(n.render(Lang::Ko).title, "t");
    }
}
