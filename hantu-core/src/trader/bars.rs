//! One-minute bars from trade prints, for strategies' `on_bar`.
//!
//! Bars are stamped at the end of their minute (as the simulated market's and KIS's minute bars are),
//! so a bar for 09:00:00–09:00:59 carries 09:01:00. A bar is complete when a print of a later minute
//! arrives for its code or the clock passes its end ([`MinuteBars::flush_until`]). Prints older than
//! the open bar, or of a minute already completed, are dropped (a feed delivers them in order; a late
//! duplicate changes nothing; a print that arrives after the clock closed its minute must not start a
//! second bar for that minute).

use std::collections::BTreeMap;

use crate::domain::{Bar, StockCode, Tick, Timestamp};

const MINUTE_MS: i64 = 60_000;

/// Builds one-minute bars per code.
#[derive(Clone, Debug, Default)]
pub struct MinuteBars {
    open: BTreeMap<StockCode, Bar>,
    /// End of the last bar completed per code.
    done: BTreeMap<StockCode, Timestamp>,
}

impl MinuteBars {
    /// An empty builder.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// The end of the minute holding `ts`.
    fn minute_end(ts: Timestamp) -> Timestamp {
        Timestamp::from_millis((ts.millis().div_euclid(MINUTE_MS) + 1) * MINUTE_MS)
    }

    /// Adds a print; returns the bar it completed, if any.
    pub fn push(&mut self, tick: &Tick) -> Option<Bar> {
        let end = Self::minute_end(tick.ts);
        if self.done.get(&tick.code).is_some_and(|d| end <= *d) {
            return None;
        }
        match self.open.get_mut(&tick.code) {
            Some(bar) if bar.ts == end => {
                bar.high = bar.high.max(tick.price);
                bar.low = bar.low.min(tick.price);
                bar.close = tick.price;
                bar.volume += tick.qty;
                None
            }
            Some(bar) if bar.ts > end => None,
            _ => {
                let bar = Bar {
                    code: tick.code,
                    ts: end,
                    open: tick.price,
                    high: tick.price,
                    low: tick.price,
                    close: tick.price,
                    volume: tick.qty,
                };
                let completed = self.open.insert(tick.code, bar);
                if let Some(b) = &completed {
                    self.done.insert(b.code, b.ts);
                }
                completed
            }
        }
    }

    /// Completes every bar whose minute ended at or before `now`, in code order.
    pub fn flush_until(&mut self, now: Timestamp) -> Vec<Bar> {
        let done: Vec<StockCode> = self.open.iter().filter(|(_, b)| b.ts <= now).map(|(c, _)| *c).collect();
        let bars: Vec<Bar> = done.into_iter().filter_map(|c| self.open.remove(&c)).collect();
        for b in &bars {
            self.done.insert(b.code, b.ts);
        }
        bars
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Price;

    #[test]
    fn aggregates_a_minute_and_closes_it_on_the_next_print_or_the_clock() {
        let c = StockCode::new("005930");
        let t = |s: i64, p: i64| Tick { code: c, ts: Timestamp::from_millis(s * 1000), price: Price::new(p), qty: 1 };
        let mut b = MinuteBars::new();
        assert!(b.push(&t(0, 100)).is_none());
        assert!(b.push(&t(30, 105)).is_none());
        assert!(b.push(&t(59, 98)).is_none());
        let bar = b.push(&t(61, 101)).unwrap();
        assert_eq!(
            (bar.open, bar.high, bar.low, bar.close, bar.volume),
            (Price::new(100), Price::new(105), Price::new(98), Price::new(98), 3)
        );
        assert_eq!(bar.ts, Timestamp::from_millis(60_000));
        assert!(b.push(&t(10, 1)).is_none(), "a late print is dropped");
        assert!(b.flush_until(Timestamp::from_millis(119_999)).is_empty());
        assert_eq!(b.flush_until(Timestamp::from_millis(120_000)).len(), 1);
    }

    #[test]
    fn a_print_arriving_after_the_clock_closed_its_minute_starts_no_second_bar() {
        let c = StockCode::new("005930");
        let t = |ms: i64, p: i64| Tick { code: c, ts: Timestamp::from_millis(ms), price: Price::new(p), qty: 1 };
        let mut b = MinuteBars::new();
        assert!(b.push(&t(59_000, 100)).is_none());
        assert_eq!(b.flush_until(Timestamp::from_millis(60_100)).len(), 1);
        assert!(b.push(&t(59_900, 101)).is_none(), "late print of the closed minute");
        assert!(b.flush_until(Timestamp::from_millis(60_500)).is_empty(), "no second bar for the minute");
        assert!(b.push(&t(60_200, 102)).is_none());
        let bar = b.push(&t(120_100, 103)).unwrap();
        assert_eq!((bar.ts, bar.open), (Timestamp::from_millis(120_000), Price::new(102)));
    }
}
