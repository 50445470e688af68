//! Gap-fill: the trades a feed missed, recovered from KIS's recent executions (`inquire-ccnl`,
//! newest first, about 30) and numbered with the day's cumulative volume so they merge with the
//! stream without holes or duplicates.
//!
//! The first trade after a gap carries `cum_volume`, which says exactly how many shares traded since
//! the last trade delivered: `missing = first.cum_volume − first.qty − last_cum`. The executions list
//! has no cumulative volume, so the first trade is found in it (same time, price and shares) and the
//! older executions are taken back from there until they add up to `missing`; walking back from the
//! anchor gives each one its `cum_volume`. An anchor whose preceding executions overshoot `missing`
//! is the wrong one (the same print can repeat within a second); when the list ends before `missing`
//! is reached the gap was longer than the list, and the shortfall is reported.

use chrono::{NaiveDate, NaiveTime};
use hantu_core::domain::{Tick, Timestamp};
use hantu_core::realtime::Trade;

use crate::rest::Execution;

/// The trades recovered for one gap.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Recovery {
    /// Recovered trades, oldest first, with their `cum_volume`.
    pub trades: Vec<Trade>,
    /// Shares missed that the executions list did not reach back to (0 when the gap is whole).
    pub shortfall: u64,
}

/// Shares missed between the last delivered trade (`last_cum`) and `first`, the trade after the gap.
#[must_use]
pub fn missing_volume(last_cum: u64, first: &Trade) -> u64 {
    first.cum_volume.saturating_sub(first.tick.qty).saturating_sub(last_cum)
}

/// Recovers the trades missed between `last_cum` and `held[0]` from `executions` (newest first),
/// anchoring on the oldest held trade the list still shows: when the stream has run ahead of the
/// list's 30 rows, a later held trade is the anchor and the held trades before it are recovered
/// too (they are duplicates the caller drops by cumulative volume). `None` when no held trade is in
/// the list.
#[must_use]
pub fn recover_held(last_cum: u64, held: &[Trade], executions: &[Execution], date: NaiveDate) -> Option<Recovery> {
    let mut best: Option<Recovery> = None;
    for j in 0..held.len() {
        match recover(last_cum, &held[j..], executions, date) {
            Some(r) if r.shortfall == 0 => return Some(r),
            Some(r) if best.as_ref().is_none_or(|b| r.shortfall < b.shortfall) => best = Some(r),
            _ => {}
        }
    }
    best
}

/// Recovers the trades between `last_cum` and `held[0]` (the trade after the gap; the rest of `held`
/// are the trades received after it, oldest first) from `executions` (newest first), dated `date`.
/// The anchor is the entry matching `held[0]` whose newer entries match the later held trades, so a
/// print repeated within a second is not taken for another. `None` when no entry anchors (the list
/// lags the stream: ask again).
#[must_use]
pub fn recover(last_cum: u64, held: &[Trade], executions: &[Execution], date: NaiveDate) -> Option<Recovery> {
    let first = held.first()?;
    let missing = missing_volume(last_cum, first);
    if missing == 0 {
        return Some(Recovery::default());
    }
    let mut partial: Option<Recovery> = None;
    for (k, anchor) in executions.iter().enumerate() {
        let same = |e: &Execution, t: &Trade| {
            e.time == t.tick.ts.kst_datetime().time() && e.price == t.tick.price && e.qty == t.tick.qty
        };
        if !same(anchor, first) || !(1..=k.min(held.len() - 1)).all(|i| same(&executions[k - i], &held[i])) {
            continue;
        }
        let mut cum = first.cum_volume - first.tick.qty;
        let mut taken = 0u64;
        let mut trades = Vec::new();
        for e in &executions[k + 1..] {
            if taken + e.qty > missing {
                break;
            }
            trades.push(Trade { tick: tick(first, e, date), cum_volume: cum });
            cum -= e.qty;
            taken += e.qty;
            if taken == missing {
                break;
            }
        }
        let exhausted = k + 1 + trades.len() == executions.len();
        if taken == missing {
            trades.reverse();
            return Some(Recovery { trades, shortfall: 0 });
        }
        if exhausted && partial.is_none() {
            trades.reverse();
            partial = Some(Recovery { trades, shortfall: missing - taken });
        }
    }
    partial
}

fn tick(first: &Trade, e: &Execution, date: NaiveDate) -> Tick {
    Tick { code: first.tick.code, ts: kst(date, e.time), price: e.price, qty: e.qty }
}

fn kst(date: NaiveDate, time: NaiveTime) -> Timestamp {
    Timestamp::from_kst(date.and_time(time))
}

#[cfg(test)]
mod tests {
    use hantu_core::domain::{Price, StockCode};
    use rust_decimal::Decimal;

    use super::*;

    fn date() -> NaiveDate {
        NaiveDate::from_ymd_opt(2025, 7, 25).unwrap()
    }

    fn t(h: u32, m: u32, s: u32) -> NaiveTime {
        NaiveTime::from_hms_opt(h, m, s).unwrap()
    }

    fn exec(time: NaiveTime, won: i64, qty: u64) -> Execution {
        Execution { time, price: Price::new(won), qty, strength: Decimal::ONE }
    }

    fn trade(time: NaiveTime, won: i64, qty: u64, cum: u64) -> Trade {
        Trade {
            tick: Tick { code: StockCode::new("005930"), ts: kst(date(), time), price: Price::new(won), qty },
            cum_volume: cum,
        }
    }

    /// The day's trades as (time, price, qty); cum volume from 1,000.
    fn day() -> Vec<Trade> {
        let raw =
            [(0, 100, 10), (1, 200, 5), (1, 200, 5), (2, 100, 7), (3, 300, 1), (3, 300, 1), (4, 200, 9), (5, 100, 3)];
        let mut cum = 1_000;
        raw.iter()
            .map(|&(s, px, q)| {
                cum += q;
                trade(t(9, 30, s), 70_000 + px, q, cum)
            })
            .collect()
    }

    fn newest_first(trades: &[Trade]) -> Vec<Execution> {
        trades.iter().rev().map(|x| exec(x.tick.ts.kst_datetime().time(), x.tick.price.won(), x.tick.qty)).collect()
    }

    #[test]
    fn recovers_exactly_the_missed_trades_with_their_cum_volume() {
        let all = day();
        // Delivered up to #1, missed #2..=#5, the stream resumed at #6.
        let got = recover(all[1].cum_volume, &all[6..], &newest_first(&all), date()).unwrap();
        assert_eq!(got, Recovery { trades: all[2..6].to_vec(), shortfall: 0 });
    }

    #[test]
    fn a_repeated_print_does_not_fool_the_anchor() {
        let all = day();
        // #5 repeats #4 exactly (same second, price and shares): resuming at #5 after delivering #3
        // must recover #4 only, not #3 again.
        let got = recover(all[3].cum_volume, &all[5..], &newest_first(&all), date()).unwrap();
        assert_eq!(got.trades, all[4..5].to_vec());
    }

    #[test]
    fn a_list_that_lags_the_stream_asks_again_and_a_short_list_reports_the_shortfall() {
        let all = day();
        assert_eq!(recover(all[1].cum_volume, &all[6..], &newest_first(&all[..5]), date()), None);
        // Only the newest four executions are listed; the gap reached back further.
        let list = newest_first(&all);
        let got = recover(all[0].cum_volume, &all[7..], &list[..4], date()).unwrap();
        assert_eq!(got.trades, all[4..7].to_vec());
        assert_eq!(got.shortfall, all[1].tick.qty + all[2].tick.qty + all[3].tick.qty);
    }

    #[test]
    fn a_later_held_trade_anchors_when_the_stream_ran_ahead_of_the_list() {
        let all = day();
        // Missed #2..=#3; the stream resumed at #4 and has run to #7; the list shows #3..=#7 only.
        let list = newest_first(&all[3..]);
        let alone = recover(all[1].cum_volume, &all[4..], &list, date()).unwrap();
        assert_eq!((alone.trades.as_slice(), alone.shortfall), (&all[3..4], all[2].tick.qty));
        let got = recover_held(all[1].cum_volume, &all[4..], &list, date()).unwrap();
        assert_eq!(got.trades.first(), Some(&all[3]));
        assert_eq!(got.shortfall, all[2].tick.qty);
    }

    #[test]
    fn no_gap_needs_no_list() {
        let all = day();
        assert_eq!(recover(all[2].cum_volume, &all[3..], &[], date()), Some(Recovery::default()));
        assert_eq!(missing_volume(all[2].cum_volume, &all[3]), 0);
    }
}
