//! The `Broker` trait: where approved orders go to be executed.
//!
//! Brokers are asynchronous (a real one talks to KIS over HTTP). The backtest does not go
//! through this trait: it drives [`crate::sim::SimBroker`] synchronously, bar by bar. For paper
//! trading against live prices, [`crate::sim::PaperBroker`] implements `Broker`.
//!
//! With the `testing` feature, the `contract` module holds the contract every implementation must meet,
//! run by hantu-core against `PaperBroker` and by hantu-kis against `KisBroker`.

#[cfg(feature = "testing")]
pub mod contract;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::domain::{ClientOrderId, Money, OrderKind, OrderStatus, Price, Qty, Side, StockCode, Timestamp};
use crate::risk::Approved;

/// What can go wrong at a broker. Each variant says what happened in terms a user can act on.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum BrokerError {
    /// The broker refused the order or request; `reason` is the broker's own message.
    #[error("rejected by broker{}: {reason}", code.as_deref().map(|c| format!(" ({c})")).unwrap_or_default())]
    Rejected {
        /// Broker message code (KIS `msg_cd`), if any.
        code: Option<String>,
        /// The broker's message.
        reason: String,
    },
    /// Too many requests; retry after backing off.
    #[error("rate limited by broker: {0}")]
    RateLimited(String),
    /// Credentials or token refused.
    #[error("unauthorized: {0}")]
    Unauthorized(String),
    /// The broker cannot be reached or is failing.
    #[error("broker unavailable: {0}")]
    Unavailable(String),
    /// The request was invalid before it was sent.
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    /// The order may or may not have reached the broker (timeout, dropped connection).
    /// Never re-send: reconcile by querying the broker's orders.
    #[error("outcome unknown for order {client_id}: {reason}; reconcile before retrying")]
    Unknown {
        /// The order whose fate is unknown.
        client_id: ClientOrderId,
        /// What happened.
        reason: String,
    },
    /// The broker does not offer this operation (e.g. an endpoint paper trading lacks).
    #[error("not supported: {0}")]
    Unsupported(String),
    /// The broker's response could not be understood.
    #[error("malformed broker response: {0}")]
    Malformed(String),
}

/// The broker's acknowledgement of a new order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlaceAck {
    /// The broker's order number.
    pub broker_id: String,
    /// When the broker accepted it.
    pub ts: Timestamp,
}

/// An order as the broker sees it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BrokerOrder {
    /// The broker's order number.
    pub broker_id: String,
    /// Our id, when the broker carries one (KIS does not; the journal maps broker ids back).
    pub client_id: Option<ClientOrderId>,
    /// The stock.
    pub code: StockCode,
    /// Buy or sell.
    pub side: Side,
    /// Market or limit.
    pub kind: OrderKind,
    /// Shares ordered.
    pub qty: Qty,
    /// Shares filled.
    pub filled_qty: Qty,
    /// Average fill price, if anything filled.
    pub avg_price: Option<f64>,
    /// State.
    pub status: OrderStatus,
    /// When it was placed.
    pub ts: Timestamp,
}

/// An execution reported by a broker.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BrokerFill {
    /// The broker's order number.
    pub broker_id: String,
    /// The stock.
    pub code: StockCode,
    /// Buy or sell.
    pub side: Side,
    /// Shares.
    pub qty: Qty,
    /// Price.
    pub price: Price,
    /// When.
    pub ts: Timestamp,
}

/// A holding as the broker reports it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BrokerPosition {
    /// The stock.
    pub code: StockCode,
    /// Shares held.
    pub qty: Qty,
    /// Shares that can be sold now.
    pub sellable: Qty,
    /// Average purchase price.
    pub avg_price: Money,
    /// Current price.
    pub last_price: Option<Price>,
}

/// Account cash as the broker reports it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Balance {
    /// Deposit (예수금).
    pub cash: Money,
    /// Cash available to buy now (주문가능금액).
    pub buying_power: Money,
    /// Total evaluation (cash + holdings).
    pub total_equity: Money,
}

/// A broker: places and cancels orders and reports orders, fills, positions and cash.
///
/// Implementations must never retry an order submission blindly: a timeout returns
/// [`BrokerError::Unknown`], and the caller reconciles with [`Broker::open_orders`] and
/// [`Broker::fills_since`].
#[async_trait]
pub trait Broker: Send + Sync {
    /// A short name for logs (`sim`, `kis-paper`).
    fn name(&self) -> &str;

    /// Sends an approved order.
    ///
    /// # Errors
    /// [`BrokerError`] describing the refusal or failure.
    async fn place(&self, order: &Approved) -> Result<PlaceAck, BrokerError>;

    /// Cancels the rest of an order.
    ///
    /// # Errors
    /// If the order is unknown, already done, or the request fails.
    async fn cancel(&self, broker_id: &str) -> Result<(), BrokerError>;

    /// Orders still working today.
    ///
    /// # Errors
    /// If the query fails.
    async fn open_orders(&self) -> Result<Vec<BrokerOrder>, BrokerError>;

    /// Today's orders, working or done.
    ///
    /// # Errors
    /// If the query fails.
    async fn orders_today(&self) -> Result<Vec<BrokerOrder>, BrokerError>;

    /// Fills at or after `since`.
    ///
    /// # Errors
    /// If the query fails.
    async fn fills_since(&self, since: Timestamp) -> Result<Vec<BrokerFill>, BrokerError>;

    /// Holdings.
    ///
    /// # Errors
    /// If the query fails.
    async fn positions(&self) -> Result<Vec<BrokerPosition>, BrokerError>;

    /// Cash and buying power.
    ///
    /// # Errors
    /// If the query fails.
    async fn balance(&self) -> Result<Balance, BrokerError>;
}
