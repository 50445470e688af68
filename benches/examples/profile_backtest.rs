//! Runs the 1-symbol × 1M-bar SMA-cross backtest once, for profilers (`perf record`, callgrind).
//!
//! Run with: `cargo run --release -p hantu-benches --example profile_backtest`

use hantu_benches::random_walk_bars;
use hantu_core::backtest::{Backtest, BacktestConfig};
use hantu_core::strategies::SmaCross;

fn main() -> Result<(), hantu_core::Error> {
    let bars = random_walk_bars("005930", 1_000_000, 1);
    let bt = Backtest::new(BacktestConfig::default().with_cash(100_000_000));
    // Best of five: the machine may be busy with other work.
    let mut best = std::time::Duration::MAX;
    let mut report = None;
    for _ in 0..5 {
        let t = std::time::Instant::now();
        let mut s = SmaCross::new(10, 30)?;
        let r = bt.run(&bars, &mut s)?;
        best = best.min(t.elapsed());
        report = Some(r);
    }
    let (r, el) = (report.expect("ran five times"), best);
    println!(
        "{} bars in {:.1?} = {:.1} M bars/s; {} orders, {} fills, {} trades",
        r.bars,
        el,
        r.bars as f64 / el.as_secs_f64() / 1e6,
        r.orders.len(),
        r.fills.len(),
        r.trades.len()
    );
    Ok(())
}
