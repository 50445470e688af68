//! Trades → 1-minute and N-minute [`Bar`]s on KRX session edges, the same bars a backtest reads.
//!
//! Bucketing follows the simulated market's minute bars ([`crate::sim::SimMarket::minute_bars`]):
//! the continuous session (open to ten minutes before the close, 09:00–15:20 on a normal day) is cut
//! into `n`-minute buckets counted from the open, each stamped at its end; the last bucket is cut at
//! the end of the continuous session; the closing call auction (15:20–15:30) is one bar stamped at the
//! close. Opening-auction prints (08:30–09:00) belong to the first bucket. Prints outside those hours
//! (after-hours trading) are not part of the day's bars and are counted, not bucketed. Late-open days
//! (first trading day of the year, CSAT day) move every edge with the open, from [`KrxCalendar`].
//!
//! A trade whose `cum_volume` is not above the last one seen for its code is a duplicate (a frame
//! sent twice, or a trade both streamed and recovered over REST) and is ignored, so replaying a
//! stretch of the stream does not change the bars. Bars never depend on how the stream was chunked
//! or when [`BarBuilder::close_until`] was called: a bar closes when a later trade or the clock
//! passes its end, with the same contents either way.

use std::collections::HashMap;

use chrono::{NaiveDate, NaiveTime, Timelike};

use super::Trade;
use crate::domain::{Bar, Price, StockCode, Timestamp, ValidationError};
use crate::krx::KrxCalendar;

const MS_PER_MIN: i64 = 60_000;
const MS_PER_DAY: i64 = 86_400_000;
/// The opening call auction starts this long before the open.
const AUCTION_LEAD_MS: i64 = 30 * MS_PER_MIN;
/// The closing call auction lasts this long before the close.
const CLOSING_AUCTION_MS: i64 = 10 * MS_PER_MIN;
/// The closing print is stamped at the close; allow its own minute for late stamps.
const CLOSE_GRACE_MS: i64 = MS_PER_MIN;

/// The session edges of one KST day, in milliseconds since the epoch.
#[derive(Clone, Copy, Debug)]
struct DayEdges {
    day: i64,
    /// Start of the opening auction.
    auction_open: i64,
    /// Start of continuous trading.
    open: i64,
    /// End of continuous trading (start of the closing auction).
    continuous_end: i64,
    /// The close (stamp of the auction bar).
    close: i64,
}

impl DayEdges {
    fn of(day: i64) -> Self {
        let date = NaiveDate::from_num_days_from_ce_opt((day + 719_163) as i32).unwrap_or_default();
        // A trade is a fact: on a day the calendar holds closed (a test market, a calendar gap) the
        // regular hours apply rather than dropping the day.
        let (open, close) = KrxCalendar::hours(date).map_or((hm(9, 0), hm(15, 30)), |h| (h.open, h.close));
        let base = day * MS_PER_DAY - crate::domain::KST_OFFSET_SECS * 1000;
        let at = |t: NaiveTime| base + i64::from(t.num_seconds_from_midnight()) * 1000;
        let (open, close) = (at(open), at(close));
        Self { day, auction_open: open - AUCTION_LEAD_MS, open, continuous_end: close - CLOSING_AUCTION_MS, close }
    }
}

fn hm(h: u32, m: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(h, m, 0).unwrap_or_default()
}

/// A bar being filled.
#[derive(Clone, Copy, Debug)]
struct Open {
    end: i64,
    /// When no later print can fall into the bar any more (the end, or the end of the closing
    /// print's grace minute for the auction bar).
    closes_at: i64,
    open: Price,
    high: Price,
    low: Price,
    close: Price,
    volume: u64,
}

#[derive(Clone, Copy, Debug, Default)]
struct CodeState {
    last_cum: u64,
    bar: Option<Open>,
}

/// Turns trades into bars of `n` minutes per code. See the [module docs](self) for the edges.
///
/// ```
/// use hantu_core::domain::{Price, StockCode, Tick, Timestamp};
/// use hantu_core::realtime::{BarBuilder, Trade};
/// let day = chrono::NaiveDate::from_ymd_opt(2025, 3, 4).unwrap();
/// let at = |h, m, s| Timestamp::from_kst(day.and_hms_opt(h, m, s).unwrap());
/// let code = StockCode::new("005930");
/// let trade = |ts, won, qty, cum| Trade { tick: Tick { code, ts, price: Price::new(won), qty }, cum_volume: cum };
/// let mut b = BarBuilder::new(1)?;
/// assert_eq!(b.push(&trade(at(9, 0, 5), 70_000, 10, 10)), None);
/// assert_eq!(b.push(&trade(at(9, 0, 30), 70_100, 5, 15)), None);
/// assert_eq!(b.push(&trade(at(9, 0, 30), 70_100, 5, 15)), None); // duplicate: ignored
/// let bar = b.push(&trade(at(9, 1, 0), 69_900, 1, 16)).expect("09:00 bar closed");
/// assert_eq!((bar.ts, bar.open.won(), bar.high.won(), bar.close.won(), bar.volume), (at(9, 1, 0), 70_000, 70_100, 70_100, 15));
/// # Ok::<(), hantu_core::domain::ValidationError>(())
/// ```
#[derive(Clone, Debug)]
pub struct BarBuilder {
    minutes: u16,
    codes: HashMap<StockCode, CodeState>,
    edges: Option<DayEdges>,
    duplicates: u64,
    outside: u64,
}

impl BarBuilder {
    /// A builder of `minutes`-minute bars (1 for one-minute bars).
    ///
    /// # Errors
    /// [`ValidationError::Param`] unless `1 <= minutes <= 390` (a whole day).
    pub fn new(minutes: u16) -> Result<Self, ValidationError> {
        if !(1..=390).contains(&minutes) {
            return Err(ValidationError::Param { param: "minutes", reason: format!("{minutes} is not in 1..=390") });
        }
        Ok(Self { minutes, codes: HashMap::new(), edges: None, duplicates: 0, outside: 0 })
    }

    /// The bar length in minutes.
    #[must_use]
    pub fn minutes(&self) -> u16 {
        self.minutes
    }

    /// Trades ignored as duplicates so far.
    #[must_use]
    pub fn duplicates(&self) -> u64 {
        self.duplicates
    }

    /// Trades outside the day's bar hours (after-hours prints) so far.
    #[must_use]
    pub fn outside_session(&self) -> u64 {
        self.outside
    }

    /// The highest `cum_volume` taken for `code` (0 before its first trade).
    #[must_use]
    pub fn last_cum_volume(&self, code: StockCode) -> u64 {
        self.codes.get(&code).map_or(0, |s| s.last_cum)
    }

    /// The bar of `code` still being filled, as it stands.
    #[must_use]
    pub fn partial(&self, code: StockCode) -> Option<Bar> {
        self.codes.get(&code).and_then(|s| s.bar).map(|o| to_bar(code, o))
    }

    fn edges(&mut self, ts: i64) -> DayEdges {
        let day = Timestamp::from_millis(ts).kst_day_number();
        match self.edges {
            Some(e) if e.day == day => e,
            _ => {
                let e = DayEdges::of(day);
                self.edges = Some(e);
                e
            }
        }
    }

    /// The end (stamp) of the bar a print at `ts` belongs to, or `None` outside the bar hours.
    #[must_use]
    pub fn bucket_end(&mut self, ts: Timestamp) -> Option<Timestamp> {
        let t = ts.millis();
        let e = self.edges(t);
        let len = i64::from(self.minutes) * MS_PER_MIN;
        let end = if t < e.auction_open {
            return None;
        } else if t < e.continuous_end {
            let k = (t - e.open).max(0) / len;
            (e.open + (k + 1) * len).min(e.continuous_end)
        } else if t < e.close + CLOSE_GRACE_MS {
            e.close
        } else {
            return None;
        };
        Some(Timestamp::from_millis(end))
    }

    /// Takes one trade; returns the bar it completed, if any (the code's previous bar, when this
    /// trade starts a later one). Duplicates and after-hours prints change nothing.
    pub fn push(&mut self, trade: &Trade) -> Option<Bar> {
        let code = trade.tick.code;
        let last = self.codes.get(&code).map_or(0, |s| s.last_cum);
        if trade.cum_volume <= last {
            self.duplicates += 1;
            return None;
        }
        let Some(end) = self.bucket_end(trade.tick.ts) else {
            self.outside += 1;
            self.codes.entry(code).or_default().last_cum = trade.cum_volume;
            return None;
        };
        let end = end.millis();
        let closes_at = self.closes_at(end);
        let px = trade.tick.price;
        let state = self.codes.entry(code).or_default();
        state.last_cum = trade.cum_volume;
        match &mut state.bar {
            // A print stamped before the open bar's start (clock skew between frames) stays in the
            // open bar: bars are ordered by the trades' own order, which `cum_volume` fixes.
            Some(b) if end <= b.end => {
                b.high = b.high.max(px);
                b.low = b.low.min(px);
                b.close = px;
                b.volume += trade.tick.qty;
                None
            }
            slot => {
                let done = slot.take().map(|o| to_bar(code, o));
                *slot = Some(Open { end, closes_at, open: px, high: px, low: px, close: px, volume: trade.tick.qty });
                done
            }
        }
    }

    fn closes_at(&mut self, end: i64) -> i64 {
        let e = self.edges(end - 1);
        if end == e.close { end + CLOSE_GRACE_MS } else { end }
    }

    /// Closes every bar no later print can fall into at `now` (its end, or for the closing-auction
    /// bar the end of the close's minute, has passed with no later trade),
    /// appending them to `out` in code order.
    pub fn close_until(&mut self, now: Timestamp, out: &mut Vec<Bar>) {
        let start = out.len();
        for (code, s) in &mut self.codes {
            if let Some(b) = s.bar.filter(|b| b.closes_at <= now.millis()) {
                out.push(to_bar(*code, b));
                s.bar = None;
            }
        }
        out[start..].sort_by_key(|b| (b.ts, b.code));
    }

    /// Closes every open bar (end of the session or of the stream), appending them to `out`.
    pub fn finish(&mut self, out: &mut Vec<Bar>) {
        self.close_until(Timestamp::from_millis(i64::MAX), out);
    }
}

fn to_bar(code: StockCode, o: Open) -> Bar {
    Bar {
        code,
        ts: Timestamp::from_millis(o.end),
        open: o.open,
        high: o.high,
        low: o.low,
        close: o.close,
        volume: o.volume,
    }
}

/// Aggregates one-minute bars of one code (ascending) into `minutes`-minute bars on the same edges
/// as [`BarBuilder`], so bars read back from history equal the bars built live.
///
/// # Errors
/// [`ValidationError::Param`] for a bad `minutes` (see [`BarBuilder::new`]).
pub fn resample_minutes(bars: &[Bar], minutes: u16) -> Result<Vec<Bar>, ValidationError> {
    let mut builder = BarBuilder::new(minutes)?;
    let mut out: Vec<Bar> = Vec::with_capacity(bars.len() / usize::from(minutes) + 2);
    for bar in bars {
        // A one-minute bar stamped at `ts` covers the minute before it.
        let Some(end) = builder.bucket_end(Timestamp::from_millis(bar.ts.millis() - 1)) else { continue };
        match out.last_mut() {
            Some(last) if last.code == bar.code && last.ts == end => {
                last.high = last.high.max(bar.high);
                last.low = last.low.min(bar.low);
                last.close = bar.close;
                last.volume += bar.volume;
            }
            _ => out.push(Bar { ts: end, ..*bar }),
        }
    }
    Ok(out)
}

#[cfg(test)]
#[path = "bars_tests.rs"]
mod tests;
