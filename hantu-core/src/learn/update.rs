//! The post-close learning step over a store: picks become predictions, predictions whose horizon
//! has passed get their outcomes, and the factor weights, the regime and the degradation check
//! are brought up to date. Every step reads only data dated on or before the as-of day.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::LearnConfig;
use super::accuracy::{Degradation, degraded_versions};
use super::ic::{FactorIc, FactorSample, factor_ics};
use super::outcome::{Levels, measure};
use super::regime::{RegimeReading, read_regime};
use super::weights::{WeightsUpdate, named_weights, update_weights, version_in_force, weights_of};
use crate::domain::{Price, StockCode, Timestamp};
use crate::krx::KrxCalendar;
use crate::screen::Universe;
use crate::select::{Factor, FactorWeights};
use crate::store::{
    EventKind, EventRecord, FirstHit, OutcomeRecord, PredictionRecord, SelectionRecord, Store, WeightsStatus,
    WeightsVersionRecord,
};

/// What one [`update`] did.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UpdateReport {
    /// The day learned up to (inclusive).
    pub as_of: NaiveDate,
    /// Predictions written or refreshed from stored picks.
    pub predictions: usize,
    /// Outcomes measured now.
    pub outcomes: usize,
    /// Predictions still waiting for their horizon.
    pub open: usize,
    /// The factor ICs the weights step saw.
    pub ics: Vec<FactorIc>,
    /// The weights step (`None`: not due yet).
    pub weights: Option<WeightsUpdate>,
    /// The new weights version, when one was made.
    pub new_version: Option<String>,
    /// The regime of the day (`None`: too little history).
    pub regime: Option<RegimeReading>,
    /// Versions doing worse than their baseline.
    pub degraded: Vec<Degradation>,
}

/// A stored pick's price levels, from the selection's free-form config.
#[must_use]
pub fn pick_levels(pick: &SelectionRecord) -> Option<Levels> {
    let get = |k: &str| pick.config.get(k).and_then(|v| serde_json::from_value::<Price>(v.clone()).ok());
    Some(Levels { entry_high: get("entry_high")?, stop: get("stop")?, target: get("target")? })
}

/// Whether an outcome counts as a hit: the pick was entered, and its target came first or it ended the
/// horizon up without touching the stop.
#[must_use]
pub fn is_hit(first_hit: FirstHit, ret: f64) -> bool {
    match first_hit {
        FirstHit::Target => true,
        FirstHit::Neither => ret > 0.0,
        FirstHit::Stop | FirstHit::NotEntered => false,
    }
}

/// The predictions of one day's picks, one per configured horizon.
#[must_use]
pub fn predictions_for(picks: &[SelectionRecord], cfg: &LearnConfig) -> Vec<PredictionRecord> {
    picks
        .iter()
        .flat_map(|p| {
            cfg.horizons.iter().map(move |&h| PredictionRecord {
                date: p.date,
                code: p.code,
                horizon_days: h,
                source: cfg.source.clone(),
                class: p.class.clone(),
                confidence: p.confidence,
                expected_return: None,
                weights_version: p.weights_version.clone(),
            })
        })
        .collect()
}

/// Runs the learning step for `as_of` over `store` (see the module docs). `base` are the weights of
/// the selection config, used until a learned version exists. Idempotent: running it twice for the
/// same day writes the same rows.
///
/// # Errors
/// [`crate::Error::Config`] for a bad config; [`crate::Error::Store`] when a read or write fails.
pub fn update(
    store: &dyn Store,
    as_of: NaiveDate,
    base: &FactorWeights,
    cfg: &LearnConfig,
) -> crate::Result<UpdateReport> {
    cfg.validate()?;
    // Picks are dated for the session after their as-of day, so today's picks carry tomorrow's date.
    let first = sessions_back(as_of, cfg.lookback_sessions);
    let last_pick_day = KrxCalendar::next_trading_day(as_of);
    let mut picks_by_day: BTreeMap<NaiveDate, Vec<SelectionRecord>> = BTreeMap::new();
    for day in KrxCalendar::trading_days(first, last_pick_day) {
        let picks = store.selections_on(day)?;
        if !picks.is_empty() {
            picks_by_day.insert(day, picks);
        }
    }
    let predictions: Vec<PredictionRecord> = picks_by_day.values().flat_map(|p| predictions_for(p, cfg)).collect();
    store.save_predictions(&predictions)?;

    let mut outcomes = Vec::new();
    let mut open = 0;
    for p in store.open_predictions()? {
        let end = KrxCalendar::add_trading_days(p.date, p.horizon_days.saturating_sub(1));
        if end > as_of || p.date > as_of {
            open += 1;
            continue;
        }
        let bars = store.daily_bars(p.code, p.date, end)?;
        let levels =
            picks_by_day.get(&p.date).and_then(|picks| picks.iter().find(|s| s.code == p.code)).and_then(pick_levels);
        // A halted stock has fewer sessions than the horizon; its outcome is what did trade.
        let held = u32::try_from(bars.len()).unwrap_or(u32::MAX).min(p.horizon_days);
        let m = measure(&bars, held, levels, cfg.entry).unwrap_or(super::outcome::Measured {
            entry: None,
            ret: 0.0,
            max_favourable: 0.0,
            max_adverse: 0.0,
            first_hit: FirstHit::NotEntered,
            days_held: 0,
        });
        outcomes.push(OutcomeRecord {
            date: p.date,
            code: p.code,
            horizon_days: p.horizon_days,
            source: p.source.clone(),
            evaluated_on: end,
            actual_return: m.ret,
            max_drawdown: m.max_adverse,
            hit: is_hit(m.first_hit, m.ret),
            entry_price: m.entry,
            max_favourable: m.max_favourable,
            first_hit: m.first_hit,
            days_held: m.days_held,
        });
    }
    store.record_outcomes(&outcomes)?;

    // A year of outcomes covers the IC window and every version's recent record; reading all of
    // history every day would make a long walk-forward quadratic.
    let history = store.outcomes_since(sessions_back(as_of, cfg.ic_window.max(250)))?;
    let ics = recent_ics(store, &history, as_of, cfg)?;
    let versions = store.weights_versions()?;
    let current = version_in_force(&versions, as_of);
    let due = current.is_none_or(|v| {
        v.effective_from < as_of
            && KrxCalendar::trading_days(v.effective_from, as_of).len() > cfg.every_sessions as usize
    });
    let (weights, new_version) = if cfg.adapt && due {
        let from = current.map_or_else(|| base.clone(), |v| weights_of(v, base));
        let step = update_weights(&from, &ics, &cfg.weights);
        let version = (step.skipped.is_none()).then(|| format!("learn-{}", as_of.format("%Y%m%d")));
        if let Some(name) = &version {
            store.save_weights_version(&WeightsVersionRecord {
                version: name.clone(),
                effective_from: as_of,
                parent: current.map(|v| v.version.clone()),
                weights: named_weights(&step.weights),
                inputs: serde_json::json!({ "ics": ics, "limits": cfg.weights, "changes": step.changes }),
                status: WeightsStatus::Approved,
            })?;
        }
        (Some(step), version)
    } else {
        (None, None)
    };

    let regime = if cfg.regime_enabled {
        let from = sessions_back(as_of, cfg.regime.window + 5);
        let universe = Universe::from_store(store, from, as_of)?;
        let reading = read_regime(&universe, as_of, &cfg.regime);
        if let Some(r) = &reading {
            store.set_regime(&r.to_record())?;
        }
        reading
    } else {
        None
    };

    let degraded = degraded_versions(&history, cfg.baseline, cfg.window, cfg.degrade_threshold);
    for d in &degraded {
        store.record_event(&EventRecord {
            ts: Timestamp::daily_close(as_of),
            kind: EventKind::Alert,
            source: "learn".into(),
            message: format!(
                "weights {} degraded: hit rate {:.1}% over the last {} outcomes against a baseline of {:.1}%",
                d.version,
                d.recent_hit_rate * 100.0,
                d.recent_count,
                d.baseline_hit_rate * 100.0
            ),
            detail: serde_json::to_value(d).unwrap_or_default(),
        })?;
    }
    Ok(UpdateReport {
        as_of,
        predictions: predictions.len(),
        outcomes: outcomes.len(),
        open,
        ics,
        weights,
        new_version,
        regime,
        degraded,
    })
}

/// Factor ICs over the outcomes of the configured horizon whose picks fall in the last
/// `ic_window` sessions up to `as_of`.
fn recent_ics(
    store: &dyn Store,
    history: &[(PredictionRecord, OutcomeRecord)],
    as_of: NaiveDate,
    cfg: &LearnConfig,
) -> crate::Result<Vec<FactorIc>> {
    let since = sessions_back(as_of, cfg.ic_window);
    let mut loaded = std::collections::BTreeSet::new();
    let mut factors: BTreeMap<(NaiveDate, StockCode), Vec<(String, f64)>> = BTreeMap::new();
    let mut samples = Vec::new();
    for (p, o) in history {
        if p.horizon_days != cfg.ic_horizon
            || p.date < since
            || o.evaluated_on > as_of
            || o.first_hit == FirstHit::NotEntered
        {
            continue;
        }
        if loaded.insert(p.date) {
            for s in store.selections_on(p.date)? {
                factors.insert((s.date, s.code), s.factors);
            }
        }
        if let Some(f) = factors.get(&(p.date, p.code)) {
            samples.push(FactorSample { date: p.date, factors: f.clone(), forward_return: o.actual_return });
        }
    }
    let names: Vec<&str> = Factor::ALL.iter().map(|f| f.as_str()).collect();
    Ok(factor_ics(&samples, &names))
}

/// The trading day `n` sessions before `day`.
fn sessions_back(day: NaiveDate, n: usize) -> NaiveDate {
    (0..n).fold(day, |d, _| KrxCalendar::prev_trading_day(d))
}
