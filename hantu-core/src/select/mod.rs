//! Phase 2: pick today's candidates from the watchlist.
//!
//! A [`Selector`] takes a [`ScreenResult`] and the [`Universe`] it came from, computes each
//! candidate's factor criteria (from bars up to the screen's as-of date only), drops what the
//! filters refuse (each with a reason), scores the rest — per factor, the weighted mean of the
//! candidates' percentiles; in total, the weighted mean of the known factors — and keeps the
//! best, at most `max_per_sector` per sector and `max_picks` in all, ties broken by code.
//! Each [`Pick`] carries its factor contributions, a [`PredictedClass`] with a confidence,
//! an entry zone, a stop and a target on the tick grid, and a size from the sizing settings.
//! The [`Selection`] records the config name, weights version and fingerprint.

mod config;
mod levels;
mod persist;
mod score;

#[cfg(test)]
mod tests;

pub use config::{
    ClassThresholds, Factor, FactorTerms, FactorWeights, LevelConfig, SelectConfig, SelectFilters, SizingConfig,
};

use std::sync::Arc;

use chrono::NaiveDate;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::domain::{Money, Price, Qty, StockCode};
use crate::screen::{Criterion, Plan, Prefer, Scratch, ScreenResult, Universe, WatchlistDiff, compute_row};
use score::classify;

/// What the selector expects of a pick.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PredictedClass {
    /// Score at or above `classes.strong_buy`.
    StrongBuy,
    /// Score at or above `classes.buy`.
    Buy,
    /// Below `classes.buy`.
    Hold,
}

impl PredictedClass {
    /// Snake-case name (`strong_buy`), as stored.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            PredictedClass::StrongBuy => "strong_buy",
            PredictedClass::Buy => "buy",
            PredictedClass::Hold => "hold",
        }
    }
}

/// One factor's part in a pick's score.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct FactorScore {
    /// The factor.
    pub factor: Factor,
    /// Its score 0..=100; `None` when none of its criteria was known.
    pub score: Option<f64>,
    /// Points it adds to the total (its score times its share of the known weight).
    pub contribution: f64,
}

/// One pick.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Pick {
    /// The stock.
    pub code: StockCode,
    /// Name.
    pub name: String,
    /// Sector, when known.
    pub sector: Option<String>,
    /// 1-based rank among the picks.
    pub rank: usize,
    /// Total score 0..=100.
    pub score: f64,
    /// Per factor, in [`Factor::ALL`] order.
    pub factors: Vec<FactorScore>,
    /// Predicted class.
    pub class: PredictedClass,
    /// Confidence 0..=1: how much of the factor weight was known, and how far inside its
    /// class band the score lies.
    pub confidence: f64,
    /// Last close (as of the screen date).
    pub close: Price,
    /// Lowest price of the entry zone.
    pub entry_low: Price,
    /// Highest price of the entry zone (a buy limit).
    pub entry_high: Price,
    /// Stop.
    pub stop: Price,
    /// Target.
    pub target: Price,
    /// Suggested shares.
    pub qty: Qty,
}

/// A candidate the filters refused.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refused {
    /// The stock.
    pub code: StockCode,
    /// Why.
    pub reason: String,
}

/// The day's picks and how they were made.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Selection {
    /// The date of the last bar seen (picks are for the next session).
    pub as_of: NaiveDate,
    /// Selector config name.
    pub config: String,
    /// Weights version.
    pub weights_version: String,
    /// Fingerprint of the exact selector config.
    pub fingerprint: u64,
    /// The screen it came from.
    pub screen: String,
    /// Fingerprint of the screen config.
    pub screen_fingerprint: u64,
    /// Picks, best first.
    pub picks: Vec<Pick>,
    /// Watchlist stocks not picked, with the reason, in code order.
    pub refused: Vec<Refused>,
}

impl Selection {
    /// Codes picked, best first.
    #[must_use]
    pub fn codes(&self) -> Vec<StockCode> {
        self.picks.iter().map(|p| p.code).collect()
    }

    /// The pick for `code`.
    #[must_use]
    pub fn pick(&self, code: StockCode) -> Option<&Pick> {
        self.picks.iter().find(|p| p.code == code)
    }

    /// Why `code` was picked or not: its rank and factors, the filter that refused it, or
    /// that it was not on the watchlist.
    #[must_use]
    pub fn why(&self, code: StockCode) -> String {
        if let Some(p) = self.pick(code) {
            let parts: Vec<String> = p
                .factors
                .iter()
                .map(|f| match f.score {
                    Some(s) => format!("{} {s:.1} (+{:.1})", f.factor.as_str(), f.contribution),
                    None => format!("{} unknown", f.factor.as_str()),
                })
                .collect();
            return format!(
                "{code} picked #{}: score {:.1}, {} ({:.0}% confidence); {}",
                p.rank,
                p.score,
                p.class.as_str(),
                p.confidence * 100.0,
                parts.join(", ")
            );
        }
        match self.refused.iter().find(|r| r.code == code) {
            Some(r) => format!("{code} not picked: {}", r.reason),
            None => format!("{code} not picked: not on the watchlist"),
        }
    }

    /// New picks and dropped picks against an earlier selection.
    #[must_use]
    pub fn diff(&self, previous: &Selection) -> WatchlistDiff {
        WatchlistDiff::between(&previous.codes(), &self.codes())
    }
}

/// Runs one selection config; cheap to clone.
#[derive(Clone, Debug)]
pub struct Selector {
    config: Arc<SelectConfig>,
    plan: Arc<Plan>,
    /// Per factor: (column, weight, prefer).
    terms: Arc<Vec<(Factor, usize, f64, Prefer)>>,
    close_col: usize,
    atr_col: usize,
    liquidity_col: usize,
    fingerprint: u64,
}

impl Selector {
    /// A selector for a validated config.
    ///
    /// # Errors
    /// [`crate::Error::Config`] naming the bad key.
    pub fn new(config: SelectConfig) -> crate::Result<Self> {
        let factor_columns = config.factor_columns()?;
        let mut columns: Vec<Criterion> = Vec::new();
        let mut col = |c: Criterion| match columns.iter().position(|&x| x == c) {
            Some(k) => k,
            None => {
                columns.push(c);
                columns.len() - 1
            }
        };
        let close_col = col(Criterion::Close);
        let atr_col = col(Criterion::AtrPct(config.levels.atr_period));
        let liquidity_col = col(Criterion::AvgTradedValue(config.filters.liquidity_days));
        let terms = factor_columns.into_iter().map(|(f, c, w, p)| (f, col(c), w, p)).collect();
        let fingerprint = crate::screen::fingerprint(&config);
        Ok(Self {
            config: Arc::new(config),
            plan: Arc::new(Plan::new(columns)),
            terms: Arc::new(terms),
            close_col,
            atr_col,
            liquidity_col,
            fingerprint,
        })
    }

    /// The config.
    #[must_use]
    pub fn config(&self) -> &SelectConfig {
        &self.config
    }

    /// Picks from `watchlist`, reading `universe` only up to the watchlist's as-of date.
    /// `held` are codes already in the portfolio; `equity` sizes the picks.
    ///
    /// # Errors
    /// None today; kept fallible so data checks can be added without breaking callers.
    pub fn select(
        &self,
        universe: &Universe,
        watchlist: &ScreenResult,
        held: &[StockCode],
        equity: Money,
    ) -> crate::Result<Selection> {
        let cfg = &*self.config;
        let as_of = watchlist.as_of;
        let mut refused = Vec::new();
        let mut candidates: Vec<usize> = Vec::new();
        for e in &watchlist.entries {
            let reason = if cfg.filters.exclude.contains(&e.code) {
                Some("on the exclusion list".to_owned())
            } else if cfg.filters.skip_held && held.contains(&e.code) {
                Some("already held".to_owned())
            } else {
                None
            };
            match (reason, universe.index_of(e.code)) {
                (Some(r), _) => refused.push(Refused { code: e.code, reason: r }),
                (None, None) => refused.push(Refused { code: e.code, reason: "not in the universe".into() }),
                (None, Some(i)) => candidates.push(i),
            }
        }
        candidates.sort_unstable();
        let ncols = self.plan.columns.len();
        let mut values = vec![f64::NAN; candidates.len() * ncols];
        let history = cfg.history;
        values.par_chunks_mut(ncols).zip(candidates.par_iter()).for_each_init(
            Scratch::default,
            |scratch, (row, &i)| {
                let bars = universe.bars_as_of(i, as_of);
                let bars = &bars[bars.len().saturating_sub(history)..];
                compute_row(&self.plan, scratch, bars, universe.fundamentals_as_of(i, as_of), row);
            },
        );
        let ins = universe.instruments();
        let mut kept: Vec<usize> = Vec::new();
        for (k, &i) in candidates.iter().enumerate() {
            let row = &values[k * ncols..(k + 1) * ncols];
            let close = row[self.close_col];
            let f = &cfg.filters;
            let reason = if close.is_nan() {
                Some("no close".to_owned())
            } else if f.min_price.is_some_and(|p| close < p as f64) {
                Some(format!("close {close:.0} below min_price"))
            } else if f.max_price.is_some_and(|p| close > p as f64) {
                Some(format!("close {close:.0} above max_price"))
            } else if f
                .min_avg_traded_value
                .is_some_and(|v| row[self.liquidity_col].is_nan() || row[self.liquidity_col] < v)
            {
                Some(format!("avg_traded_value({}) below min_avg_traded_value", f.liquidity_days))
            } else if row[self.atr_col].is_nan() {
                Some(format!("atr_pct({}) unknown, no price levels", cfg.levels.atr_period))
            } else {
                None
            };
            match reason {
                Some(r) => refused.push(Refused { code: ins[i].code, reason: r }),
                None => kept.push(k),
            }
        }
        let scored = self.score(&values, ncols, &kept);
        let mut order: Vec<usize> = (0..kept.len()).collect();
        order.sort_by(|&a, &b| scored[b].0.total_cmp(&scored[a].0).then(candidates[kept[a]].cmp(&candidates[kept[b]])));
        let mut picks: Vec<Pick> = Vec::new();
        let mut per_sector: Vec<(&str, usize)> = Vec::new();
        for j in order {
            let k = kept[j];
            let i = candidates[k];
            let instrument = &ins[i];
            let (score, ref factors, coverage) = scored[j];
            if picks.len() >= cfg.max_picks {
                refused
                    .push(Refused { code: instrument.code, reason: format!("score {score:.1} below the last pick") });
                continue;
            }
            if let (Some(max), Some(sector)) = (cfg.filters.max_per_sector, instrument.sector.as_deref()) {
                let n = per_sector.iter().find(|s| s.0 == sector).map_or(0, |s| s.1);
                if n >= max {
                    refused
                        .push(Refused { code: instrument.code, reason: format!("sector {sector} already has {max}") });
                    continue;
                }
            }
            let row = &values[k * ncols..(k + 1) * ncols];
            let Ok(close) = Price::from_f64(row[self.close_col]) else {
                refused.push(Refused { code: instrument.code, reason: "close is not a price".into() });
                continue;
            };
            let atr = row[self.atr_col] * close.as_f64() / 100.0;
            let Some(lv) = levels::levels(close, atr, instrument, as_of, &cfg.levels, &cfg.sizing, equity) else {
                refused.push(Refused { code: instrument.code, reason: "no room for entry, stop and target".into() });
                continue;
            };
            if let Some(sector) = instrument.sector.as_deref() {
                match per_sector.iter_mut().find(|s| s.0 == sector) {
                    Some(s) => s.1 += 1,
                    None => per_sector.push((sector, 1)),
                }
            }
            let (class, confidence) = classify(score, coverage, &cfg.classes);
            picks.push(Pick {
                code: instrument.code,
                name: instrument.name.clone(),
                sector: instrument.sector.clone(),
                rank: picks.len() + 1,
                score,
                factors: factors.clone(),
                class,
                confidence,
                close,
                entry_low: lv.entry_low,
                entry_high: lv.entry_high,
                stop: lv.stop,
                target: lv.target,
                qty: lv.qty,
            });
        }
        refused.sort_by_key(|r| r.code);
        Ok(Selection {
            as_of,
            config: cfg.name.clone(),
            weights_version: cfg.weights_version.clone(),
            fingerprint: self.fingerprint,
            screen: watchlist.screen.clone(),
            screen_fingerprint: watchlist.fingerprint,
            picks,
            refused,
        })
    }
}
