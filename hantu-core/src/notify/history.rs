//! The notification history: one row per notification per channel, as the store keeps it
//! (table `notifications`). The row is claimed before the first attempt and finished after the
//! last, so a delivery that never ends is visible as `pending`, and a duplicate is refused by the
//! `(channel, dedup_key)` key across restarts.
//!
//! Delivery is at most once per key: a process killed between the claim and the send leaves the
//! row `pending`, visible in the history, and a restart does not send it again (a repeated alert
//! is worse than a visible gap). A row that finally `failed` is claimed again if the same event is
//! raised anew.

use serde::{Deserialize, Serialize};

use super::Level;
use crate::domain::Timestamp;

/// Where a delivery stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DeliveryStatus {
    /// Claimed, not (yet) delivered.
    Pending,
    /// Delivered.
    Sent,
    /// Every attempt failed (or the queue was full); `error` says why.
    Failed,
}

impl DeliveryStatus {
    /// The stored name.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::Pending => "pending",
            DeliveryStatus::Sent => "sent",
            DeliveryStatus::Failed => "failed",
        }
    }

    /// Parses [`DeliveryStatus::as_str`].
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "pending" => Some(DeliveryStatus::Pending),
            "sent" => Some(DeliveryStatus::Sent),
            "failed" => Some(DeliveryStatus::Failed),
            _ => None,
        }
    }
}

/// One notification on one channel.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NotificationRecord {
    /// The store's id (0 before it is stored).
    pub id: i64,
    /// When the notification was raised.
    pub ts: Timestamp,
    /// The channel's name (`telegram`, `slack`, `email`, `console`, or a configured name).
    pub channel: String,
    /// Urgency.
    pub level: Level,
    /// The kind ([`super::NotificationKind::as_str`]).
    pub kind: String,
    /// The dedup key; `None` never deduplicates.
    pub dedup_key: Option<String>,
    /// Rendered title.
    pub title: String,
    /// Rendered body.
    pub body: String,
    /// Where it stands.
    pub status: DeliveryStatus,
    /// Attempts made.
    pub attempts: u32,
    /// The last error, if any.
    pub error: Option<String>,
    /// When the status last changed.
    pub updated: Timestamp,
}
