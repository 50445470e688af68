//! Event-driven backtest throughput: SMA(10)/SMA(30) cross, long only, all in, commission
//! 0.015%, sell tax 0.20%.
//!
//! Workloads (from the foundation issue):
//! - one symbol × 1,000,000 bars;
//! - 2,875 symbols × 500 bars as independent backtests (in parallel on all cores).
//!
//! Target: ≥ 31.4 M bars/s (2× the 15.7 M bars/s vectorbt's Rust engine does on these
//! workloads including signal computation), with the event-driven engine.
//! Measured on the idle 2-core machine (criterion "thrpt", wall clock): one symbol × 1M bars
//! **33.5 M bars/s** (target met); 2,875 × 500 independent runs **30.2 M bars/s** on 2 threads
//! (96% of the target) since client order ids stopped allocating. Under a load average of 2
//! from other work, before that change: 30.2 and 21.9 M bars/s. Per-order work (ids, risk, venue, journal-free fills) dominates the batch,
//! where a trade happens every ~28 bars instead of every ~126; broker order numbers are the
//! next per-order allocation to remove.
//!
//! `sma_cross_1_symbol_1m_bars_from_columns` runs the same bars held as float columns, read a
//! chunk at a time by `Backtest::run_chunked` (what `hantu.backtest` does from Python, so no
//! 56 MB array of bars is built). Target: within 1.25× the slice run (the row checks and the
//! copy into the chunk are all it adds). Measured once on the shared machine (load average
//! 4–5, `--quick`): 48 ms over the slice, 89 ms (median; fastest 84 ms) from columns — 1.8×,
//! target not met on these daily bars; through Python on 1M minute bars the column path costs
//! 38 ms of CPU against 26 ms for the engine over prebuilt bars (1.45×).

use criterion::{BatchSize, Criterion, Throughput, criterion_group};
use hantu_benches::random_walk_bars;
use hantu_core::backtest::{Backtest, BacktestConfig, BatchJob, run_batch};
use hantu_core::domain::{Bar, Price, StockCode, Timestamp};
use hantu_core::strategies::SmaCross;

fn config() -> BacktestConfig {
    BacktestConfig::default().with_cash(100_000_000)
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("backtest");
    g.sample_size(10);
    let one = random_walk_bars("005930", 1_000_000, 1);
    let bt = Backtest::new(config());
    g.throughput(Throughput::Elements(one.len() as u64));
    g.bench_function("sma_cross_1_symbol_1m_bars", |b| {
        b.iter_batched(
            || SmaCross::new(10, 30).expect("valid periods"),
            |mut s| bt.run(&one, &mut s).expect("backtest runs"),
            BatchSize::LargeInput,
        );
    });
    // The same bars held as columns (as a data frame holds them), read a chunk at a time into
    // the engine by `Backtest::run_chunked`: what `hantu.backtest` does from Python, without an
    // array of bars.
    let cols = Columns::of(&one);
    g.bench_function("sma_cross_1_symbol_1m_bars_from_columns", |b| {
        b.iter_batched(
            || SmaCross::new(10, 30).expect("valid periods"),
            |mut s| {
                let mut next = 0;
                let fill = |buf: &mut Vec<Bar>| {
                    let end = (next + 2048).min(cols.len());
                    while next < end && cols.push_bar(next, buf) {
                        next += 1;
                    }
                    if next < end {
                        next = cols.len();
                    }
                };
                bt.run_chunked(fill, 0, &mut s).expect("backtest runs")
            },
            BatchSize::LargeInput,
        );
    });
    let universe: Vec<_> = (0..2_875).map(|i| random_walk_bars(&format!("{:06}", i * 10), 500, i as u64)).collect();
    let jobs: Vec<BatchJob<'_, ()>> = universe.iter().map(|bars| BatchJob { bars, params: () }).collect();
    g.throughput(Throughput::Elements((2_875 * 500) as u64));
    g.bench_function("sma_cross_2875_symbols_500_bars_each", |b| {
        b.iter(|| run_batch(&bt, &jobs, |_| SmaCross::new(10, 30)));
    });
    g.finish();
}
criterion_group!(benches, bench);

/// Bars as float columns, the way pandas holds them.
struct Columns {
    code: StockCode,
    ts: Vec<i64>,
    prices: [Vec<f64>; 4],
    volume: Vec<f64>,
}

impl Columns {
    fn of(bars: &[Bar]) -> Self {
        let col = |f: fn(&Bar) -> f64| bars.iter().map(f).collect::<Vec<_>>();
        Self {
            code: bars.first().map_or_else(|| StockCode::new("005930"), |b| b.code),
            ts: bars.iter().map(|b| b.ts.millis()).collect(),
            prices: [
                col(|b| b.open.as_f64()),
                col(|b| b.high.as_f64()),
                col(|b| b.low.as_f64()),
                col(|b| b.close.as_f64()),
            ],
            volume: col(|b| b.volume as f64),
        }
    }

    fn len(&self) -> usize {
        self.ts.len()
    }

    /// Appends row `i` as a checked bar, written straight into the buffer (as hantu-py does:
    /// a bar built on the stack and copied stalls on store forwarding); false for a bad row.
    #[inline(always)]
    fn push_bar(&self, i: usize, buf: &mut Vec<Bar>) -> bool {
        let price = |c: &[f64]| {
            let (x, w) = (c[i], c[i] as i64);
            (w as f64 == x && (1..=Price::MAX_WON).contains(&w)).then(|| Price::new_checked(w).ok()).flatten()
        };
        let [o, h, l, c] = &self.prices;
        let (Some(open), Some(high), Some(low), Some(close)) = (price(o), price(h), price(l), price(c)) else {
            return false;
        };
        if !(low <= high && low <= open && open <= high && low <= close && close <= high) {
            return false;
        }
        let volume = self.volume[i] as u64;
        buf.push(Bar { code: self.code, ts: Timestamp::from_millis(self.ts[i]), open, high, low, close, volume });
        true
    }
}
