//! Positions: the running sum of a stock's fills.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::{Fill, Money, Price, Qty, Side, StockCode, ValidationError};

/// A long position (KRX cash accounts cannot be short).
///
/// Average cost includes buy commissions; realized P&L is net of sell commission and tax.
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
pub struct Position {
    /// The stock.
    pub code: StockCode,
    /// Shares held.
    pub qty: Qty,
    /// Total cost of the shares held, including buy commissions.
    pub cost: Money,
    /// Realized P&L so far, net of all costs.
    pub realized_pnl: Money,
    /// Last known price (for unrealized P&L and equity).
    pub last_price: Price,
    /// Commission and tax paid on this stock.
    pub costs_paid: Money,
}

impl Position {
    /// A flat position.
    #[must_use]
    pub fn flat(code: StockCode, last_price: Price) -> Self {
        Self { code, qty: Qty::ZERO, cost: Money::ZERO, realized_pnl: Money::ZERO, last_price, costs_paid: Money::ZERO }
    }

    /// Adds a fill.
    ///
    /// # Errors
    /// If a sell exceeds the shares held, or the fill is for another stock.
    pub fn apply(&mut self, fill: &Fill) -> Result<(), ValidationError> {
        if fill.code != self.code {
            return Err(ValidationError::Order(format!("fill for {} applied to position {}", fill.code, self.code)));
        }
        self.costs_paid += fill.costs();
        self.last_price = fill.price;
        match fill.side {
            Side::Buy => {
                self.cost += Money::from_won(fill.notional()) + fill.costs();
                self.qty = self.qty.add(fill.qty);
            }
            Side::Sell => {
                if fill.qty > self.qty {
                    return Err(ValidationError::Order(format!(
                        "sell of {} exceeds {} held in {}",
                        fill.qty, self.qty, self.code
                    )));
                }
                let released = if fill.qty == self.qty {
                    self.cost
                } else {
                    Money::new(self.cost.get() * Decimal::from(fill.qty.get()) / Decimal::from(self.qty.get()))
                };
                self.cost -= released;
                self.realized_pnl += Money::from_won(fill.notional()) - fill.costs() - released;
                self.qty = self.qty.saturating_sub(fill.qty);
            }
        }
        Ok(())
    }

    /// Average cost per share including buy commissions, if any shares are held.
    #[must_use]
    pub fn avg_cost(&self) -> Option<Money> {
        (!self.qty.is_zero()).then(|| Money::new(self.cost.get() / Decimal::from(self.qty.get())))
    }

    /// Market value at the last price, in won.
    #[must_use]
    pub fn market_value(&self) -> i64 {
        self.last_price.notional(self.qty)
    }

    /// Unrealized P&L at the last price (before the costs of selling).
    #[must_use]
    pub fn unrealized_pnl(&self) -> Money {
        Money::from_won(self.market_value()) - self.cost
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{ClientOrderId, Timestamp};

    fn fill(side: Side, qty: u64, price: i64, commission: i64, tax: i64) -> Fill {
        Fill {
            client_id: ClientOrderId::from_seq("t", 1),
            code: StockCode::new("005930"),
            side,
            qty: Qty::from_shares(qty),
            price: Price::new(price),
            commission: Money::from_won(commission),
            tax: Money::from_won(tax),
            ts: Timestamp::default(),
        }
    }

    #[test]
    fn position_is_the_sum_of_its_fills() {
        let mut p = Position::flat(StockCode::new("005930"), Price::new(1));
        p.apply(&fill(Side::Buy, 10, 1000, 10, 0)).unwrap();
        p.apply(&fill(Side::Buy, 10, 1200, 10, 0)).unwrap();
        assert_eq!(p.cost, Money::from_won(22_020));
        assert_eq!(p.avg_cost(), Some(Money::from_won(1101)));
        p.apply(&fill(Side::Sell, 5, 1300, 5, 13)).unwrap();
        // Released cost 5 × 1101 = 5505; proceeds 6500 − 18 costs.
        assert_eq!(p.realized_pnl, Money::from_won(6500 - 18 - 5505));
        assert_eq!(p.qty, Qty::from_shares(15));
        p.apply(&fill(Side::Sell, 15, 1000, 15, 30)).unwrap();
        assert!(p.qty.is_zero());
        assert_eq!(p.cost, Money::ZERO);
        // Total P&L equals the sum of all cash flows.
        assert_eq!(p.realized_pnl, Money::from_won(-22_020 + 6500 - 18 + 15_000 - 45));
        assert_eq!(p.costs_paid, Money::from_won(10 + 10 + 18 + 45));
    }

    #[test]
    fn overselling_is_refused() {
        let mut p = Position::flat(StockCode::new("005930"), Price::new(1));
        p.apply(&fill(Side::Buy, 1, 1000, 0, 0)).unwrap();
        assert!(p.apply(&fill(Side::Sell, 2, 1000, 0, 0)).is_err());
        assert_eq!(p.qty, Qty::from_shares(1));
    }
}
