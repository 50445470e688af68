//! Criterion benchmarks: one binary, one module per area.
//!
//! Add an area as `mod x;` plus its group in `criterion_main!`.
//! Quick run: `cargo bench -p hantu-benches -- --warm-up-time 1 --measurement-time 2 [filter]`.

use criterion::criterion_main;

mod backtest;
mod indicators;
mod kis;
mod realtime;
mod screen;
mod sim;
mod store;

criterion_main!(
    indicators::benches,
    backtest::benches,
    sim::benches,
    store::benches,
    kis::benches,
    screen::benches,
    realtime::benches
);
