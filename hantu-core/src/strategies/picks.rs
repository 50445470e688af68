//! Trading the daily picks of [`crate::select`].

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::domain::{Bar, Fill, Price, Side};
use crate::engine::CodeMap;
use crate::select::{Pick, PredictedClass, Selection};
use crate::strategy::{Context, Strategy};

/// How [`PicksStrategy`] trades.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PicksConfig {
    /// Trade picks of this class or better (`strong_buy` < `buy` < `hold`).
    pub min_class: PredictedClass,
    /// Sell after holding this many trading days.
    pub max_hold_days: u32,
    /// Fraction of buying power one entry may use, in (0, 1].
    pub max_weight: f64,
}

impl Default for PicksConfig {
    fn default() -> Self {
        Self { min_class: PredictedClass::Buy, max_hold_days: 10, max_weight: 0.2 }
    }
}

impl PicksConfig {
    /// Checks the values.
    ///
    /// # Errors
    /// [`crate::Error::Config`] naming `picks.max_hold_days` or `picks.max_weight`.
    pub fn validate(&self) -> crate::Result<()> {
        if self.max_hold_days == 0 {
            return Err(crate::Error::config("picks.max_hold_days", "must be at least 1"));
        }
        if !(self.max_weight > 0.0 && self.max_weight <= 1.0) {
            return Err(crate::Error::config("picks.max_weight", "must be in (0, 1]"));
        }
        Ok(())
    }
}

#[derive(Clone, Copy, Debug)]
struct Exit {
    stop: Price,
    target: Price,
    days: u32,
}

/// Trades each day's picks: after the close of the day a selection was made for, it places a
/// day limit buy at the top of each pick's entry zone (so it fills in the zone or better during
/// the next session, or not at all), sized by the pick and capped by `max_weight` of the buying
/// power; a held stock is sold at the next open once a close reaches its stop or target, or
/// after `max_hold_days` trading days. Stocks already held or with a working order are skipped.
///
/// Exits are decided on closes because a daily backtest has no intraday path; orders then fill
/// at the next bar.
#[derive(Clone, Debug, Default)]
pub struct PicksStrategy {
    cfg: PicksConfig,
    /// Picks keyed by the as-of date they were made after.
    picks: BTreeMap<NaiveDate, Vec<Pick>>,
    /// Exit plan of stocks with a buy placed or held.
    exits: CodeMap<Exit>,
}

impl PicksStrategy {
    /// A strategy trading `selections` (each applies to the session after its `as_of` date).
    ///
    /// # Errors
    /// If `cfg` is invalid.
    pub fn new(cfg: PicksConfig, selections: impl IntoIterator<Item = Selection>) -> crate::Result<Self> {
        cfg.validate()?;
        let mut s = Self { cfg, ..Self::default() };
        for sel in selections {
            s.add(sel);
        }
        Ok(s)
    }

    /// Adds (or replaces) the picks made after the close of `selection.as_of`.
    pub fn add(&mut self, selection: Selection) {
        self.picks.insert(selection.as_of, selection.picks);
    }
}

impl Strategy for PicksStrategy {
    fn name(&self) -> &str {
        "picks"
    }

    fn on_bar(&mut self, ctx: &mut Context<'_>, bar: &Bar) {
        let held = ctx.qty(bar.code);
        let Some(exit) = self.exits.get(&bar.code).copied() else { return };
        if held == 0 || ctx.has_open_order(bar.code) {
            return;
        }
        if bar.close <= exit.stop || bar.close >= exit.target || exit.days >= self.cfg.max_hold_days {
            let _ = ctx.market(bar.code, Side::Sell, held);
        }
    }

    fn on_fill(&mut self, ctx: &mut Context<'_>, fill: &Fill) {
        if fill.side == Side::Sell && ctx.qty(fill.code) == 0 {
            self.exits.remove(&fill.code);
        }
    }

    fn on_day_end(&mut self, ctx: &mut Context<'_>) {
        let today = ctx.now().kst_date();
        // A buy that did not fill leaves nothing to exit.
        self.exits.retain(|code, _| ctx.qty(*code) > 0 || ctx.has_open_order(*code));
        for (code, exit) in &mut self.exits {
            if ctx.qty(*code) > 0 {
                exit.days += 1;
            }
        }
        let Some(picks) = self.picks.get(&today) else { return };
        for p in picks {
            if p.class > self.cfg.min_class || ctx.qty(p.code) > 0 || ctx.has_open_order(p.code) {
                continue;
            }
            let budget = ctx.buying_power().to_f64() * self.cfg.max_weight;
            let affordable = (budget / p.entry_high.as_f64()).floor().max(0.0) as u64;
            let qty = p.qty.get().min(affordable);
            if qty == 0 {
                continue;
            }
            if ctx.limit(p.code, Side::Buy, qty, p.entry_high).is_ok() {
                self.exits.insert(p.code, Exit { stop: p.stop, target: p.target, days: 0 });
            }
        }
    }
}
