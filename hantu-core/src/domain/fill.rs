//! Fills.

use serde::{Deserialize, Serialize};

use super::{ClientOrderId, Money, Price, Qty, Side, StockCode, Timestamp};

/// One execution of (part of) an order.
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
pub struct Fill {
    /// The order.
    pub client_id: ClientOrderId,
    /// The stock.
    pub code: StockCode,
    /// Buy or sell.
    pub side: Side,
    /// Shares.
    pub qty: Qty,
    /// Execution price.
    pub price: Price,
    /// Commission paid (won, rounded down).
    pub commission: Money,
    /// Transaction tax paid (sells only, won, rounded down).
    pub tax: Money,
    /// When.
    pub ts: Timestamp,
}

impl Fill {
    /// `price × qty` in won.
    #[must_use]
    pub fn notional(&self) -> i64 {
        self.price.notional(self.qty)
    }

    /// Commission plus tax.
    #[must_use]
    pub fn costs(&self) -> Money {
        self.commission + self.tax
    }

    /// The cash this fill moves: negative for buys (notional + costs), positive for sells (notional − costs).
    #[must_use]
    pub fn cash_flow(&self) -> Money {
        let n = Money::from_won(self.notional());
        match self.side {
            Side::Buy => -(n + self.costs()),
            Side::Sell => n - self.costs(),
        }
    }
}
