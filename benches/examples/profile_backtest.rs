//! Runs the backtest benchmark workloads once each (best of five), for profilers (`perf record`,
//! callgrind): SMA(10)/SMA(30) cross over one symbol × 1,000,000 bars, and over 2,875 symbols ×
//! 500 bars as independent backtests.
//!
//! Run with: `cargo run --profile bench -p hantu-benches --example profile_backtest [one|batch]`

use hantu_benches::random_walk_bars;
use hantu_core::backtest::{Backtest, BacktestConfig, BatchJob, run_batch};
use hantu_core::strategies::SmaCross;

fn best_of<T>(n: usize, mut f: impl FnMut() -> T) -> (T, std::time::Duration) {
    let mut best = std::time::Duration::MAX;
    let mut out = None;
    for _ in 0..n {
        let t = std::time::Instant::now();
        out = Some(f());
        best = best.min(t.elapsed());
    }
    (out.expect("ran at least once"), best)
}

fn main() -> Result<(), hantu_core::Error> {
    let which = std::env::args().nth(1).unwrap_or_else(|| "one".into());
    let bt = Backtest::new(BacktestConfig::default().with_cash(100_000_000));
    if which == "batch" {
        let n: usize = std::env::args().nth(2).and_then(|x| x.parse().ok()).unwrap_or(2_875);
        let universe: Vec<_> = (0..n).map(|i| random_walk_bars(&format!("{:06}", i * 10), 500, i as u64)).collect();
        let jobs: Vec<BatchJob<'_, ()>> = universe.iter().map(|bars| BatchJob { bars, params: () }).collect();
        let (reports, el) = best_of(if n < 2_875 { 1 } else { 5 }, || run_batch(&bt, &jobs, |_| SmaCross::new(10, 30)));
        let fills: usize = reports.iter().map(|r| r.as_ref().map_or(0, |r| r.fills.len())).sum();
        println!("2,875 × 500 bars in {el:.1?} = {:.1} M bars/s; {fills} fills", 1_437_500.0 / el.as_secs_f64() / 1e6);
        return Ok(());
    }
    let bars = random_walk_bars("005930", 1_000_000, 1);
    let (r, el) = best_of(5, || bt.run(&bars, &mut SmaCross::new(10, 30).expect("valid periods")));
    let r = r?;
    println!(
        "{} bars in {el:.1?} = {:.1} M bars/s; {} orders, {} fills, {} trades",
        r.bars,
        r.bars as f64 / el.as_secs_f64() / 1e6,
        r.orders.len(),
        r.fills.len(),
        r.trades.len()
    );
    Ok(())
}
