//! Phase 1: screen the whole market into a ranked watchlist.
//!
//! A [`Screener`] runs a [`ScreenConfig`] over a [`Universe`] as of a date: it computes the
//! config's criteria for every stock that traded that day (in parallel, one pass over each
//! stock's bars), ranks the criteria that need it across the universe, evaluates the rule
//! tree with three outcomes (pass / fail / unknown, see [`Outcome`]), scores admitted stocks
//! by the weighted mean of their score percentiles and returns a [`ScreenResult`]: the
//! watchlist in rank order (ties broken by code), with every stock's criteria values kept so
//! that [`ScreenResult::why`] can say why a stock is in or out.
//!
//! ```
//! use chrono::NaiveDate;
//! use hantu_core::domain::{Bar, Instrument, Market, Price, StockCode, Timestamp};
//! use hantu_core::screen::{ScreenConfig, Screener, Universe};
//!
//! let day = |d: u32| Timestamp::daily_close(NaiveDate::from_ymd_opt(2025, 3, d).unwrap());
//! let series = |code: &str, closes: &[i64]| -> (StockCode, Vec<Bar>) {
//!     let c = StockCode::new(code);
//!     let bars = closes.iter().enumerate().map(|(k, &p)| {
//!         let p = Price::new(p);
//!         Bar::new_checked(c, day(3 + k as u32), p, p, p, p, 1_000).unwrap()
//!     });
//!     (c, bars.collect())
//! };
//! let instruments = ["005930", "000660"]
//!     .map(|c| Instrument::stock(StockCode::new(c), c, Market::Kospi, None))
//!     .to_vec();
//! let universe = Universe::new(
//!     instruments,
//!     [series("005930", &[100, 104, 110]), series("000660", &[100, 98, 97])],
//!     [],
//! )?;
//! let screen = Screener::new(ScreenConfig::from_toml_str(
//!     "name = \"up\"\n[rule]\nvalue = \"return(2)\"\nmin = 0",
//! )?)?;
//! let result = screen.run(&universe, NaiveDate::from_ymd_opt(2025, 3, 5).unwrap())?;
//! assert_eq!(result.codes(), vec![StockCode::new("005930")]);
//! println!("{}", result.why(StockCode::new("000660")));
//! # Ok::<(), hantu_core::Error>(())
//! ```

mod compute;
mod config;
mod criterion;
mod persist;
mod result;
mod rule;
mod universe;

#[cfg(test)]
pub(crate) mod tests;

pub use config::{Prefer, RuleSpec, ScoreTerm, ScreenConfig};
pub use criterion::{Criterion, Series};
pub use result::{Explanation, ScreenResult, Standing, WatchEntry, WatchlistDiff};
pub use rule::Outcome;
pub use universe::Universe;

pub(crate) use compute::{Plan, Scratch, compute_row};
pub(crate) use config::check_history;
pub(crate) use rule::CrossStats;

use std::sync::Arc;

use chrono::NaiveDate;
use rayon::prelude::*;

use config::Compiled;
use rule::Facts;

/// Runs one screen config; cheap to clone and share between threads.
#[derive(Clone, Debug)]
pub struct Screener {
    config: Arc<ScreenConfig>,
    compiled: Arc<Compiled>,
    fingerprint: u64,
}

impl Screener {
    /// A screener for a validated config.
    ///
    /// # Errors
    /// [`crate::Error::Config`] naming the bad key.
    pub fn new(config: ScreenConfig) -> crate::Result<Self> {
        let compiled = config.compile()?;
        let fingerprint = fingerprint(&config);
        Ok(Self { config: Arc::new(config), compiled: Arc::new(compiled), fingerprint })
    }

    /// The config.
    #[must_use]
    pub fn config(&self) -> &ScreenConfig {
        &self.config
    }

    /// The criteria computed per stock, in column order.
    #[must_use]
    pub fn columns(&self) -> &[Criterion] {
        &self.compiled.plan.columns
    }

    /// Screens every stock of `universe` that has a bar dated `as_of`, using only bars and
    /// fundamentals dated on or before it.
    ///
    /// # Errors
    /// None today (bad configs are refused by [`Screener::new`]); kept fallible so that
    /// data-dependent checks can be added without breaking callers.
    pub fn run(&self, universe: &Universe, as_of: NaiveDate) -> crate::Result<ScreenResult> {
        let c = &*self.compiled;
        let history = self.config.history;
        let eligible: Vec<usize> = (0..universe.len())
            .filter(|&i| universe.bars_as_of(i, as_of).last().is_some_and(|b| b.ts.kst_date() == as_of))
            .collect();
        let ncols = c.plan.columns.len().max(1);
        let mut values = vec![f64::NAN; eligible.len() * ncols];
        values.par_chunks_mut(ncols).zip(eligible.par_iter()).for_each_init(Scratch::default, |scratch, (row, &i)| {
            let bars = universe.bars_as_of(i, as_of);
            let bars = &bars[bars.len().saturating_sub(history)..];
            compute_row(
                &c.plan,
                scratch,
                bars,
                universe.fundamentals_as_of(i, as_of),
                &mut row[..c.plan.columns.len()],
            );
        });
        let mut cross: Vec<Option<CrossStats>> = vec![None; ncols];
        let stats: Vec<(usize, CrossStats)> = c
            .cross_columns
            .par_iter()
            .map(|&col| {
                let column: Vec<f64> = values.chunks(ncols).map(|r| r[col]).collect();
                (col, CrossStats::new(&column))
            })
            .collect();
        for (col, s) in stats {
            cross[col] = Some(s);
        }
        let nleaves = c.rule.leaves.len().max(1);
        let mut outcomes = vec![Outcome::Unknown; eligible.len() * nleaves];
        let instruments = universe.instruments();
        outcomes.par_chunks_mut(nleaves).enumerate().for_each(|(k, out)| {
            let ins = &instruments[eligible[k]];
            let facts = Facts { market: ins.market, sector: ins.sector.as_deref() };
            let row = &values[k * ncols..(k + 1) * ncols];
            c.rule.eval_leaves(k, row, &cross, facts, &mut out[..c.rule.leaves.len()]);
        });
        let mut admitted: Vec<(usize, f64)> = (0..eligible.len())
            .filter(|&k| c.rule.combine(&outcomes[k * nleaves..(k + 1) * nleaves]) == Outcome::Pass)
            .map(|k| (k, score(c, &cross, k)))
            .collect();
        // Best score first; unknown scores last; equal scores in code order (eligible is in code order).
        admitted.sort_by(|a, b| {
            let (x, y) = (a.1, b.1);
            match (x.is_nan(), y.is_nan()) {
                (false, false) => y.total_cmp(&x),
                (a_nan, b_nan) => a_nan.cmp(&b_nan),
            }
            .then(a.0.cmp(&b.0))
        });
        let kept = self.config.max_results.map_or(admitted.len(), |m| m.min(admitted.len()));
        Ok(ScreenResult::build(result::Parts {
            as_of,
            screen: self.config.name.clone(),
            version: self.config.version.clone(),
            fingerprint: self.fingerprint,
            compiled: Arc::clone(&self.compiled),
            universe,
            eligible,
            values,
            ncols,
            outcomes,
            nleaves,
            cross,
            admitted,
            kept,
        }))
    }
}

/// Weighted mean of a stock's score percentiles over the terms whose value is known.
fn score(c: &Compiled, cross: &[Option<CrossStats>], k: usize) -> f64 {
    if c.score.is_empty() {
        return 0.0;
    }
    let (mut sum, mut weight) = (0.0, 0.0);
    for &(col, w, prefer) in &c.score {
        let Some(p) = cross[col].as_ref().map(|s| s.pct[k]).filter(|p| !p.is_nan()) else { continue };
        sum += w * if prefer == Prefer::High { p } else { 100.0 - p };
        weight += w;
    }
    if weight > 0.0 { sum / weight } else { f64::NAN }
}

/// A stable 64-bit fingerprint (FNV-1a) of a config's JSON form, recorded with results so a
/// stored run names exactly the settings that produced it.
pub(crate) fn fingerprint<T: serde::Serialize>(value: &T) -> u64 {
    let text = serde_json::to_string(value).unwrap_or_default();
    text.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}
