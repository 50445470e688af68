//! The universe: every stock with its daily bars and fundamentals, read point in time.

use chrono::NaiveDate;

use crate::domain::{Bar, Fundamentals, Instrument, StockCode, Timestamp};
use crate::engine::CodeMap;

/// Instruments, their daily bars and their fundamentals, held in code order.
///
/// Every read goes through an as-of date: [`Universe::bars_as_of`] returns only bars dated on
/// or before it and [`Universe::fundamentals_as_of`] only figures whose `as_of` is on or
/// before it, so a screen run for a date cannot see later data.
#[derive(Clone, Debug, Default)]
pub struct Universe {
    instruments: Vec<Instrument>,
    bars: Vec<Vec<Bar>>,
    fundamentals: Vec<Vec<Fundamentals>>,
    index: CodeMap<usize>,
    dropped: Vec<StockCode>,
}

impl Universe {
    /// Builds a universe. Bars of a stock must be daily and in time order; bars and
    /// fundamentals of codes not among `instruments` are dropped (see [`Universe::dropped`]).
    ///
    /// # Errors
    /// [`crate::Error::Data`] naming the stock when its bars are out of order or duplicated, or
    /// a bar carries another stock's code; [`crate::Error::Config`] for a duplicated instrument.
    pub fn new(
        instruments: Vec<Instrument>,
        bars: impl IntoIterator<Item = (StockCode, Vec<Bar>)>,
        fundamentals: impl IntoIterator<Item = Fundamentals>,
    ) -> crate::Result<Self> {
        let mut instruments = instruments;
        instruments.sort_by_key(|i| i.code);
        if let Some(w) = instruments.windows(2).find(|w| w[0].code == w[1].code) {
            return Err(crate::Error::config("instruments", format!("{} listed twice", w[0].code)));
        }
        let index: CodeMap<usize> = instruments.iter().enumerate().map(|(i, ins)| (ins.code, i)).collect();
        let mut all_bars = vec![Vec::new(); instruments.len()];
        let mut dropped = Vec::new();
        for (code, series) in bars {
            let Some(&i) = index.get(&code) else {
                dropped.push(code);
                continue;
            };
            check_series(code, &series)?;
            all_bars[i] = series;
        }
        let mut funds = vec![Vec::new(); instruments.len()];
        for f in fundamentals {
            match index.get(&f.code) {
                Some(&i) => funds[i].push(f),
                None => dropped.push(f.code),
            }
        }
        for list in &mut funds {
            list.sort_by_key(|f| f.as_of);
        }
        dropped.sort_unstable();
        dropped.dedup();
        Ok(Self { instruments, bars: all_bars, fundamentals: funds, index, dropped })
    }

    /// The simulated market. Its fundamentals describe each stock's (fixed) character, so
    /// they are dated at the first simulated day and known throughout.
    ///
    /// # Errors
    /// As [`Universe::new`] (the simulator's output is well-formed, so none in practice).
    pub fn from_sim(market: &crate::sim::SimMarket) -> crate::Result<Self> {
        let first = market.dates().first().copied();
        let bars = market.instruments.iter().map(|i| i.code).zip(market.bars.iter().cloned());
        let funds = market.fundamentals.iter().cloned().map(|mut f| {
            if let Some(d) = first {
                f.as_of = d;
            }
            f
        });
        Self::new(market.instruments.clone(), bars, funds)
    }

    /// A folder of daily CSV files (`<code>.csv`), the instrument list and, optionally, the
    /// fundamentals, in the layouts [`crate::io`] reads. Rows the bar reader refuses are left
    /// out (as [`crate::io::read_csv_dir`] does); a bad instrument or fundamentals file is an error.
    ///
    /// # Errors
    /// [`crate::Error::Io`] or [`crate::Error::Data`] naming the file.
    pub fn from_csv(
        bars_dir: impl AsRef<std::path::Path>,
        instruments_csv: impl AsRef<std::path::Path>,
        fundamentals_csv: Option<&std::path::Path>,
    ) -> crate::Result<Self> {
        let instruments = crate::io::read_instruments_csv(instruments_csv)?;
        let dir = crate::io::read_csv_dir(bars_dir)?;
        let funds = match fundamentals_csv {
            Some(p) => crate::io::read_fundamentals_csv(p)?,
            None => Vec::new(),
        };
        Self::new(instruments, dir.series, funds)
    }

    /// Everything a store holds: its instruments, their daily bars in `from..=to` and the latest
    /// fundamentals.
    ///
    /// # Errors
    /// [`crate::Error::Store`] when a read fails.
    pub fn from_store(store: &dyn crate::store::Store, from: NaiveDate, to: NaiveDate) -> crate::Result<Self> {
        let instruments = store.instruments()?;
        let mut bars = Vec::with_capacity(instruments.len());
        for i in &instruments {
            bars.push((i.code, store.daily_bars(i.code, from, to)?));
        }
        let funds = store.latest_fundamentals()?;
        Self::new(instruments, bars, funds)
    }

    /// Number of instruments.
    #[must_use]
    pub fn len(&self) -> usize {
        self.instruments.len()
    }

    /// Whether there are no instruments.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.instruments.is_empty()
    }

    /// Instruments in code order.
    #[must_use]
    pub fn instruments(&self) -> &[Instrument] {
        &self.instruments
    }

    /// Position of `code` in [`Universe::instruments`].
    #[must_use]
    pub fn index_of(&self, code: StockCode) -> Option<usize> {
        self.index.get(&code).copied()
    }

    /// Codes whose bars or fundamentals were given without an instrument.
    #[must_use]
    pub fn dropped(&self) -> &[StockCode] {
        &self.dropped
    }

    /// All bars of stock `i` (no date cut: use [`Universe::bars_as_of`] for screening).
    #[must_use]
    pub fn all_bars(&self, i: usize) -> &[Bar] {
        self.bars.get(i).map_or(&[], Vec::as_slice)
    }

    /// Bars of stock `i` dated on or before `date`.
    #[must_use]
    pub fn bars_as_of(&self, i: usize, date: NaiveDate) -> &[Bar] {
        let bars = self.all_bars(i);
        let day = Timestamp::daily_close(date).kst_day_number();
        // Screening as of the latest day is the common case; it needs no search (a binary
        // search over a whole market's bars is a cache miss per step).
        if bars.last().is_none_or(|b| b.ts.kst_day_number() <= day) {
            return bars;
        }
        let end = bars.partition_point(|b| b.ts.kst_day_number() <= day);
        &bars[..end]
    }

    /// The latest fundamentals of stock `i` known on `date`.
    #[must_use]
    pub fn fundamentals_as_of(&self, i: usize, date: NaiveDate) -> Option<&Fundamentals> {
        let list = self.fundamentals.get(i)?;
        let end = list.partition_point(|f| f.as_of <= date);
        end.checked_sub(1).map(|k| &list[k])
    }

    /// Every date on which at least one stock has a bar, ascending.
    #[must_use]
    pub fn trading_days(&self) -> Vec<NaiveDate> {
        let mut days: Vec<i64> = self.bars.iter().flatten().map(|b| b.ts.kst_day_number()).collect();
        days.sort_unstable();
        days.dedup();
        days.into_iter().map(|d| Timestamp::from_millis(d * 86_400_000).kst_date()).collect()
    }

    /// The last date with a bar in any stock.
    #[must_use]
    pub fn last_date(&self) -> Option<NaiveDate> {
        self.bars.iter().filter_map(|b| b.last()).map(|b| b.ts).max().map(Timestamp::kst_date)
    }

    /// A copy without any bar or fundamentals dated after `date` (for checking that results
    /// for `date` do not depend on later data).
    #[must_use]
    pub fn truncated(&self, date: NaiveDate) -> Self {
        let mut out = self.clone();
        for (i, bars) in out.bars.iter_mut().enumerate() {
            let keep = self.bars_as_of(i, date).len();
            bars.truncate(keep);
        }
        for list in &mut out.fundamentals {
            list.retain(|f| f.as_of <= date);
        }
        out
    }
}

fn check_series(code: StockCode, bars: &[Bar]) -> crate::Result<()> {
    let name = || std::path::PathBuf::from(code.as_str());
    for (k, b) in bars.iter().enumerate() {
        if b.code != code {
            return Err(crate::Error::data(name(), k as u64 + 1, format!("bar of {} in the series of {code}", b.code)));
        }
        if k > 0 && b.ts.kst_day_number() <= bars[k - 1].ts.kst_day_number() {
            return Err(crate::Error::data(
                name(),
                k as u64 + 1,
                format!("bar {} is out of order or duplicated after {}", b.ts, bars[k - 1].ts),
            ));
        }
    }
    Ok(())
}
