//! Today's trades of the local server: a deterministic intraday path per stock, on the tick
//! grid within the day's price limits, with strictly increasing cumulative volume.
//!
//! A tape is a pure function of (seed, code, date, rate): trade `i` happens at
//! `09:00 + i / rate` plus a jitter smaller than one interval, so trade times strictly
//! increase, and the price moves at most one tick per trade. Generating lazily up to the
//! server clock's time therefore gives the same trades whenever (and however often) it is
//! asked — the WebSocket frames, inquire-ccnl and today's minute bars all read one tape.
//! Trades happen in the continuous session only (09:00–15:20 KST).

use chrono::{NaiveDate, NaiveTime, Timelike};
use hantu_core::domain::{Price, StockCode};
use hantu_core::krx::TickTable;
use serde::{Deserialize, Serialize};

use super::market::{DayStats, MockListing};

/// How the local server generates trades (see [`super::MockConfig::with_tape`]).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct TapeConfig {
    /// Seed of every stock's path (the same seed gives the same trades).
    pub seed: u64,
    /// Trades per second per stock, in server-clock time (tests use a high rate and move an
    /// injected clock; a sandbox on a real-time clock uses a few per second).
    pub trades_per_sec: f64,
}

/// One trade of the tape.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MockTrade {
    /// Stock.
    pub code: StockCode,
    /// Position in today's tape of this stock, from 0.
    pub seq: u64,
    /// Trade time (KST, millisecond precision; the wire carries whole seconds).
    pub time: NaiveTime,
    /// Price (won, on the tick grid, within the day's limits).
    pub price: i64,
    /// Shares.
    pub qty: u64,
    /// Cumulative shares today, including this trade.
    pub volume: u64,
    /// Cumulative value today (KRW), including this trade.
    pub value: i64,
    /// Day high so far.
    pub high: i64,
    /// Day low so far.
    pub low: i64,
    /// Buyer-initiated (traded at the best ask) rather than seller-initiated (at the best bid).
    pub buyer_initiated: bool,
}

/// Continuous session length in microseconds (09:00–15:20).
const SESSION_US: u64 = (6 * 3600 + 20 * 60) * 1_000_000;

fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

fn unit(x: u64) -> f64 {
    (mix(x) >> 11) as f64 / (1u64 << 53) as f64
}

/// Book levels, best first: (price, shares).
pub(super) type Levels = Vec<(i64, u64)>;

/// One stock's tape for one day.
#[derive(Clone, Debug)]
pub(super) struct Tape {
    pub date: NaiveDate,
    pub trades: Vec<MockTrade>,
    code: StockCode,
    seed: u64,
    interval_us: u64,
    base: i64,
    limits: (i64, i64),
    ticks: TickTable,
}

impl Tape {
    pub fn new(listing: &MockListing, date: NaiveDate, cfg: &TapeConfig) -> Self {
        let code = listing.instrument.code;
        let seed = mix(cfg.seed ^ code.to_u64().wrapping_mul(0x2545_f491_4f6c_dd1d) ^ date.num_days_from_ce_u64());
        let rate = if cfg.trades_per_sec.is_finite() && cfg.trades_per_sec > 0.0 { cfg.trades_per_sec } else { 1.0 };
        Self {
            date,
            trades: Vec::new(),
            code,
            seed,
            interval_us: ((1e6 / rate) as u64).max(1),
            base: listing.base(date),
            limits: listing.limits(date),
            ticks: listing.ticks(date),
        }
    }

    /// Time of trade `i` in microseconds after 09:00.
    fn offset_us(&self, i: u64) -> u64 {
        let jitter = (unit(self.seed ^ i.wrapping_mul(0x9e37)) * self.interval_us as f64 * 0.9) as u64;
        i * self.interval_us + jitter.min(self.interval_us - 1)
    }

    /// Generates every trade at or before `now` (KST time of the tape's date).
    pub fn advance_to(&mut self, now: NaiveTime) {
        let open = NaiveTime::from_hms_opt(9, 0, 0).unwrap_or_default();
        if now < open {
            return;
        }
        let elapsed = (now - open).num_microseconds().unwrap_or(i64::MAX).max(0) as u64;
        let until = elapsed.min(SESSION_US - 1);
        let (lo, hi) = self.limits;
        loop {
            let i = self.trades.len() as u64;
            let at = self.offset_us(i);
            if at > until || at >= SESSION_US {
                return;
            }
            let r = |k: u64| unit(self.seed ^ i.wrapping_mul(0x0100_0000_01b3) ^ k);
            let prev = self.trades.last().copied();
            let price = match prev {
                None => {
                    let k = (r(1) * 7.0) as i64 - 3;
                    self.ticks.offset(self.ticks.round_nearest(self.base), k).clamp(lo, hi)
                }
                Some(p) => {
                    // A walk with a pull back toward the base price, so a long day stays
                    // mostly inside the limits without sticking to them.
                    let pull = ((p.price - self.base) as f64 / self.base.max(1) as f64 * 4.0).clamp(-0.25, 0.25);
                    let u = r(2);
                    let step = if u < 0.3 + pull {
                        -1
                    } else if u > 0.7 + pull {
                        1
                    } else {
                        0
                    };
                    self.ticks.offset(p.price, step).clamp(lo, hi)
                }
            };
            let buyer_initiated = match prev {
                Some(p) if price != p.price => price > p.price,
                _ => r(3) < 0.5,
            };
            let qty = 1 + (r(4) * r(5) * 400.0) as u64;
            let micros = at % 1_000_000;
            let secs = (at / 1_000_000) as u32;
            let time =
                NaiveTime::from_num_seconds_from_midnight_opt(9 * 3600 + secs, (micros / 1000) as u32 * 1_000_000)
                    .unwrap_or(open);
            let (volume, value, high, low) = match prev {
                Some(p) => (p.volume + qty, p.value + price * qty as i64, p.high.max(price), p.low.min(price)),
                None => (qty, price * qty as i64, price, price),
            };
            self.trades.push(MockTrade {
                code: self.code,
                seq: i,
                time,
                price,
                qty,
                volume,
                value,
                high,
                low,
                buyer_initiated,
            });
        }
    }

    /// Appends a trade printed by hand ([`super::MockServer::print_trade`]) at `time`: the next
    /// cumulative volume and value, the day's high and low, the side from the price move. Only for
    /// tapes of a server without generated trades (the generated path owns its own sequence).
    pub fn push(&mut self, time: NaiveTime, price: i64, qty: u64) -> MockTrade {
        let prev = self.trades.last().copied();
        let qty = qty.max(1);
        let (volume, value, high, low) = match prev {
            Some(p) => (p.volume + qty, p.value + price * qty as i64, p.high.max(price), p.low.min(price)),
            None => (qty, price * qty as i64, price, price),
        };
        let buyer_initiated = prev.is_none_or(|p| price >= p.price);
        let time = prev.map_or(time, |p| time.max(p.time));
        let t = MockTrade {
            code: self.code,
            seq: self.trades.len() as u64,
            time,
            price,
            qty,
            volume,
            value,
            high,
            low,
            buyer_initiated,
        };
        self.trades.push(t);
        t
    }

    /// Today's statistics so far.
    pub fn stats(&self) -> Option<DayStats> {
        let (first, last) = (self.trades.first()?, self.trades.last()?);
        Some(DayStats { open: first.price, high: last.high, low: last.low, volume: last.volume, value: last.value })
    }

    /// Best ask and bid around trade `t`: a buyer-initiated trade took the ask, so the bid is
    /// one tick below; a seller-initiated one hit the bid. Levels beyond the limits are None.
    pub fn quote(&self, t: &MockTrade) -> (Option<i64>, Option<i64>) {
        let (lo, hi) = self.limits;
        let (ask, bid) = if t.buyer_initiated {
            (t.price, self.ticks.offset(t.price, -1))
        } else {
            (self.ticks.offset(t.price, 1), t.price)
        };
        (Some(ask).filter(|a| *a <= hi && *a > bid), Some(bid).filter(|b| *b >= lo && *b < ask))
    }

    /// The ten-level book after the latest trade: (asks, bids), best first, (price, shares).
    pub fn book(&self) -> (Levels, Levels) {
        let Some(t) = self.trades.last() else {
            let base = self.base;
            let (lo, hi) = self.limits;
            let asks = (1..=10).map(|i| self.ticks.offset(base, i)).filter(|p| *p <= hi);
            let bids = (0..10).map(|i| self.ticks.offset(base, -i)).filter(|p| *p >= lo);
            return (self.sized(asks, 0, 1), self.sized(bids, 0, 2));
        };
        let (ask, bid) = self.quote(t);
        let (lo, hi) = self.limits;
        let asks = ask.into_iter().flat_map(|a| (0..10).map(move |i| (a, i))).map(|(a, i)| self.ticks.offset(a, i));
        let bids = bid.into_iter().flat_map(|b| (0..10).map(move |i| (b, i))).map(|(b, i)| self.ticks.offset(b, -i));
        (self.sized(asks.filter(|p| *p <= hi), t.seq, 1), self.sized(bids.filter(|p| *p >= lo), t.seq, 2))
    }

    fn sized(&self, prices: impl Iterator<Item = i64>, seq: u64, side: u64) -> Vec<(i64, u64)> {
        let mut out: Vec<(i64, u64)> = Vec::with_capacity(10);
        for (level, p) in prices.enumerate() {
            if out.last().is_some_and(|(q, _)| *q == p) {
                break;
            }
            let q = 100 + (unit(self.seed ^ seq.wrapping_mul(131) ^ (level as u64 * 7 + side)) * 5_000.0) as u64;
            out.push((p, q));
        }
        out
    }

    /// One-minute bars of the trades up to `until`: (minute start, [open, high, low, close],
    /// volume), ascending, minutes without trades left out.
    pub fn minutes(&self, until: NaiveTime) -> Vec<(NaiveTime, [i64; 4], u64)> {
        let mut out: Vec<(NaiveTime, [i64; 4], u64)> = Vec::new();
        for t in self.trades.iter().take_while(|t| t.time <= until) {
            let minute = NaiveTime::from_hms_opt(t.time.hour(), t.time.minute(), 0).unwrap_or(t.time);
            match out.last_mut() {
                Some((m, p, v)) if *m == minute => {
                    p[1] = p[1].max(t.price);
                    p[2] = p[2].min(t.price);
                    p[3] = t.price;
                    *v += t.qty;
                }
                _ => out.push((minute, [t.price; 4], t.qty)),
            }
        }
        out
    }

    /// The trade as a parsed H0STCNT0 record (for the wire builder).
    pub fn tick(&self, t: &MockTrade) -> crate::ws::TradeTick {
        let (ask, bid) = self.quote(t);
        let change = t.price - self.base;
        let pct = if self.base == 0 { 0.0 } else { change as f64 * 100.0 / self.base as f64 };
        crate::ws::TradeTick {
            code: self.code,
            date: self.date,
            time: t.time.with_nanosecond(0).unwrap_or(t.time),
            price: Price::new(t.price),
            change,
            change_pct: rust_decimal::Decimal::from_f64_retain(pct).unwrap_or_default().round_dp(2),
            open: Price::new(self.trades.first().map_or(t.price, |f| f.price)),
            high: Price::new(t.high),
            low: Price::new(t.low),
            ask: ask.map(Price::new),
            bid: bid.map(Price::new),
            qty: t.qty,
            volume: t.volume,
            value: t.value,
            halted: false,
        }
    }
}

trait DaysFromCe {
    fn num_days_from_ce_u64(&self) -> u64;
}

impl DaysFromCe for NaiveDate {
    fn num_days_from_ce_u64(&self) -> u64 {
        u64::try_from(chrono::Datelike::num_days_from_ce(self)).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mock::MockMarket;

    #[test]
    fn tapes_are_deterministic_monotone_and_on_the_grid() {
        let day = NaiveDate::from_ymd_opt(2025, 7, 25).unwrap();
        let m = MockMarket::fixture(day);
        let cfg = TapeConfig { seed: 7, trades_per_sec: 5.0 };
        for l in m.listings() {
            let mut a = Tape::new(l, day, &cfg);
            a.advance_to(NaiveTime::from_hms_opt(10, 0, 0).unwrap());
            let mut b = Tape::new(l, day, &cfg);
            for h in [9, 9, 10] {
                b.advance_to(NaiveTime::from_hms_opt(h, 30 * u32::from(h == 9), 0).unwrap());
            }
            assert_eq!(a.trades, b.trades);
            assert_eq!(a.trades.len(), 3600 * 5);
            let (lo, hi) = l.limits(day);
            let ticks = l.ticks(day);
            for w in a.trades.windows(2) {
                assert!(w[1].time > w[0].time && w[1].volume > w[0].volume);
                assert!((w[1].price - w[0].price).abs() <= ticks.tick(w[0].price.max(w[1].price)));
            }
            for t in &a.trades {
                assert!(t.price >= lo && t.price <= hi && ticks.is_on_tick(t.price));
                let (ask, bid) = a.quote(t);
                assert!(ask == Some(t.price) || bid == Some(t.price));
            }
            let (asks, bids) = a.book();
            assert!(asks[0].0 > bids[0].0);
            let mins = a.minutes(NaiveTime::from_hms_opt(15, 0, 0).unwrap());
            assert_eq!(mins.len(), 60);
            assert_eq!(mins.iter().map(|m| m.2).sum::<u64>(), a.trades.last().unwrap().volume);
        }
    }
}
