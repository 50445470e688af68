//! The backtest report.

use serde::{Deserialize, Serialize};

use super::{BacktestConfig, Stats, Trade, round_trips};
use crate::domain::{Fill, Order};
use crate::engine::{Engine, EquityPoint};

/// Everything a run produced.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BacktestReport {
    /// Strategy name.
    pub strategy: String,
    /// Settings.
    pub config: BacktestConfig,
    /// Bars processed.
    pub bars: u64,
    /// Equity at the end of each trading day.
    pub equity: Vec<EquityPoint>,
    /// Every order, in the order it ended (refused ones included, with reasons).
    pub orders: Vec<Order>,
    /// Every fill.
    pub fills: Vec<Fill>,
    /// Round trips.
    pub trades: Vec<Trade>,
    /// Statistics.
    pub stats: Stats,
}

impl BacktestReport {
    pub(crate) fn build(strategy: &str, cfg: &BacktestConfig, engine: Engine, bars: u64) -> Self {
        let costs = engine.costs_paid();
        let (orders, fills, equity) = engine.into_records();
        let trades = round_trips(&fills);
        let traded: i64 = fills.iter().map(Fill::notional).sum();
        let stats = Stats::compute(cfg.engine.cash, &equity, &trades, traded, costs, orders.len(), fills.len());
        Self { strategy: strategy.to_owned(), config: cfg.clone(), bars, equity, orders, fills, trades, stats }
    }

    /// Equity curve as CSV (`date,equity,cash,market_value`).
    #[must_use]
    pub fn equity_csv(&self) -> String {
        let mut s = String::from("date,equity,cash,market_value\n");
        for p in &self.equity {
            s.push_str(&format!("{},{},{},{}\n", p.ts, p.equity, p.cash(), p.market_value));
        }
        s
    }

    /// Round trips as CSV.
    #[must_use]
    pub fn trades_csv(&self) -> String {
        let mut s = String::from("code,entry,exit,qty,entry_price,exit_price,pnl,return_pct,costs\n");
        for t in &self.trades {
            s.push_str(&format!(
                "{},{},{},{},{:.2},{},{},{:.4},{}\n",
                t.code,
                t.entry_ts,
                t.exit_ts.map(|x| x.to_string()).unwrap_or_default(),
                t.qty,
                t.entry_price,
                t.exit_price.map(|x| format!("{x:.2}")).unwrap_or_default(),
                t.pnl,
                t.return_pct,
                t.costs
            ));
        }
        s
    }
}
