//! The criterion benchmarks of hantu, one binary with a module per area.
//!
//! Run all: `cargo bench -p hantu-benches`; one area: `cargo bench -p hantu-benches -- backtest`.

use criterion::{criterion_group, criterion_main};

mod backtest;

criterion_group!(benches, backtest::bench);
criterion_main!(benches);
