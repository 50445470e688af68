//! The market behind the local server: instruments, daily bars and a current price per code.
//!
//! Kept small on purpose so any source can fill it: [`MockMarket::fixture`] (five well-known
//! codes), [`MockMarket::synthetic`] (thousands of codes for refresh tests), or bars from a
//! store, CSV folder or hantu-core's simulated market through [`MockMarket::insert`].

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate, NaiveTime, Timelike};
use hantu_core::domain::{Bar, Instrument, Market, Price, StockCode, Timestamp};
use hantu_core::krx::{KrxCalendar, TickTable, price_limits};

/// One listed stock in the mock market.
#[derive(Clone, Debug)]
pub struct MockListing {
    /// The instrument.
    pub instrument: Instrument,
    /// Daily bars, ascending, of days before "today".
    pub bars: Vec<Bar>,
    /// Current price.
    pub last: i64,
    /// Today's open/high/low/volume/value, once something traded.
    pub today: Option<DayStats>,
    /// Listed shares.
    pub listed_shares: u64,
}

/// Today's running statistics of one stock.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DayStats {
    /// Open.
    pub open: i64,
    /// High.
    pub high: i64,
    /// Low.
    pub low: i64,
    /// Shares traded.
    pub volume: u64,
    /// Value traded (KRW).
    pub value: i64,
}

/// The mock market: listings by code.
#[derive(Clone, Debug, Default)]
pub struct MockMarket {
    listings: BTreeMap<StockCode, MockListing>,
}

/// Deterministic pseudo-random numbers (splitmix64) for synthetic data.
fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

fn unit(seed: u64) -> f64 {
    (mix(seed) >> 11) as f64 / (1u64 << 53) as f64
}

/// Daily bars on the `days` trading days ending at `last_day`, a random walk ending at `close`.
fn walk(code: StockCode, market: Market, last_day: NaiveDate, days: usize, close: i64) -> Vec<Bar> {
    let seed = code.to_u64();
    let mut dates = Vec::with_capacity(days);
    let mut d = if KrxCalendar::is_trading_day(last_day) { last_day } else { KrxCalendar::prev_trading_day(last_day) };
    while dates.len() < days {
        dates.push(d);
        d = KrxCalendar::prev_trading_day(d);
    }
    let mut bars = Vec::with_capacity(days);
    let mut c = close as f64;
    for (i, date) in dates.iter().enumerate() {
        let table = TickTable::for_date(*date, market, hantu_core::domain::InstrumentKind::Stock);
        let r = |k: u64| unit(seed ^ (i as u64).wrapping_mul(31) ^ k);
        let prev = c / (1.0 + (r(1) - 0.5) * 0.06);
        let open = prev * (1.0 + (r(2) - 0.5) * 0.02);
        let hi = c.max(open) * (1.0 + r(3) * 0.015);
        let lo = c.min(open) * (1.0 - r(4) * 0.015);
        let snap = |v: f64| table.round_nearest((v.round() as i64).max(1));
        let (o, cl) = (snap(open), snap(c));
        let (h, l) = (snap(hi).max(o).max(cl), snap(lo).min(o).min(cl).max(1));
        let vol = 50_000 + (r(5) * 2_000_000.0) as u64;
        let ts = Timestamp::daily_close(*date);
        let p = Price::new;
        bars.push(Bar { code, ts, open: p(o), high: p(h), low: p(l), close: p(cl), volume: vol });
        c = prev;
    }
    bars.reverse();
    bars
}

impl MockMarket {
    /// An empty market.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds (or replaces) a listing; the current price starts at the last bar's close.
    ///
    /// # Panics
    /// Never; a listing without bars starts at 1,000 won.
    pub fn insert(&mut self, instrument: Instrument, bars: Vec<Bar>, listed_shares: u64) {
        let last = bars.last().map_or(1_000, |b| b.close.won());
        self.listings.insert(instrument.code, MockListing { instrument, bars, last, today: None, listed_shares });
    }

    /// Five well-known stocks with 300 days of history ending the trading day before `today`.
    /// 005930 (삼성전자) closes that day at 66,000 won, as in the reference samples.
    #[must_use]
    pub fn fixture(today: NaiveDate) -> Self {
        let last_day = KrxCalendar::prev_trading_day(today);
        let mut m = Self::new();
        for (code, name, market, close, shares) in [
            ("005930", "삼성전자", Market::Kospi, 66_000, 5_919_637_922u64),
            ("000660", "SK하이닉스", Market::Kospi, 268_000, 728_002_365),
            ("035720", "카카오", Market::Kospi, 41_150, 442_000_000),
            ("247540", "에코프로비엠", Market::Kosdaq, 98_700, 97_801_344),
            ("293490", "카카오게임즈", Market::Kosdaq, 1_985, 82_000_000),
        ] {
            let code = StockCode::new(code);
            let bars = walk(code, market, last_day, 300, close);
            m.insert(Instrument::stock(code, name, market, None), bars, shares);
        }
        m
    }

    /// `n` synthetic stocks (`000001`...) with `days` bars ending the trading day before `today`.
    #[must_use]
    pub fn synthetic(n: usize, days: usize, today: NaiveDate) -> Self {
        let last_day = KrxCalendar::prev_trading_day(today);
        let mut m = Self::new();
        for i in 0..n {
            let code = StockCode::new(&format!("{:06}", i + 1));
            let market = if i % 2 == 0 { Market::Kospi } else { Market::Kosdaq };
            let close = 1_000 + (unit(i as u64) * 150_000.0) as i64;
            let close = TickTable::current().round_nearest(close);
            let bars = walk(code, market, last_day, days, close);
            m.insert(Instrument::stock(code, format!("종목{:04}", i + 1), market, None), bars, 10_000_000);
        }
        m
    }

    /// Every stock of hantu-core's simulated market with all its daily bars. Use a server
    /// clock on a trading day after the market's last date (see [`MockMarket::next_day`]).
    #[must_use]
    pub fn from_sim(sim: &hantu_core::sim::SimMarket) -> Self {
        let mut m = Self::new();
        for (i, inst) in sim.instruments.iter().enumerate() {
            let shares = sim.fundamentals.get(i).and_then(|f| f.listed_shares).unwrap_or(10_000_000);
            m.insert(inst.clone(), sim.bars.get(i).cloned().unwrap_or_default(), shares);
        }
        m
    }

    /// Every instrument of `store` with its daily bars in `from..=to` (bars loaded from a
    /// database or imported CSV files).
    ///
    /// # Errors
    /// The store's error.
    pub fn from_store(
        store: &dyn hantu_core::store::Store,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Self, hantu_core::store::StoreError> {
        let mut m = Self::new();
        for inst in store.instruments()? {
            let bars = store.daily_bars(inst.code, from, to)?;
            m.insert(inst, bars, 10_000_000);
        }
        Ok(m)
    }

    /// The first trading day after the last bar of any listing ("today" for the server).
    #[must_use]
    pub fn next_day(&self) -> Option<NaiveDate> {
        let last = self.listings.values().filter_map(|l| l.bars.last()).map(|b| b.ts.kst_date()).max()?;
        Some(KrxCalendar::next_trading_day(last))
    }

    /// Codes, ascending.
    pub fn codes(&self) -> impl Iterator<Item = StockCode> + '_ {
        self.listings.keys().copied()
    }

    /// Number of listings.
    #[must_use]
    pub fn len(&self) -> usize {
        self.listings.len()
    }

    /// Whether there are no listings.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.listings.is_empty()
    }

    /// One listing.
    #[must_use]
    pub fn get(&self, code: StockCode) -> Option<&MockListing> {
        self.listings.get(&code)
    }

    /// One listing, mutably.
    pub fn get_mut(&mut self, code: StockCode) -> Option<&mut MockListing> {
        self.listings.get_mut(&code)
    }

    /// All listings.
    pub fn listings(&self) -> impl Iterator<Item = &MockListing> {
        self.listings.values()
    }
}

impl MockListing {
    /// The base price of `today`: the close of the last bar before it.
    #[must_use]
    pub fn base(&self, today: NaiveDate) -> i64 {
        self.bars.iter().rev().find(|b| b.ts.kst_date() < today).map_or(self.last, |b| b.close.won())
    }

    /// Lower and upper price limits on `today`.
    #[must_use]
    pub fn limits(&self, today: NaiveDate) -> (i64, i64) {
        price_limits(self.base(today), today, self.instrument.market, self.instrument.kind)
    }

    /// Tick table of `today`.
    #[must_use]
    pub fn ticks(&self, today: NaiveDate) -> TickTable {
        TickTable::for_date(today, self.instrument.market, self.instrument.kind)
    }

    /// Records a trade at `price` for `qty` shares (moves the current price).
    pub fn trade(&mut self, price: i64, qty: u64) {
        self.last = price;
        let value = price * qty as i64;
        match &mut self.today {
            Some(t) => {
                t.high = t.high.max(price);
                t.low = t.low.min(price);
                t.volume += qty;
                t.value += value;
            }
            None => self.today = Some(DayStats { open: price, high: price, low: price, volume: qty, value }),
        }
    }

    /// Daily bars in `from..=to` including today's running bar, ascending.
    #[must_use]
    pub fn daily(&self, from: NaiveDate, to: NaiveDate, today: NaiveDate) -> Vec<Bar> {
        let mut out: Vec<Bar> = self
            .bars
            .iter()
            .filter(|b| (from..=to).contains(&b.ts.kst_date()) && b.ts.kst_date() < today)
            .copied()
            .collect();
        if let Some(t) = self.today.filter(|_| (from..=to).contains(&today)) {
            let p = Price::new;
            out.push(Bar {
                code: self.instrument.code,
                ts: Timestamp::daily_close(today),
                open: p(t.open),
                high: p(t.high),
                low: p(t.low),
                close: p(self.last),
                volume: t.volume,
            });
        }
        out
    }

    /// One-minute bars of `date` up to `until` (KST), ascending: a deterministic path through
    /// the day's open, high, low and close (for today: base price to the current price).
    #[must_use]
    pub fn minutes(&self, date: NaiveDate, until: NaiveTime, today: NaiveDate) -> Vec<(NaiveTime, [i64; 4], u64)> {
        let (o, h, l, c, vol) = if date == today {
            let base = self.base(today);
            let t = self.today.unwrap_or(DayStats { open: base, high: base, low: base, volume: 0, value: 0 });
            (t.open, t.high.max(self.last), t.low.min(self.last), self.last, t.volume.max(1_000))
        } else {
            match self.bars.iter().find(|b| b.ts.kst_date() == date) {
                Some(b) => (b.open.won(), b.high.won(), b.low.won(), b.close.won(), b.volume),
                None => return Vec::new(),
            }
        };
        let ticks = self.ticks(date);
        let start = 9 * 60;
        let end = (15 * 60 + 20).min(until.hour() as i32 * 60 + until.minute() as i32);
        let n = (15 * 60 + 20 - start) as f64;
        let seed = self.instrument.code.to_u64() ^ (date.num_days_from_ce() as u64).wrapping_mul(0x2545_f491_4f6c_dd1d);
        let path = |m: i32| -> i64 {
            let x = f64::from(m - start) / n;
            let anchor = if x < 0.3 {
                o as f64 + (h - o) as f64 * (x / 0.3)
            } else if x < 0.7 {
                h as f64 + (l - h) as f64 * ((x - 0.3) / 0.4)
            } else {
                l as f64 + (c - l) as f64 * ((x - 0.7) / 0.3)
            };
            ticks.round_nearest((anchor.round() as i64).clamp(l.max(1), h.max(1)))
        };
        let per_min = (vol / 381).max(1);
        let mut out = Vec::new();
        let mut prev = o;
        for m in start..=end {
            let close = path(m);
            let wiggle = (unit(seed ^ m as u64) * 2.0) as i64;
            let hi = ticks.offset(prev.max(close), wiggle).min(h.max(1));
            let lo = ticks.offset(prev.min(close), -wiggle).max(l.max(1));
            let time = NaiveTime::from_hms_opt((m / 60) as u32, (m % 60) as u32, 0).unwrap_or_default();
            out.push((time, [prev, hi.max(prev).max(close), lo.min(prev).min(close), close], per_min));
            prev = close;
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixture_is_consistent() {
        let today = NaiveDate::from_ymd_opt(2025, 7, 25).unwrap();
        let m = MockMarket::fixture(today);
        let s = m.get(StockCode::new("005930")).unwrap();
        assert_eq!(s.base(today), 66_000);
        assert_eq!(s.limits(today), (46_200, 85_800));
        assert_eq!(s.bars.len(), 300);
        for b in &s.bars {
            b.validate().unwrap();
            assert!(KrxCalendar::is_trading_day(b.ts.kst_date()));
        }
        let mins = s.minutes(s.bars[10].ts.kst_date(), NaiveTime::from_hms_opt(15, 30, 0).unwrap(), today);
        assert_eq!(mins.len(), 381);
        assert!(mins.iter().all(|(_, p, _)| p[1] >= p[2] && p[1] >= p[0] && p[2] <= p[3]));
    }
}
