//! Notifications (alerts, fills, errors) to people.

use serde::{Deserialize, Serialize};

/// How urgent a notification is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// For the record.
    Info,
    /// Needs attention.
    Warning,
    /// Needs action now.
    Critical,
}

/// A message to deliver.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Notification {
    /// Urgency.
    pub level: Level,
    /// One-line title.
    pub title: String,
    /// Body text.
    pub body: String,
}

/// Delivers notifications (console, Telegram, Slack). Must not block the engine: an
/// implementation that does I/O queues the message and returns.
pub trait Notifier: Send + Sync {
    /// Delivers one notification. Failures are logged by the implementation, never raised.
    fn notify(&self, n: &Notification);
}

/// Writes notifications to the log.
#[derive(Clone, Copy, Debug, Default)]
pub struct LogNotifier;

impl Notifier for LogNotifier {
    fn notify(&self, n: &Notification) {
        match n.level {
            Level::Info => tracing::info!(title = %n.title, "{}", n.body),
            Level::Warning => tracing::warn!(title = %n.title, "{}", n.body),
            Level::Critical => tracing::error!(title = %n.title, "{}", n.body),
        }
    }
}
