//! What the engine tracks per stock: static facts and the reference prices of the session.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use crate::domain::{Bar, Instrument, InstrumentKind, Market, Price, StockCode, Timestamp};

/// A hasher for [`StockCode`] keys: the code is already 6 well-spread bytes, so one multiply
/// mixes it; SipHash would cost more than the rest of a bar's processing.
#[derive(Default, Clone, Copy)]
pub struct CodeHasher(u64);

impl Hasher for CodeHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(5) ^ u64::from(b)).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
        }
    }

    fn write_u64(&mut self, v: u64) {
        self.0 = (self.0 ^ v).wrapping_mul(0x9e37_79b9_7f4a_7c15).rotate_left(29);
    }
}

/// A map keyed by stock code with a fast hasher.
pub type CodeMap<V> = HashMap<StockCode, V, BuildHasherDefault<CodeHasher>>;

/// Per-stock facts and prices.
#[derive(Clone, Debug)]
pub struct InstrumentInfo {
    /// Market.
    pub market: Market,
    /// Kind.
    pub kind: InstrumentKind,
    /// Sector.
    pub sector: Option<String>,
    /// Last close seen.
    pub last: Option<Price>,
    /// Close of the previous trading day (the base of today's limits).
    pub prev_close: Option<Price>,
    day: i64,
}

impl InstrumentInfo {
    fn new(market: Market, kind: InstrumentKind, sector: Option<String>) -> Self {
        Self { market, kind, sector, last: None, prev_close: None, day: i64::MIN }
    }
}

/// The engine's table of stocks.
#[derive(Clone, Debug, Default)]
pub struct Instruments {
    map: CodeMap<usize>,
    infos: Vec<InstrumentInfo>,
    /// The last code observed and its slot: bars of one stock tend to come in runs.
    last: Option<(StockCode, usize)>,
}

impl Instruments {
    /// An empty table; unknown stocks are treated as KOSPI stocks with no sector.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// A table of these instruments.
    #[must_use]
    pub fn from_instruments(list: &[Instrument]) -> Self {
        let mut t = Self::new();
        for i in list {
            t.insert(i);
        }
        t
    }

    /// Adds or replaces an instrument's static facts.
    pub fn insert(&mut self, i: &Instrument) {
        let info = InstrumentInfo::new(i.market, i.kind, i.sector.clone());
        match self.map.get(&i.code) {
            Some(&slot) => self.infos[slot] = info,
            None => {
                self.map.insert(i.code, self.infos.len());
                self.infos.push(info);
            }
        }
    }

    /// Facts about `code`, if seen.
    #[must_use]
    pub fn get(&self, code: StockCode) -> Option<&InstrumentInfo> {
        self.map.get(&code).map(|&i| &self.infos[i])
    }

    fn slot(&mut self, code: StockCode) -> usize {
        if let Some((c, i)) = self.last {
            if c == code {
                return i;
            }
        }
        let next = self.infos.len();
        let i = *self.map.entry(code).or_insert(next);
        if i == next {
            self.infos.push(InstrumentInfo::new(Market::Kospi, InstrumentKind::of_code(code), None));
        }
        self.last = Some((code, i));
        i
    }

    /// Sets the previous close of `code` for the day of `now` (live sessions learn it from a quote,
    /// not from yesterday's bars).
    pub fn set_prev_close(&mut self, code: StockCode, prev_close: Price, now: Timestamp) {
        let slot = self.slot(code);
        let info = &mut self.infos[slot];
        info.prev_close = Some(prev_close);
        info.day = now.kst_day_number();
        info.last = info.last.or(Some(prev_close));
    }

    /// Records a bar: the last price, and the previous day's close when the day changes.
    #[inline]
    pub fn observe(&mut self, bar: &Bar) {
        let slot = self.slot(bar.code);
        let info = &mut self.infos[slot];
        let day = bar.ts.kst_day_number();
        if day != info.day {
            info.prev_close = info.last;
            info.day = day;
        }
        info.last = Some(bar.close);
    }

    /// The base price of the session an order placed at `now` trades in: after the close it is
    /// today's close (the order is for tomorrow), during the day the previous close.
    #[must_use]
    pub fn reference(&self, code: StockCode, now: Timestamp) -> Option<Price> {
        let info = self.get(code)?;
        const CLOSE_MS: i64 = (15 * 60 + 30) * 60 * 1000;
        let after_close = now.kst_ms_of_day() >= CLOSE_MS;
        if after_close || info.prev_close.is_none() { info.last } else { info.prev_close }
    }

    /// Sector of `code`.
    #[must_use]
    pub fn sector(&self, code: StockCode) -> Option<&str> {
        self.get(code).and_then(|i| i.sector.as_deref())
    }
}
