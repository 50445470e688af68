//! The simulated market: generating the default universe and expanding a day into minutes.
//!
//! Target: the default 2,875 stocks × 500 days (1.44 M bars) in well under a second. Measured
//! on the 2-core development machine while other builds kept it busy (load ≈ 3.5, so the second
//! core was rarely free): `generate_2875x500` 292 ms (2 threads), 311 ms on one thread
//! (≈ 4.6 M bars/s); `minute_bars_one_day` (381 one-minute bars) 64 µs.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group};
use hantu_core::sim::{SimConfig, SimMarket};

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("sim");
    group.sample_size(10);
    let default = SimConfig::default();
    group.throughput(Throughput::Elements((default.stocks * default.days) as u64));
    group.bench_function("generate_2875x500", |b| b.iter(|| SimMarket::generate(black_box(&default))));
    let one = rayon::ThreadPoolBuilder::new().num_threads(1).build();
    if let Ok(pool) = one {
        group.bench_function("generate_2875x500_one_thread", |b| {
            b.iter(|| pool.install(|| SimMarket::generate(black_box(&default))))
        });
    }
    group.finish();

    let market = SimMarket::generate(&SimConfig::new(10, 60, 1));
    if let Ok(market) = market {
        let code = market.instruments[0].code;
        let date = market.dates()[30];
        let mut buf = Vec::new();
        c.bench_function("sim/minute_bars_one_day", |b| {
            b.iter(|| market.minute_bars_into(black_box(code), black_box(date), &mut buf))
        });
    }
}

criterion_group!(benches, bench);
