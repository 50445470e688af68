//! Screen → select → trade over history, one day at a time.
//!
//! For every trading day `d` of the range except the last, the pipeline screens the universe
//! as of `d`'s close and selects from that watchlist; the picks trade in the session after
//! `d` through [`PicksStrategy`]. Each day's selection reads bars and fundamentals dated on or
//! before `d` only ([`Universe::bars_as_of`]), so no day sees data that would not have existed
//! before its open: removing every bar after `d` leaves the selection for `d` unchanged.
//!
//! ```
//! use hantu_core::pipeline::{PipelineConfig, run_pipeline};
//! use hantu_core::screen::{ScreenConfig, Screener, Universe};
//! use hantu_core::select::{SelectConfig, Selector};
//! use hantu_core::sim::{SimConfig, SimMarket};
//!
//! let market = SimMarket::generate(&SimConfig { stocks: 30, days: 120, ..SimConfig::default() })?;
//! let universe = Universe::from_sim(&market)?;
//! let screen = Screener::new(ScreenConfig::from_toml_str(
//!     "name = \"up\"\n[rule]\nvalue = \"return(20)\"\nmin = 0\n[[score]]\nvalue = \"return(20)\"",
//! )?)?;
//! let select = Selector::new(SelectConfig::named("picks"))?;
//! let cfg = PipelineConfig { from: Some(market.dates()[60]), ..PipelineConfig::default() };
//! let run = run_pipeline(&universe, &screen, &select, &cfg)?;
//! assert_eq!(run.selections.len(), 59);
//! println!("{}", run.report.stats);
//! # Ok::<(), hantu_core::Error>(())
//! ```

use chrono::NaiveDate;

use crate::backtest::{Backtest, BacktestConfig, BacktestReport, merge_series};
use crate::domain::{Instrument, StockCode};
use crate::screen::{Screener, Universe};
use crate::select::{Selection, Selector};
use crate::strategies::{PicksConfig, PicksStrategy};

/// What a pipeline run covers and how it trades.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PipelineConfig {
    /// First as-of date (default: the universe's first trading day).
    pub from: Option<NaiveDate>,
    /// Last trading day (default: the universe's last).
    pub to: Option<NaiveDate>,
    /// How picks are traded.
    pub picks: PicksConfig,
    /// Cash, fees, venue.
    pub backtest: BacktestConfig,
}

/// The result of a pipeline run.
#[derive(Clone, Debug)]
pub struct PipelineRun {
    /// One selection per as-of date, ascending.
    pub selections: Vec<Selection>,
    /// The backtest of the picks.
    pub report: BacktestReport,
}

/// The selection for each of `days`, each made from data up to that day only. Picks are sized
/// on `equity` (the strategy caps them by its buying power when it trades).
///
/// # Errors
/// A screen or selection error.
pub fn daily_selections(
    universe: &Universe,
    screener: &Screener,
    selector: &Selector,
    days: &[NaiveDate],
    equity: crate::domain::Money,
) -> crate::Result<Vec<Selection>> {
    days.iter()
        .map(|&d| {
            let watchlist = screener.run(universe, d)?;
            selector.select(universe, &watchlist, &[], equity)
        })
        .collect()
}

/// Runs screen → select → trade over the universe's trading days in `cfg.from..=cfg.to`.
///
/// # Errors
/// [`crate::Error::Config`] for an empty or inverted range or bad settings; screen, selection
/// and backtest errors.
pub fn run_pipeline(
    universe: &Universe,
    screener: &Screener,
    selector: &Selector,
    cfg: &PipelineConfig,
) -> crate::Result<PipelineRun> {
    cfg.picks.validate()?;
    let days: Vec<NaiveDate> = universe
        .trading_days()
        .into_iter()
        .filter(|d| cfg.from.is_none_or(|f| *d >= f) && cfg.to.is_none_or(|t| *d <= t))
        .collect();
    if days.len() < 2 {
        return Err(crate::Error::config("from", "the range needs at least two trading days"));
    }
    // The last day has no session after it to trade picks in.
    let as_of = &days[..days.len() - 1];
    let selections = daily_selections(universe, screener, selector, as_of, cfg.backtest.engine.cash)?;
    let report = trade_selections(universe, &selections, &days, cfg)?;
    Ok(PipelineRun { selections, report })
}

/// Backtests `selections` through [`PicksStrategy`] over the universe's bars of the picked codes in
/// `days` (ascending, at least two).
///
/// # Errors
/// [`crate::Error::Config`] for bad pick settings or an empty range; backtest errors.
pub fn trade_selections(
    universe: &Universe,
    selections: &[Selection],
    days: &[NaiveDate],
    cfg: &PipelineConfig,
) -> crate::Result<BacktestReport> {
    let (Some(&first), Some(&last)) = (days.first(), days.last()) else {
        return Err(crate::Error::config("from", "the range needs at least two trading days"));
    };
    let mut codes: Vec<StockCode> = selections.iter().flat_map(|s| s.picks.iter().map(|p| p.code)).collect();
    codes.sort_unstable();
    codes.dedup();
    let mut series = Vec::with_capacity(codes.len());
    let mut instruments: Vec<Instrument> = Vec::with_capacity(codes.len());
    for code in &codes {
        let Some(i) = universe.index_of(*code) else { continue };
        let bars = universe.bars_as_of(i, last);
        let start = bars.partition_point(|b| b.ts.kst_date() < first);
        series.push(&bars[start..]);
        instruments.push(universe.instruments()[i].clone());
    }
    let bars = merge_series(&series)?;
    let mut strategy = PicksStrategy::new(cfg.picks.clone(), selections.iter().cloned())?;
    Backtest::new(cfg.backtest.clone()).with_instruments(&instruments).run(&bars, &mut strategy)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Money, Side};
    use crate::screen::ScreenConfig;
    use crate::select::SelectConfig;
    use crate::sim::{SimConfig, SimMarket};

    fn setup() -> (SimMarket, Universe, Screener, Selector) {
        let market =
            SimMarket::generate(&SimConfig { stocks: 60, days: 160, seed: 7, ..SimConfig::default() }).unwrap();
        let universe = Universe::from_sim(&market).unwrap();
        let screen = Screener::new(
            ScreenConfig::from_toml_str(
                r#"
name = "t"
[rule]
all = [ { value = "avg_traded_value(20)", min = 1e8 }, { value = "return(20)", min = -5 } ]
[[score]]
value = "return(20)"
[[score]]
value = "volume_surge(20)"
"#,
            )
            .unwrap(),
        )
        .unwrap();
        let mut sel = SelectConfig::named("t");
        sel.max_picks = 5;
        sel.classes.buy = 0.0;
        (market, universe, screen, Selector::new(sel).unwrap())
    }

    #[test]
    fn selections_for_a_day_do_not_change_when_later_bars_are_removed() {
        let (market, universe, screen, select) = setup();
        let equity = Money::from_won(100_000_000);
        for k in [70, 110, 158] {
            let d = market.dates()[k];
            let full = daily_selections(&universe, &screen, &select, &[d], equity).unwrap();
            let cut = daily_selections(&universe.truncated(d), &screen, &select, &[d], equity).unwrap();
            assert!(!full[0].picks.is_empty(), "day {k} has picks");
            assert_eq!(serde_json::to_string(&full).unwrap(), serde_json::to_string(&cut).unwrap(), "day {k}");
        }
    }

    #[test]
    fn picks_trade_in_the_next_session_inside_the_zone_and_runs_repeat() {
        let (market, universe, screen, select) = setup();
        let cfg = PipelineConfig { from: Some(market.dates()[100]), ..PipelineConfig::default() };
        let run = run_pipeline(&universe, &screen, &select, &cfg).unwrap();
        assert_eq!(run.selections.len(), 59);
        let buys: Vec<_> = run.report.fills.iter().filter(|f| f.side == Side::Buy).collect();
        assert!(!buys.is_empty());
        for f in &buys {
            // The pick behind this buy was made after the previous trading day's close.
            let day = f.ts.kst_date();
            let prev = market.dates()[market.date_index(day).unwrap() - 1];
            let sel = run.selections.iter().find(|s| s.as_of == prev).unwrap();
            let pick = sel.pick(f.code).unwrap();
            assert!(f.price <= pick.entry_high, "{f:?} {pick:?}");
            assert!(f.qty <= pick.qty);
        }
        assert!(run.report.fills.iter().any(|f| f.side == Side::Sell));
        let again = run_pipeline(&universe, &screen, &select, &cfg).unwrap();
        assert_eq!(serde_json::to_string(&run.report).unwrap(), serde_json::to_string(&again.report).unwrap());
    }

    #[test]
    fn a_range_without_two_days_is_refused() {
        let (market, universe, screen, select) = setup();
        let d = market.dates()[159];
        let cfg = PipelineConfig { from: Some(d), ..PipelineConfig::default() };
        let e = run_pipeline(&universe, &screen, &select, &cfg).unwrap_err();
        assert!(e.to_string().contains("from"), "{e}");
    }
}
