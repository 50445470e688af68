//! Order requests, orders and the order state machine.
//!
//! ```text
//! PendingNew ─► Accepted ─► PartiallyFilled ─► Filled
//!     │            │  │            │  └──────► Cancelled / Expired
//!     │            │  └──────────► Filled
//!     └► Rejected  └► Cancelled / Expired / Rejected
//! ```
//! `Filled`, `Cancelled`, `Rejected` and `Expired` are terminal. Any other move is an error.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::{ClientOrderId, Price, Qty, StockCode, Timestamp, ValidationError};

/// Buy or sell.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    /// Buy.
    Buy,
    /// Sell.
    Sell,
}

impl Side {
    /// `+1` for buys, `-1` for sells.
    #[must_use]
    pub const fn sign(self) -> i64 {
        match self {
            Side::Buy => 1,
            Side::Sell => -1,
        }
    }

    /// The lower-case name.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Side::Buy => "buy",
            Side::Sell => "sell",
        }
    }
}

impl fmt::Display for Side {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How the order is priced.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
#[serde(rename_all = "lowercase", tag = "type", content = "price")]
pub enum OrderKind {
    /// At the market (시장가).
    Market,
    /// At this price or better (지정가).
    Limit(Price),
}

impl OrderKind {
    /// The limit price, if any.
    #[must_use]
    pub const fn limit_price(self) -> Option<Price> {
        match self {
            OrderKind::Market => None,
            OrderKind::Limit(p) => Some(p),
        }
    }
}

/// How long the order lives.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TimeInForce {
    /// Until the session's close.
    #[default]
    Day,
    /// Immediate or cancel: what cannot fill at once is cancelled.
    Ioc,
    /// Fill or kill: all at once or nothing.
    Fok,
}

/// What a strategy or user asks for. Validated on construction.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct OrderRequest {
    /// The stock.
    pub code: StockCode,
    /// Buy or sell.
    pub side: Side,
    /// Shares (positive).
    pub qty: Qty,
    /// Market or limit.
    pub kind: OrderKind,
    /// Lifetime.
    pub tif: TimeInForce,
}

impl OrderRequest {
    /// A market order.
    ///
    /// # Errors
    /// If `qty` is zero.
    pub fn market(code: StockCode, side: Side, qty: Qty) -> Result<Self, ValidationError> {
        Self::new_checked(code, side, qty, OrderKind::Market, TimeInForce::Day)
    }

    /// A day limit order.
    ///
    /// # Errors
    /// If `qty` is zero.
    pub fn limit(code: StockCode, side: Side, qty: Qty, price: Price) -> Result<Self, ValidationError> {
        Self::new_checked(code, side, qty, OrderKind::Limit(price), TimeInForce::Day)
    }

    /// Any order.
    ///
    /// # Errors
    /// [`ValidationError::Qty`] if `qty` is zero. (Tick grid and price limits depend on the day's
    /// reference price, so the risk manager checks them.)
    pub fn new_checked(
        code: StockCode,
        side: Side,
        qty: Qty,
        kind: OrderKind,
        tif: TimeInForce,
    ) -> Result<Self, ValidationError> {
        if qty.is_zero() {
            return Err(ValidationError::Qty { param: "order quantity", value: 0 });
        }
        Ok(Self { code, side, qty, kind, tif })
    }
}

/// Where an order is in its life.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    /// Journaled, not yet acknowledged by the broker.
    PendingNew,
    /// Acknowledged and working.
    Accepted,
    /// Some shares filled, the rest working.
    PartiallyFilled,
    /// All shares filled.
    Filled,
    /// Cancelled (by us, or the unfilled rest of an IOC).
    Cancelled,
    /// Refused by risk or the broker.
    Rejected,
    /// Ended unfilled at the close (day orders).
    Expired,
}

impl OrderStatus {
    /// Whether the order can still fill.
    #[must_use]
    pub const fn is_open(self) -> bool {
        matches!(self, OrderStatus::PendingNew | OrderStatus::Accepted | OrderStatus::PartiallyFilled)
    }

    /// Whether `self → to` is allowed.
    #[must_use]
    pub const fn can_become(self, to: OrderStatus) -> bool {
        use OrderStatus::*;
        matches!(
            (self, to),
            (PendingNew, Accepted | Rejected | Filled | PartiallyFilled | Cancelled | Expired)
                | (Accepted, PartiallyFilled | Filled | Cancelled | Expired | Rejected)
                | (PartiallyFilled, PartiallyFilled | Filled | Cancelled | Expired)
        )
    }

    /// The snake-case name (as stored).
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            OrderStatus::PendingNew => "pending_new",
            OrderStatus::Accepted => "accepted",
            OrderStatus::PartiallyFilled => "partially_filled",
            OrderStatus::Filled => "filled",
            OrderStatus::Cancelled => "cancelled",
            OrderStatus::Rejected => "rejected",
            OrderStatus::Expired => "expired",
        }
    }

    /// Parses [`OrderStatus::as_str`].
    ///
    /// # Errors
    /// On an unknown name.
    pub fn parse(s: &str) -> Result<Self, ValidationError> {
        use OrderStatus::*;
        Ok(match s {
            "pending_new" => PendingNew,
            "accepted" => Accepted,
            "partially_filled" => PartiallyFilled,
            "filled" => Filled,
            "cancelled" => Cancelled,
            "rejected" => Rejected,
            "expired" => Expired,
            _ => return Err(ValidationError::Unknown { param: "order status", value: s.to_owned() }),
        })
    }
}

/// An order and its progress.
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
pub struct Order {
    /// Our id.
    pub client_id: ClientOrderId,
    /// The broker's order number, once known (KIS `ODNO`).
    pub broker_id: Option<String>,
    /// What was asked.
    pub request: OrderRequest,
    /// Current state.
    pub status: OrderStatus,
    /// Shares filled so far.
    pub filled_qty: Qty,
    /// Sum of fill price × qty (won), for the average fill price.
    pub filled_notional: i64,
    /// When it was created.
    pub created: Timestamp,
    /// When it last changed.
    pub updated: Timestamp,
    /// Why it was rejected, cancelled or expired, when known.
    pub reason: Option<String>,
}

impl Order {
    /// A new order in `PendingNew`.
    #[must_use]
    pub fn new(client_id: ClientOrderId, request: OrderRequest, ts: Timestamp) -> Self {
        Self {
            client_id,
            broker_id: None,
            request,
            status: OrderStatus::PendingNew,
            filled_qty: Qty::ZERO,
            filled_notional: 0,
            created: ts,
            updated: ts,
            reason: None,
        }
    }

    /// Shares still to fill.
    #[must_use]
    pub fn remaining(&self) -> Qty {
        self.request.qty.saturating_sub(self.filled_qty)
    }

    /// Average fill price in won, if anything filled.
    #[must_use]
    pub fn avg_fill_price(&self) -> Option<f64> {
        (!self.filled_qty.is_zero()).then(|| self.filled_notional as f64 / self.filled_qty.get() as f64)
    }

    /// Moves to `to`.
    ///
    /// # Errors
    /// [`crate::Error::IllegalTransition`] if the state machine forbids it.
    pub fn transition(&mut self, to: OrderStatus, ts: Timestamp) -> crate::Result<()> {
        if !self.status.can_become(to) {
            return Err(crate::Error::IllegalTransition { client_id: self.client_id.clone(), from: self.status, to });
        }
        self.status = to;
        self.updated = ts;
        Ok(())
    }

    /// Applies a fill of `qty` at `price`, moving to `PartiallyFilled` or `Filled`.
    ///
    /// # Errors
    /// If the order is not open or the fill exceeds the remaining quantity.
    pub fn apply_fill(&mut self, qty: Qty, price: Price, ts: Timestamp) -> crate::Result<()> {
        if qty > self.remaining() {
            return Err(ValidationError::Order(format!(
                "fill of {qty} exceeds remaining {} on {}",
                self.remaining(),
                self.client_id
            ))
            .into());
        }
        let to = if qty == self.remaining() { OrderStatus::Filled } else { OrderStatus::PartiallyFilled };
        self.transition(to, ts)?;
        self.filled_qty = self.filled_qty.add(qty);
        self.filled_notional += price.notional(qty);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order() -> Order {
        let req = OrderRequest::market(StockCode::new("005930"), Side::Buy, Qty::from_shares(10)).unwrap();
        Order::new(ClientOrderId::from_seq("t", 1), req, Timestamp::default())
    }

    #[test]
    fn zero_qty_is_refused() {
        assert!(OrderRequest::market(StockCode::new("005930"), Side::Buy, Qty::ZERO).is_err());
    }

    #[test]
    fn legal_path_through_partial_fills() {
        let mut o = order();
        o.transition(OrderStatus::Accepted, Timestamp::default()).unwrap();
        o.apply_fill(Qty::from_shares(4), Price::new(100), Timestamp::default()).unwrap();
        assert_eq!(o.status, OrderStatus::PartiallyFilled);
        o.apply_fill(Qty::from_shares(6), Price::new(110), Timestamp::default()).unwrap();
        assert_eq!(o.status, OrderStatus::Filled);
        assert_eq!(o.avg_fill_price(), Some(106.0));
    }

    #[test]
    fn illegal_transitions_are_errors() {
        use OrderStatus::*;
        let all = [PendingNew, Accepted, PartiallyFilled, Filled, Cancelled, Rejected, Expired];
        for from in [Filled, Cancelled, Rejected, Expired] {
            for to in all {
                assert!(!from.can_become(to), "{from:?} -> {to:?}");
            }
        }
        assert!(!Accepted.can_become(PendingNew));
        assert!(!PartiallyFilled.can_become(Accepted));
        assert!(!PartiallyFilled.can_become(Rejected));
        let mut o = order();
        o.transition(Rejected, Timestamp::default()).unwrap();
        assert!(matches!(o.transition(Accepted, Timestamp::default()), Err(crate::Error::IllegalTransition { .. })));
    }

    #[test]
    fn overfill_is_refused() {
        let mut o = order();
        assert!(o.apply_fill(Qty::from_shares(11), Price::new(1), Timestamp::default()).is_err());
        assert_eq!(o.status, OrderStatus::PendingNew);
    }

    #[test]
    fn status_names_round_trip() {
        use OrderStatus::*;
        for s in [PendingNew, Accepted, PartiallyFilled, Filled, Cancelled, Rejected, Expired] {
            assert_eq!(OrderStatus::parse(s.as_str()).unwrap(), s);
        }
    }
}
