//! Daily price limits (가격제한폭).
//!
//! ±30% of the base price (normally the previous close) since 2015-06-15, ±15% before;
//! KONEX ±15%. The width is `base × rate` truncated to the tick of the base; the upper limit
//! is `base + width` rounded down to the grid and the lower `base − width` rounded up to it
//! (both inward). Example from a live KIS response: base 66,000 → 46,200 ..= 85,800.

use chrono::NaiveDate;

use super::TickTable;
use crate::domain::{InstrumentKind, Market};

/// First day of the ±30% band.
pub const LIMIT_30_FROM: NaiveDate = match NaiveDate::from_ymd_opt(2015, 6, 15) {
    Some(d) => d,
    None => unreachable!(),
};

/// The limit in percent (30 or 15) for a market on a date.
#[must_use]
pub fn limit_pct(date: NaiveDate, market: Market) -> i64 {
    if market == Market::Konex || date < LIMIT_30_FROM { 15 } else { 30 }
}

/// The day's lower and upper limit prices from `base` won.
///
/// ```
/// use chrono::NaiveDate;
/// use hantu_core::domain::{InstrumentKind, Market};
/// use hantu_core::krx::price_limits;
/// let d = NaiveDate::from_ymd_opt(2025, 7, 1).unwrap();
/// assert_eq!(price_limits(66_000, d, Market::Kospi, InstrumentKind::Stock), (46_200, 85_800));
/// ```
#[must_use]
pub fn price_limits(base: i64, date: NaiveDate, market: Market, kind: InstrumentKind) -> (i64, i64) {
    let table = TickTable::for_date(date, market, kind);
    let raw_width = base * limit_pct(date, market) / 100;
    let width = raw_width - raw_width.rem_euclid(table.tick(base));
    let upper = table.round_down(base + width);
    let lower = table.round_up((base - width).max(1));
    (lower, upper)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn kis_example_and_edges() {
        let day = d(2025, 7, 1);
        let lim = |b| price_limits(b, day, Market::Kospi, InstrumentKind::Stock);
        assert_eq!(lim(66_000), (46_200, 85_800));
        // Width truncated to the base tick: 10,000 × 0.3 = 3,000 (tick 10 → 3,000).
        assert_eq!(lim(10_000), (7_000, 13_000));
        // base 1,995 (tick 1): width 598; upper 2,593 → grid 5 → 2,590; lower 1,397.
        assert_eq!(lim(1_995), (1_397, 2_590));
        // base 19,990: width 5,997 → tick 10 → 5,990; upper 25,980 → tick 50 → 25,950; lower 14,000.
        assert_eq!(lim(19_990), (14_000, 25_950));
        // Every limit is on the grid and inside ±30%.
        let t = TickTable::current();
        for base in (1..700_000).step_by(997) {
            let (lo, hi) = lim(base);
            assert!(t.is_on_tick(lo) && t.is_on_tick(hi), "{base}: {lo} {hi}");
            assert!(hi as f64 <= base as f64 * 1.3 + 1e-9 && lo as f64 >= base as f64 * 0.7 - 1e-9, "{base}");
        }
    }

    #[test]
    fn dated_and_konex_rates() {
        assert_eq!(price_limits(10_000, d(2015, 6, 12), Market::Kospi, InstrumentKind::Stock), (8_500, 11_500));
        assert_eq!(price_limits(10_000, d(2015, 6, 15), Market::Kospi, InstrumentKind::Stock), (7_000, 13_000));
        assert_eq!(price_limits(10_000, d(2025, 6, 15), Market::Konex, InstrumentKind::Stock), (8_500, 11_500));
    }
}
