//! The portfolio: cash (settled and pending), positions, equity and buying power.
//!
//! KRX settles trades on T+2. Sale proceeds are cash the moment the sale fills and may be
//! used to buy at once (as KIS's 주문가능금액 allows), but they are not withdrawable until
//! they settle; [`Portfolio::settled_cash`] is what could be withdrawn.

use std::collections::{BTreeMap, VecDeque};

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::{Fill, Money, Position, Price, Side, StockCode, ValidationError};

/// Cash and positions.
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
pub struct Portfolio {
    cash: Money,
    /// Sale proceeds not yet settled, with their settlement dates, oldest first.
    unsettled: VecDeque<(NaiveDate, Money)>,
    /// Cash set aside for open buy orders.
    reserved: Money,
    positions: BTreeMap<StockCode, Position>,
    /// Sum of market values of all positions, kept up to date incrementally.
    market_value: i64,
}

impl Portfolio {
    /// A portfolio holding only `cash`.
    #[must_use]
    pub fn new(cash: Money) -> Self {
        Self { cash, unsettled: VecDeque::new(), reserved: Money::ZERO, positions: BTreeMap::new(), market_value: 0 }
    }

    /// All cash, settled or not.
    #[must_use]
    pub fn cash(&self) -> Money {
        self.cash
    }

    /// Cash that has settled (withdrawable).
    #[must_use]
    pub fn settled_cash(&self) -> Money {
        self.cash - self.unsettled.iter().map(|(_, m)| *m).sum()
    }

    /// Cash reserved for open buy orders.
    #[must_use]
    pub fn reserved(&self) -> Money {
        self.reserved
    }

    /// What new buy orders may spend: cash less reservations.
    #[must_use]
    pub fn buying_power(&self) -> Money {
        self.cash - self.reserved
    }

    /// Positions with shares, in code order.
    pub fn positions(&self) -> impl Iterator<Item = &Position> {
        self.positions.values().filter(|p| !p.qty.is_zero())
    }

    /// All positions ever touched (including flat ones, which carry realized P&L).
    pub fn all_positions(&self) -> impl Iterator<Item = &Position> {
        self.positions.values()
    }

    /// The position in `code`, if any shares are held.
    #[must_use]
    pub fn position(&self, code: StockCode) -> Option<&Position> {
        self.positions.get(&code).filter(|p| !p.qty.is_zero())
    }

    /// Shares held in `code`.
    #[must_use]
    pub fn qty(&self, code: StockCode) -> u64 {
        self.positions.get(&code).map_or(0, |p| p.qty.get())
    }

    /// Number of stocks held.
    #[must_use]
    pub fn open_positions(&self) -> usize {
        self.positions().count()
    }

    /// Market value of all positions at their last prices, in won.
    #[must_use]
    pub fn market_value(&self) -> i64 {
        self.market_value
    }

    /// Cash plus market value.
    #[must_use]
    #[inline]
    pub fn equity(&self) -> Money {
        self.cash.add_won(self.market_value)
    }

    /// Updates the last price of `code` (no-op when nothing is held).
    #[inline]
    pub fn mark(&mut self, code: StockCode, price: Price) {
        // Called on every bar; most bars find no position of theirs (often none at all).
        if self.positions.is_empty() {
            return;
        }
        if let Some(p) = self.positions.get_mut(&code) {
            self.market_value += (price.won() - p.last_price.won()) * p.qty.get() as i64;
            p.last_price = price;
        }
    }

    /// Sets aside `amount` for an open buy order.
    pub fn reserve(&mut self, amount: Money) {
        self.reserved += amount;
    }

    /// Releases a reservation made with [`Portfolio::reserve`].
    pub fn release(&mut self, amount: Money) {
        self.reserved -= amount;
        if self.reserved.is_negative() {
            self.reserved = Money::ZERO;
        }
    }

    /// Books a fill: cash, position, market value; sale proceeds settle on `settles_on`.
    ///
    /// # Errors
    /// If a sell exceeds the shares held. Nothing changes in that case.
    pub fn apply_fill(&mut self, fill: &Fill, settles_on: NaiveDate) -> Result<(), ValidationError> {
        let pos = self.positions.entry(fill.code).or_insert_with(|| Position::flat(fill.code, fill.price));
        let before = pos.market_value();
        pos.apply(fill)?;
        self.market_value += pos.market_value() - before;
        let flow = fill.cash_flow();
        self.cash += flow;
        if fill.side == Side::Sell && !flow.is_negative() {
            self.unsettled.push_back((settles_on, flow));
        }
        Ok(())
    }

    /// The earliest date on which pending sale proceeds settle.
    #[must_use]
    pub fn next_settlement(&self) -> Option<NaiveDate> {
        self.unsettled.front().map(|(d, _)| *d)
    }

    /// Whether sale proceeds await settlement.
    #[must_use]
    pub fn has_unsettled(&self) -> bool {
        !self.unsettled.is_empty()
    }

    /// Settles every sale whose settlement date is on or before `today`.
    pub fn settle(&mut self, today: NaiveDate) {
        while self.unsettled.front().is_some_and(|(d, _)| *d <= today) {
            self.unsettled.pop_front();
        }
    }

    /// Realized P&L over all positions.
    #[must_use]
    pub fn realized_pnl(&self) -> Money {
        self.positions.values().map(|p| p.realized_pnl).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{ClientOrderId, Qty, Timestamp};

    fn fill(side: Side, qty: u64, price: i64) -> Fill {
        Fill {
            client_id: ClientOrderId::from_seq("t", 1),
            code: StockCode::new("000660"),
            side,
            qty: Qty::from_shares(qty),
            price: Price::new(price),
            commission: Money::from_won(1),
            tax: Money::from_won(if side == Side::Sell { 2 } else { 0 }),
            ts: Timestamp::default(),
        }
    }

    #[test]
    fn cash_plus_value_is_equity_and_proceeds_settle_t_plus_2() {
        let d = |day| NaiveDate::from_ymd_opt(2025, 3, day).unwrap();
        let mut pf = Portfolio::new(Money::from_won(10_000));
        pf.apply_fill(&fill(Side::Buy, 10, 500), d(3)).unwrap();
        assert_eq!(pf.cash(), Money::from_won(10_000 - 5001));
        pf.mark(StockCode::new("000660"), Price::new(600));
        assert_eq!(pf.equity(), Money::from_won(10_000 - 5001 + 6000));
        pf.apply_fill(&fill(Side::Sell, 10, 600), d(5)).unwrap();
        assert_eq!(pf.market_value(), 0);
        assert_eq!(pf.cash(), Money::from_won(10_000 - 5001 + 6000 - 3));
        assert_eq!(pf.settled_cash(), Money::from_won(10_000 - 5001));
        assert_eq!(pf.buying_power(), pf.cash());
        pf.settle(d(4));
        assert_eq!(pf.settled_cash(), Money::from_won(10_000 - 5001));
        pf.settle(d(5));
        assert_eq!(pf.settled_cash(), pf.cash());
    }
}
