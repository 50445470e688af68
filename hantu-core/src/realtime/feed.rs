//! The feed port: subscribe to channels, receive [`FeedEvent`]s.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use super::FeedEvent;
use crate::domain::StockCode;

/// What to receive.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Channel {
    /// Trade prints of a code.
    Trades,
    /// Book snapshots of a code.
    Book,
    /// Order and fill notices of the account (no code).
    Notices,
}

/// One registration. KIS allows a limited number per session; `priority` decides which are refused
/// when the budget is spent (higher is more important).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Subscription {
    /// The channel.
    pub channel: Channel,
    /// The code (`None` for [`Channel::Notices`]).
    pub code: Option<StockCode>,
    /// Importance when the registration budget is short.
    pub priority: u8,
}

/// Why a feed operation failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FeedError {
    /// The registration budget is spent and this subscription is not important enough to displace one.
    #[error("registration budget of {budget} spent; {subscription:?} refused")]
    OverBudget {
        /// The refused subscription.
        subscription: Subscription,
        /// The budget.
        budget: usize,
    },
    /// The source refused the request (with its code and message).
    #[error("refused by the source: {code} {message}")]
    Refused {
        /// The source's code (KIS `msg_cd`, e.g. `OPSP0008`).
        code: String,
        /// The source's message.
        message: String,
    },
    /// The feed is closed for good.
    #[error("the feed is closed")]
    Closed,
    /// Transport or authentication failure.
    #[error("feed unavailable: {0}")]
    Unavailable(String),
}

/// A source of real-time events. Implementations reconnect, re-subscribe and gap-fill on their own and
/// report it as events; a consumer only reads.
#[async_trait]
pub trait Feed: Send {
    /// Registers a subscription.
    ///
    /// # Errors
    /// [`FeedError::OverBudget`] when the budget is spent, [`FeedError::Refused`] when the source says no.
    async fn subscribe(&mut self, subscription: Subscription) -> Result<(), FeedError>;

    /// Removes a subscription (a no-op if it is not registered).
    ///
    /// # Errors
    /// If the source refuses or the feed is closed.
    async fn unsubscribe(&mut self, subscription: Subscription) -> Result<(), FeedError>;

    /// The next event; `None` when the feed has ended for good.
    async fn next_event(&mut self) -> Option<FeedEvent>;
}
