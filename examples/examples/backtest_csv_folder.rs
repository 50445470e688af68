//! Backtest RSI mean reversion over a folder of daily-bar CSV files, one independent run per
//! stock, in parallel.
//!
//! Run with: `cargo run -p hantu-examples --example backtest_csv_folder -- [DIR]`
//! DIR defaults to the small bundled folder `examples/data/daily`; any folder laid out like
//! it (`<code>.csv` with `date,open,high,low,close,volume`) works.

use hantu_core::backtest::{Backtest, BacktestConfig, BatchJob, run_batch};
use hantu_core::strategies::RsiReversion;

fn main() -> anyhow::Result<()> {
    let dir = std::env::args().nth(1).unwrap_or_else(|| concat!(env!("CARGO_MANIFEST_DIR"), "/data/daily").to_owned());
    let folder = hantu_core::io::read_csv_dir(&dir)?;
    for r in folder.reports.iter().filter(|r| !r.is_clean()) {
        eprintln!("{}: {} rows rejected", r.path.display(), r.rejected.len());
    }
    let jobs: Vec<BatchJob<'_, ()>> = folder.series.iter().map(|(_, bars)| BatchJob { bars, params: () }).collect();
    let bt = Backtest::new(BacktestConfig::default().with_cash(10_000_000));
    let reports = run_batch(&bt, &jobs, |_| RsiReversion::new(2, 10.0, 90.0, 100));
    for ((code, _), report) in folder.series.iter().zip(reports) {
        let r = report?;
        println!(
            "{code}: return {:>7.2}%  trades {:>3}  max drawdown {:>7.2}%",
            r.stats.total_return * 100.0,
            r.stats.trades,
            r.stats.max_drawdown * 100.0
        );
    }
    Ok(())
}
