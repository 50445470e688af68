use chrono::NaiveDate;
use proptest::prelude::*;

use super::*;
use crate::domain::Tick;

fn day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, 3, 4).unwrap()
}

fn at(h: u32, m: u32, s: u32) -> Timestamp {
    Timestamp::from_kst(day().and_hms_opt(h, m, s).unwrap())
}

fn code(s: &str) -> StockCode {
    StockCode::new(s)
}

fn trade(c: &str, ts: Timestamp, won: i64, qty: u64, cum: u64) -> Trade {
    Trade { tick: Tick { code: code(c), ts, price: Price::new(won), qty }, cum_volume: cum }
}

fn run(builder: &mut BarBuilder, trades: &[Trade]) -> Vec<Bar> {
    let mut out: Vec<Bar> = trades.iter().filter_map(|t| builder.push(t)).collect();
    builder.finish(&mut out);
    out.sort_by_key(|b| (b.ts, b.code));
    out
}

#[test]
fn one_minute_edges_follow_the_session() {
    let mut b = BarBuilder::new(1).unwrap();
    let cases = [
        (at(7, 0, 0), None),                   // before the opening auction
        (at(8, 59, 50), Some(at(9, 1, 0))),    // opening auction print: first bar
        (at(9, 0, 0), Some(at(9, 1, 0))),      // the open
        (at(9, 0, 59), Some(at(9, 1, 0))),     // end of the first minute
        (at(9, 1, 0), Some(at(9, 2, 0))),      // next minute
        (at(15, 19, 59), Some(at(15, 20, 0))), // last continuous minute
        (at(15, 20, 0), Some(at(15, 30, 0))),  // closing auction
        (at(15, 30, 0), Some(at(15, 30, 0))),  // the closing print
        (at(15, 45, 0), None),                 // after-hours close trade
    ];
    for (ts, want) in cases {
        assert_eq!(b.bucket_end(ts), want, "{ts}");
    }
}

#[test]
fn n_minute_buckets_count_from_the_open_and_stop_at_the_auction() {
    let mut b5 = BarBuilder::new(5).unwrap();
    assert_eq!(b5.bucket_end(at(9, 4, 59)), Some(at(9, 5, 0)));
    assert_eq!(b5.bucket_end(at(9, 5, 0)), Some(at(9, 10, 0)));
    assert_eq!(b5.bucket_end(at(15, 17, 0)), Some(at(15, 20, 0)));
    let mut b60 = BarBuilder::new(60).unwrap();
    assert_eq!(b60.bucket_end(at(14, 59, 0)), Some(at(15, 0, 0)));
    // The last hour is cut at the end of continuous trading.
    assert_eq!(b60.bucket_end(at(15, 10, 0)), Some(at(15, 20, 0)));
    assert_eq!(b60.bucket_end(at(15, 25, 0)), Some(at(15, 30, 0)));
}

#[test]
fn late_open_days_move_every_edge() {
    // 2025-01-02: first trading day of the year, opens at 10:00 and closes at 15:30.
    let d = NaiveDate::from_ymd_opt(2025, 1, 2).unwrap();
    let t = |h, m| Timestamp::from_kst(d.and_hms_opt(h, m, 0).unwrap());
    let mut b = BarBuilder::new(1).unwrap();
    assert_eq!(b.bucket_end(t(9, 0)), None);
    assert_eq!(b.bucket_end(t(9, 45)), Some(t(10, 1)));
    assert_eq!(b.bucket_end(t(10, 0)), Some(t(10, 1)));
}

#[test]
fn duplicates_and_after_hours_change_nothing() {
    let mut b = BarBuilder::new(1).unwrap();
    let trades = [
        trade("005930", at(9, 0, 1), 70_000, 10, 10),
        trade("005930", at(9, 0, 2), 70_500, 5, 15),
        trade("005930", at(9, 0, 2), 70_500, 5, 15),  // the same frame twice
        trade("005930", at(9, 0, 1), 70_000, 10, 10), // an old trade replayed
        trade("005930", at(9, 0, 3), 69_800, 2, 17),
        trade("005930", at(15, 50, 0), 71_000, 3, 20), // after hours
    ];
    let bars = run(&mut b, &trades);
    assert_eq!(bars.len(), 1);
    let bar = bars[0];
    assert_eq!(
        (bar.ts, bar.open.won(), bar.high.won(), bar.low.won(), bar.close.won(), bar.volume),
        (at(9, 1, 0), 70_000, 70_500, 69_800, 69_800, 17)
    );
    assert_eq!(b.duplicates(), 2);
    assert_eq!(b.outside_session(), 1);
    assert_eq!(b.last_cum_volume(code("005930")), 20);
}

#[test]
fn codes_are_independent_and_bars_close_on_the_clock() {
    let mut b = BarBuilder::new(1).unwrap();
    assert!(b.push(&trade("005930", at(9, 0, 1), 70_000, 1, 1)).is_none());
    assert!(b.push(&trade("000660", at(9, 0, 1), 200_000, 2, 2)).is_none());
    let done = b.push(&trade("005930", at(9, 2, 0), 70_100, 1, 2)).unwrap();
    assert_eq!((done.code, done.ts), (code("005930"), at(9, 1, 0)));
    assert_eq!(b.partial(code("000660")).map(|p| p.volume), Some(2));
    let mut out = Vec::new();
    b.close_until(at(9, 0, 59), &mut out);
    assert!(out.is_empty());
    b.close_until(at(9, 1, 0), &mut out);
    assert_eq!(out.iter().map(|b| b.code).collect::<Vec<_>>(), vec![code("000660")]);
    b.close_until(at(9, 3, 0), &mut out);
    assert_eq!(out.len(), 2);
    assert!(b.partial(code("005930")).is_none());
}

#[test]
fn bad_lengths_are_refused() {
    assert!(BarBuilder::new(0).is_err());
    assert!(BarBuilder::new(391).is_err());
}

/// Trades of `codes` codes through a day: strictly increasing cum volume per code, times
/// non-decreasing, spanning the whole day including auctions and after-hours prints.
fn day_of_trades() -> impl Strategy<Value = Vec<Trade>> {
    prop::collection::vec((0usize..3, 0i64..(11 * 3600), 1u64..500, -20i64..20), 1..400).prop_map(|raw| {
        let codes = ["005930", "000660", "035720"];
        let start = at(8, 0, 0).millis();
        let mut secs: Vec<i64> = raw.iter().map(|r| r.1).collect();
        secs.sort_unstable();
        let mut cum = [0u64; 3];
        let mut px = [70_000i64, 200_000, 50_000];
        raw.iter()
            .zip(secs)
            .map(|(&(c, _, qty, step), s)| {
                cum[c] += qty;
                // A walk of up to 400 steps could reach zero: prices stay at 1,000 won or more.
                px[c] = (px[c] + step * 100).max(1_000);
                trade(codes[c], Timestamp::from_millis(start + s * 1000), px[c], qty, cum[c])
            })
            .collect()
    })
}

/// The bars by a direct definition: group the session's trades by (code, bucket end).
fn reference(trades: &[Trade], minutes: u16) -> Vec<Bar> {
    let mut edges = BarBuilder::new(minutes).unwrap();
    let mut bars: Vec<Bar> = Vec::new();
    for t in trades {
        let Some(end) = edges.bucket_end(t.tick.ts) else { continue };
        let p = t.tick.price;
        match bars.iter_mut().find(|b| b.code == t.tick.code && b.ts == end) {
            Some(b) => {
                b.high = b.high.max(p);
                b.low = b.low.min(p);
                b.close = p;
                b.volume += t.tick.qty;
            }
            None => {
                bars.push(Bar { code: t.tick.code, ts: end, open: p, high: p, low: p, close: p, volume: t.tick.qty })
            }
        }
    }
    bars.sort_by_key(|b| (b.ts, b.code));
    bars
}

mod property_tests {
    use super::*;

    proptest! {
        #[test]
        fn prop_bars_match_the_definition(trades in day_of_trades(), minutes in prop::sample::select(vec![1u16, 3, 5, 10, 60])) {
            let mut b = BarBuilder::new(minutes).unwrap();
            prop_assert_eq!(run(&mut b, &trades), reference(&trades, minutes));
        }

        /// However the stream is cut into chunks, with any stretch re-delivered at a chunk's start
        /// (a reconnect's overlap) and the clock closing bars between chunks, the bars are the same.
        #[test]
        fn prop_chunking_does_not_change_the_bars(
            trades in day_of_trades(),
            cuts in prop::collection::vec((1usize..50, 0usize..10), 1..20),
            minutes in prop::sample::select(vec![1u16, 5]),
        ) {
            let whole = run(&mut BarBuilder::new(minutes).unwrap(), &trades);
            let mut b = BarBuilder::new(minutes).unwrap();
            let mut got = Vec::new();
            let (mut at_i, mut cut) = (0usize, 0usize);
            while at_i < trades.len() {
                let (len, replay) = cuts[cut % cuts.len()];
                cut += 1;
                let from = at_i.saturating_sub(replay);
                let to = (at_i + len).min(trades.len());
                got.extend(trades[from..to].iter().filter_map(|t| b.push(t)));
                // The clock reads the last delivered trade's time (bars end strictly after it).
                b.close_until(trades[to - 1].tick.ts, &mut got);
                at_i = to;
            }
            b.finish(&mut got);
            got.sort_by_key(|b| (b.ts, b.code));
            prop_assert_eq!(got, whole);
        }

        #[test]
        fn prop_resampled_minutes_equal_bars_built_at_length(trades in day_of_trades(), minutes in prop::sample::select(vec![2u16, 5, 30, 60])) {
            let ones = run(&mut BarBuilder::new(1).unwrap(), &trades);
            let mut resampled = Vec::new();
            for c in ["005930", "000660", "035720"] {
                let of_code: Vec<Bar> = ones.iter().copied().filter(|b| b.code == code(c)).collect();
                resampled.extend(resample_minutes(&of_code, minutes).unwrap());
            }
            resampled.sort_by_key(|b| (b.ts, b.code));
            prop_assert_eq!(resampled, run(&mut BarBuilder::new(minutes).unwrap(), &trades));
        }
    }
}
