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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backtest::{Backtest, BacktestConfig};
    use crate::domain::{Qty, StockCode, Timestamp};
    use crate::krx::FeeModel;
    use crate::select::{Factor, FactorScore};

    fn d(day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2025, 3, day).unwrap()
    }

    fn bar(day: u32, o: i64, h: i64, l: i64, c: i64) -> Bar {
        let p = Price::new;
        Bar::new_checked(StockCode::new("005930"), Timestamp::daily_close(d(day)), p(o), p(h), p(l), p(c), 1_000_000)
            .unwrap()
    }

    fn selection(as_of: NaiveDate, class: PredictedClass) -> Selection {
        let pick = Pick {
            code: StockCode::new("005930"),
            name: "s".into(),
            sector: None,
            rank: 1,
            score: 80.0,
            factors: vec![FactorScore { factor: Factor::Momentum, score: Some(80.0), contribution: 80.0 }],
            class,
            confidence: 0.9,
            close: Price::new(10_000),
            entry_low: Price::new(9_800),
            entry_high: Price::new(10_000),
            stop: Price::new(9_500),
            target: Price::new(11_000),
            qty: Qty::from_shares(100),
        };
        Selection {
            as_of,
            config: "t".into(),
            weights_version: "1".into(),
            fingerprint: 0,
            screen: "s".into(),
            screen_fingerprint: 0,
            picks: vec![pick],
            refused: vec![],
        }
    }

    fn run(bars: &[Bar], class: PredictedClass, max_hold_days: u32) -> crate::backtest::BacktestReport {
        let cfg = PicksConfig { min_class: PredictedClass::Buy, max_hold_days, max_weight: 1.0 };
        let mut s = PicksStrategy::new(cfg, [selection(d(3), class)]).unwrap();
        let bt = Backtest::new(BacktestConfig::default().with_fees(FeeModel::free()).with_cash(10_000_000));
        bt.run(bars, &mut s).unwrap()
    }

    #[test]
    fn buys_in_the_zone_next_session_and_sells_after_the_target_close() {
        // Picked after the close of the 3rd; the 4th opens at 10,100 and trades down to 9,900.
        let bars = [
            bar(3, 10_000, 10_000, 10_000, 10_000),
            bar(4, 10_100, 10_100, 9_900, 10_050),
            bar(5, 10_500, 11_200, 10_400, 11_100),
            bar(6, 11_050, 11_100, 10_900, 11_000),
        ];
        let r = run(&bars, PredictedClass::StrongBuy, 10);
        assert_eq!(r.fills.len(), 2, "{:?}", r.fills);
        assert_eq!((r.fills[0].side, r.fills[0].price, r.fills[0].qty.get()), (Side::Buy, Price::new(10_000), 100));
        assert_eq!(r.fills[0].ts.kst_date(), d(4));
        // The close of the 5th reached the target: sold at the next open.
        assert_eq!((r.fills[1].side, r.fills[1].price), (Side::Sell, Price::new(11_050)));
    }

    #[test]
    fn no_fill_above_the_zone_stop_and_time_exits_and_class_filter() {
        // Never trades down to 10,000: no buy.
        let high = [bar(3, 10_000, 10_000, 10_000, 10_000), bar(4, 10_200, 10_300, 10_100, 10_200)];
        assert!(run(&high, PredictedClass::Buy, 10).fills.is_empty());
        // A hold pick is not traded.
        let dip = [bar(3, 10_000, 10_000, 10_000, 10_000), bar(4, 9_900, 9_950, 9_850, 9_900)];
        assert!(run(&dip, PredictedClass::Hold, 10).fills.is_empty());
        // Close at the stop: sold the next open.
        let stop = [
            bar(3, 10_000, 10_000, 10_000, 10_000),
            bar(4, 9_900, 9_950, 9_850, 9_900),
            bar(5, 9_700, 9_700, 9_400, 9_450),
            bar(6, 9_400, 9_400, 9_300, 9_350),
        ];
        let r = run(&stop, PredictedClass::Buy, 10);
        assert_eq!(r.fills.len(), 2);
        assert_eq!((r.fills[1].side, r.fills[1].price), (Side::Sell, Price::new(9_400)));
        // Held one day with max_hold_days = 1: sold at the open after the next bar.
        let flat = [
            bar(3, 10_000, 10_000, 10_000, 10_000),
            bar(4, 9_900, 9_950, 9_850, 9_900),
            bar(5, 9_950, 10_000, 9_900, 9_950),
            bar(6, 9_960, 10_000, 9_900, 9_960),
        ];
        let r = run(&flat, PredictedClass::Buy, 1);
        assert_eq!(r.fills.len(), 2);
        assert_eq!((r.fills[1].price, r.fills[1].ts.kst_date()), (Price::new(9_960), d(6)));
    }
}
