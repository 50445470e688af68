//! Backtest an SMA crossover over a portfolio of simulated KRX stocks.
//!
//! Run with: `cargo run -p hantu-examples --example backtest_sma_cross_on_simulated_market`

use hantu_core::backtest::{Backtest, BacktestConfig, merge_series};
use hantu_core::sim::{SimConfig, SimMarket};
use hantu_core::strategies::SmaCross;

fn main() -> anyhow::Result<()> {
    // A deterministic simulated market: same seed, same bars, on real KRX trading days.
    let market = SimMarket::generate(&SimConfig { stocks: 10, days: 500, seed: 7, ..SimConfig::default() })?;
    let bars = merge_series(&market.bars)?;

    // 10% of buying power per entry, so the portfolio can hold several stocks at once.
    let mut strategy = SmaCross::new(10, 30)?.with_weight(0.1)?;
    let report = Backtest::new(BacktestConfig::default().with_cash(50_000_000))
        .with_instruments(&market.instruments)
        .run(&bars, &mut strategy)?;

    println!("{} bars, {} fills, {} round trips", report.bars, report.fills.len(), report.trades.len());
    println!("{}", report.stats);
    Ok(())
}
