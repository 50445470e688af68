//! The walk-forward loop: screen → select → learn, one day at a time, then trade the picks — with
//! weights adapting, or fixed, to compare the two honestly.
//!
//! On each as-of day `d`: learn from every outcome known at `d`'s close ([`super::update()`] reads
//! nothing dated after `d`), take the weights version in force on `d` and the day's regime, screen the
//! universe as of `d`, select, and store the picks (for the session after `d`). After the last day the
//! picks are backtested through [`crate::strategies::PicksStrategy`], exactly as
//! [`crate::pipeline::run_pipeline`] trades them.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::LearnConfig;
use super::accuracy::{AccuracyReport, accuracy};
use super::regime::{config_in_force, read_regime};
use super::update::update;
use crate::backtest::BacktestReport;
use crate::pipeline::{PipelineConfig, trade_selections};
use crate::screen::{Screener, Universe};
use crate::select::{SelectConfig, Selection, Selector};
use crate::store::{Store, WeightsVersionRecord};

/// One walk-forward's settings.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WalkForwardConfig {
    /// Range, pick trading and backtest settings (as in the pipeline).
    pub pipeline: PipelineConfig,
    /// The learning step; `learn.adapt = false` keeps the weights fixed.
    pub learn: LearnConfig,
    /// Whether the regime shrinks selection in bad markets.
    pub use_regime: bool,
}

/// What a walk-forward produced.
#[derive(Clone, Debug)]
pub struct WalkForwardRun {
    /// One selection per as-of day.
    pub selections: Vec<Selection>,
    /// The backtest of the picks.
    pub report: BacktestReport,
    /// Accuracy of every prediction measured by the end.
    pub accuracy: AccuracyReport,
    /// The weights versions made along the way, oldest first.
    pub versions: Vec<WeightsVersionRecord>,
    /// The weights version each as-of day used.
    pub versions_used: Vec<(NaiveDate, String)>,
}

/// Runs the loop over the universe's trading days in the configured range. `store` must hold the
/// universe's daily bars (outcomes are read from it) and receives the picks, predictions, outcomes,
/// regimes and weights versions.
///
/// # Errors
/// Config, screen, selection, store and backtest errors.
pub fn walk_forward(
    universe: &Universe,
    store: &dyn Store,
    screener: &Screener,
    select: &SelectConfig,
    cfg: &WalkForwardConfig,
) -> crate::Result<WalkForwardRun> {
    cfg.learn.validate()?;
    let p = &cfg.pipeline;
    let days: Vec<NaiveDate> = universe
        .trading_days()
        .into_iter()
        .filter(|d| p.from.is_none_or(|f| *d >= f) && p.to.is_none_or(|t| *d <= t))
        .collect();
    if days.len() < 2 {
        return Err(crate::Error::config("from", "the range needs at least two trading days"));
    }
    let equity = p.backtest.engine.cash;
    let learn = LearnConfig { regime_enabled: false, ..cfg.learn.clone() };
    let mut selections = Vec::with_capacity(days.len() - 1);
    let mut versions_used = Vec::with_capacity(days.len() - 1);
    for &d in &days[..days.len() - 1] {
        // The regime is read from the universe in memory: the update's own reading rebuilds a
        // universe from the store, which is right once a day and far too slow every simulated day.
        update(store, d, &select.weights, &learn)?;
        if cfg.learn.regime_enabled {
            if let Some(r) = read_regime(universe, d, &cfg.learn.regime) {
                store.set_regime(&r.to_record())?;
            }
        }
        let day_cfg = config_in_force(store, select, d, cfg.use_regime.then_some(&cfg.learn.regime))?;
        let selector = Selector::new(day_cfg)?;
        let watchlist = screener.run(universe, d)?;
        let selection = selector.select(universe, &watchlist, &[], equity)?;
        selection.save(&selector, store, None)?;
        versions_used.push((d, selection.weights_version.clone()));
        selections.push(selection);
    }
    // Outcomes of the last picks that fit before the end, before the report.
    update(store, days[days.len() - 1], &select.weights, &LearnConfig { adapt: false, ..learn })?;
    let report = trade_selections(universe, &selections, &days, p)?;
    let measured = store.outcomes_since(NaiveDate::MIN)?;
    Ok(WalkForwardRun {
        selections,
        report,
        accuracy: accuracy(&measured),
        versions: store.weights_versions()?,
        versions_used,
    })
}
