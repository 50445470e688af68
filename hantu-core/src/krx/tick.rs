//! The KRX tick-size table (호가가격단위), as dated data.
//!
//! Since 2023-01-25 one ladder applies to KOSPI, KOSDAQ and KONEX stocks:
//!
//! | price (won) | tick |
//! |---|---|
//! | < 2,000 | 1 |
//! | 2,000 – < 5,000 | 5 |
//! | 5,000 – < 20,000 | 10 |
//! | 20,000 – < 50,000 | 50 |
//! | 50,000 – < 200,000 | 100 |
//! | 200,000 – < 500,000 | 500 |
//! | ≥ 500,000 | 1,000 |
//!
//! Before that, KOSPI used `<1,000:1, <5,000:5, <10,000:10, <50,000:50, <100,000:100,
//! <500,000:500, else 1,000` and KOSDAQ/KONEX the same up to 50,000 and 100 above.
//! ETFs and ETNs trade on a 5-won tick throughout.

use chrono::NaiveDate;

use crate::domain::{InstrumentKind, Market};

/// First day of the current ladder.
pub const TICK_TABLE_2023_FROM: NaiveDate = match NaiveDate::from_ymd_opt(2023, 1, 25) {
    Some(d) => d,
    None => unreachable!(),
};

const LADDER_2023: [(i64, i64); 7] =
    [(2_000, 1), (5_000, 5), (20_000, 10), (50_000, 50), (200_000, 100), (500_000, 500), (i64::MAX, 1_000)];
const LADDER_KOSPI_OLD: [(i64, i64); 7] =
    [(1_000, 1), (5_000, 5), (10_000, 10), (50_000, 50), (100_000, 100), (500_000, 500), (i64::MAX, 1_000)];
const LADDER_KOSDAQ_OLD: [(i64, i64); 5] = [(1_000, 1), (5_000, 5), (10_000, 10), (50_000, 50), (i64::MAX, 100)];

/// Which ladder applies to an instrument on a date. Cheap to copy; resolve once per
/// instrument and trading day, then call [`TickTable::tick`] in loops.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TickTable {
    ladder: &'static [(i64, i64)],
    fixed: Option<i64>,
}

impl TickTable {
    /// The table in force for `market`/`kind` on `date`.
    #[must_use]
    pub fn for_date(date: NaiveDate, market: Market, kind: InstrumentKind) -> Self {
        if matches!(kind, InstrumentKind::Etf | InstrumentKind::Etn) {
            return Self { ladder: &LADDER_2023, fixed: Some(5) };
        }
        let ladder: &'static [(i64, i64)] = if date >= TICK_TABLE_2023_FROM {
            &LADDER_2023
        } else if market == Market::Kospi {
            &LADDER_KOSPI_OLD
        } else {
            &LADDER_KOSDAQ_OLD
        };
        Self { ladder, fixed: None }
    }

    /// The current table for stocks (any market).
    #[must_use]
    pub fn current() -> Self {
        Self { ladder: &LADDER_2023, fixed: None }
    }

    /// Tick size at `price` won.
    #[inline]
    #[must_use]
    pub fn tick(&self, price: i64) -> i64 {
        if let Some(t) = self.fixed {
            return t;
        }
        for &(below, tick) in self.ladder {
            if price < below {
                return tick;
            }
        }
        1_000
    }

    /// Whether `price` is on the grid.
    #[must_use]
    pub fn is_on_tick(&self, price: i64) -> bool {
        price > 0 && price % self.tick(price) == 0
    }

    /// The largest grid price `<= price`.
    #[must_use]
    pub fn round_down(&self, price: i64) -> i64 {
        let t = self.tick(price);
        price - price.rem_euclid(t)
    }

    /// The smallest grid price `>= price`. Crossing a band boundary keeps it on the grid,
    /// because every band's lower edge is a multiple of its own tick.
    #[must_use]
    pub fn round_up(&self, price: i64) -> i64 {
        let t = self.tick(price);
        let r = price.rem_euclid(t);
        if r == 0 { price } else { price + (t - r) }
    }

    /// The nearest grid price (ties go up).
    #[must_use]
    pub fn round_nearest(&self, price: i64) -> i64 {
        let (d, u) = (self.round_down(price), self.round_up(price));
        if price - d < u - price { d } else { u }
    }

    /// `n` ticks above (`n > 0`) or below (`n < 0`) a grid price, floored at one tick.
    #[must_use]
    pub fn offset(&self, price: i64, n: i64) -> i64 {
        let mut p = price;
        if n > 0 {
            for _ in 0..n {
                p += self.tick(p);
            }
        } else {
            for _ in 0..(-n) {
                let below = p - 1;
                if below <= 0 {
                    break;
                }
                p -= self.tick(below);
            }
        }
        p.max(1)
    }
}

/// Tick size for a stock at `price` under the current (2023-01-25) table.
///
/// ```
/// use hantu_core::krx::tick_size;
/// assert_eq!(tick_size(1_999), 1);
/// assert_eq!(tick_size(2_000), 5);
/// assert_eq!(tick_size(71_500), 100);
/// ```
#[must_use]
pub fn tick_size(price: i64) -> i64 {
    TickTable::current().tick(price)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn current_ladder_boundaries() {
        let t = TickTable::current();
        for (p, tick) in [
            (1, 1),
            (1_999, 1),
            (2_000, 5),
            (4_999, 5),
            (5_000, 10),
            (19_999, 10),
            (20_000, 50),
            (49_999, 50),
            (50_000, 100),
            (199_999, 100),
            (200_000, 500),
            (499_999, 500),
            (500_000, 1_000),
            (3_000_000, 1_000),
        ] {
            assert_eq!(t.tick(p), tick, "price {p}");
        }
    }

    #[test]
    fn old_ladders_differ_by_market_and_switch_on_2023_01_25() {
        let kospi = TickTable::for_date(d(2023, 1, 24), Market::Kospi, InstrumentKind::Stock);
        let kosdaq = TickTable::for_date(d(2023, 1, 24), Market::Kosdaq, InstrumentKind::Stock);
        let new = TickTable::for_date(d(2023, 1, 25), Market::Kosdaq, InstrumentKind::Stock);
        assert_eq!(kospi.tick(999), 1);
        assert_eq!(kospi.tick(1_000), 5);
        assert_eq!(kospi.tick(9_999), 10);
        assert_eq!(kospi.tick(10_000), 50);
        assert_eq!(kospi.tick(99_999), 100);
        assert_eq!(kospi.tick(100_000), 500);
        assert_eq!(kospi.tick(500_000), 1_000);
        assert_eq!(kosdaq.tick(100_000), 100);
        assert_eq!(kosdaq.tick(600_000), 100);
        assert_eq!(new.tick(1_500), 1);
        assert_eq!(new.tick(600_000), 1_000);
    }

    #[test]
    fn etf_tick_is_five() {
        let t = TickTable::for_date(d(2025, 1, 2), Market::Kospi, InstrumentKind::Etf);
        assert_eq!(t.tick(30_000), 5);
        assert!(t.is_on_tick(30_005));
    }

    #[test]
    fn rounding_across_band_edges() {
        let t = TickTable::current();
        assert_eq!(t.round_down(2_003), 2_000);
        assert_eq!(t.round_up(1_999), 1_999);
        assert_eq!(t.round_up(19_995), 20_000);
        assert_eq!(t.round_down(50_049), 50_000);
        assert_eq!(t.round_nearest(50_049), 50_000);
        assert_eq!(t.round_nearest(50_050), 50_100);
        assert_eq!(t.offset(2_000, -1), 1_999);
        assert_eq!(t.offset(1_999, 1), 2_000);
        assert_eq!(t.offset(2_000, 2), 2_010);
        assert!(t.is_on_tick(71_500));
        assert!(!t.is_on_tick(71_550));
    }
}
