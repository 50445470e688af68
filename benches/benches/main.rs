//! Criterion benchmarks.
use criterion::{Criterion, criterion_group, criterion_main};

mod sim;

fn noop(_c: &mut Criterion) {}

criterion_group!(benches, noop, sim::bench);
criterion_main!(benches);
