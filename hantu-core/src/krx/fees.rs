//! Commission and the sell-side transaction tax (증권거래세 + 농어촌특별세), as dated data.
//!
//! | sales from | KOSPI | KOSDAQ | KONEX |
//! |---|---|---|---|
//! | (earlier) | 0.30% | 0.30% | 0.30% |
//! | 2019-06-03 | 0.25% | 0.25% | 0.10% |
//! | 2021-01-01 | 0.23% | 0.23% | 0.10% |
//! | 2023-01-01 | 0.20% | 0.20% | 0.10% |
//! | 2024-01-01 | 0.18% | 0.18% | 0.10% |
//! | 2025-01-01 | 0.15% | 0.15% | 0.10% |
//! | 2026-01-01 | 0.20% | 0.20% | 0.10% |
//!
//! ETF and ETN sales are exempt. Both commission and tax are rounded down to the won.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::domain::{InstrumentKind, Market, Money, Side};

/// `(first day, KOSPI/KOSDAQ rate in basis points ×100, KONEX)`, newest first.
const TAX_TABLE: [((i32, u32, u32), i64, i64); 6] = [
    ((2026, 1, 1), 20, 10),
    ((2025, 1, 1), 15, 10),
    ((2024, 1, 1), 18, 10),
    ((2023, 1, 1), 20, 10),
    ((2021, 1, 1), 23, 10),
    ((2019, 6, 3), 25, 10),
];

/// The transaction-tax rate on a sale (e.g. `0.0020`).
///
/// ```
/// use chrono::NaiveDate;
/// use hantu_core::domain::{InstrumentKind, Market};
/// use hantu_core::krx::transaction_tax_rate;
/// use rust_decimal::Decimal;
/// let d = NaiveDate::from_ymd_opt(2025, 12, 31).unwrap();
/// assert_eq!(transaction_tax_rate(d, Market::Kospi, InstrumentKind::Stock), Decimal::new(15, 4));
/// ```
#[must_use]
pub fn transaction_tax_rate(date: NaiveDate, market: Market, kind: InstrumentKind) -> Decimal {
    if matches!(kind, InstrumentKind::Etf | InstrumentKind::Etn) {
        return Decimal::ZERO;
    }
    for ((y, m, d), main, konex) in TAX_TABLE {
        if NaiveDate::from_ymd_opt(y, m, d).is_some_and(|from| date >= from) {
            return Decimal::new(if market == Market::Konex { konex } else { main }, 4);
        }
    }
    Decimal::new(30, 4)
}

/// Commission and tax for fills.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct FeeModel {
    /// Commission rate on each side (default 0.015% = `0.00015`).
    pub commission_rate: Decimal,
    /// Whether to charge the transaction tax on sells.
    pub tax: bool,
}

impl Default for FeeModel {
    fn default() -> Self {
        Self { commission_rate: Decimal::new(15, 5), tax: true }
    }
}

impl FeeModel {
    /// No costs at all.
    #[must_use]
    pub const fn free() -> Self {
        Self { commission_rate: Decimal::ZERO, tax: false }
    }

    /// Commission on `notional` won, rounded down to the won.
    #[must_use]
    pub fn commission(&self, notional: i64) -> Money {
        Money::from_won(notional).mul_rate(self.commission_rate).floor_won()
    }

    /// Tax on a fill of `notional` won, rounded down (zero for buys).
    #[must_use]
    pub fn tax(&self, side: Side, notional: i64, date: NaiveDate, market: Market, kind: InstrumentKind) -> Money {
        if side == Side::Buy || !self.tax {
            return Money::ZERO;
        }
        Money::from_won(notional).mul_rate(transaction_tax_rate(date, market, kind)).floor_won()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn tax_on_both_sides_of_each_boundary() {
        let r = |date| transaction_tax_rate(date, Market::Kospi, InstrumentKind::Stock);
        assert_eq!(r(d(2019, 5, 31)), Decimal::new(30, 4));
        assert_eq!(r(d(2019, 6, 3)), Decimal::new(25, 4));
        assert_eq!(r(d(2020, 12, 31)), Decimal::new(25, 4));
        assert_eq!(r(d(2021, 1, 1)), Decimal::new(23, 4));
        assert_eq!(r(d(2022, 12, 31)), Decimal::new(23, 4));
        assert_eq!(r(d(2023, 1, 1)), Decimal::new(20, 4));
        assert_eq!(r(d(2023, 12, 31)), Decimal::new(20, 4));
        assert_eq!(r(d(2024, 1, 1)), Decimal::new(18, 4));
        assert_eq!(r(d(2024, 12, 31)), Decimal::new(18, 4));
        assert_eq!(r(d(2025, 1, 1)), Decimal::new(15, 4));
        assert_eq!(r(d(2025, 12, 31)), Decimal::new(15, 4));
        assert_eq!(r(d(2026, 1, 1)), Decimal::new(20, 4));
        assert_eq!(transaction_tax_rate(d(2026, 1, 2), Market::Kosdaq, InstrumentKind::Stock), Decimal::new(20, 4));
        assert_eq!(transaction_tax_rate(d(2026, 1, 2), Market::Konex, InstrumentKind::Stock), Decimal::new(10, 4));
        assert_eq!(transaction_tax_rate(d(2026, 1, 2), Market::Kospi, InstrumentKind::Etf), Decimal::ZERO);
    }

    #[test]
    fn fees_round_down_to_the_won() {
        let f = FeeModel::default();
        assert_eq!(f.commission(1_000_000), Money::from_won(150));
        assert_eq!(f.commission(6_666), Money::from_won(0));
        assert_eq!(f.commission(66_666_667), Money::from_won(10_000));
        let tax = |date| f.tax(Side::Sell, 1_234_567, date, Market::Kospi, InstrumentKind::Stock);
        assert_eq!(tax(d(2025, 12, 30)), Money::from_won(1_851)); // 0.15% of 1,234,567 = 1,851.85
        assert_eq!(tax(d(2026, 1, 2)), Money::from_won(2_469)); // 0.20% = 2,469.13
        assert_eq!(f.tax(Side::Buy, 1_234_567, d(2026, 1, 2), Market::Kospi, InstrumentKind::Stock), Money::ZERO);
    }
}
