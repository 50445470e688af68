//! Shared inputs for the benchmarks: deterministic synthetic series (no RNG crate, no data files).

use chrono::{Duration, NaiveDate};
use hantu_core::domain::{Bar, Price, StockCode, Timestamp};
use hantu_core::krx::TickTable;

/// A 64-bit LCG (Knuth's MMIX constants): fast, deterministic, good enough for bench data.
#[derive(Clone, Debug)]
pub struct Lcg(u64);

impl Lcg {
    /// Seeded generator.
    #[must_use]
    pub fn new(seed: u64) -> Self {
        Self(seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407))
    }

    /// Uniform in [0, 1).
    pub fn next_f64(&mut self) -> f64 {
        self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// `n` daily bars of a random walk on the KRX tick grid, one per calendar day from 2026-01-02
/// (so the 2026 tax rate of 0.20% applies), with ample volume.
#[must_use]
pub fn random_walk_bars(code: &str, n: usize, seed: u64) -> Vec<Bar> {
    let code = StockCode::new(code);
    let table = TickTable::current();
    let start = NaiveDate::from_ymd_opt(2026, 1, 2).unwrap_or_default();
    let mut rng = Lcg::new(seed);
    let mut close = 50_000.0f64;
    (0..n)
        .map(|i| {
            let open = close * (1.0 + (rng.next_f64() - 0.5) * 0.01);
            close = (open * (1.0 + (rng.next_f64() - 0.5) * 0.04)).clamp(1_000.0, 400_000.0);
            let hi = open.max(close) * (1.0 + rng.next_f64() * 0.01);
            let lo = open.min(close) * (1.0 - rng.next_f64() * 0.01);
            let p = |x: f64| Price::new(table.round_nearest(x as i64).max(1));
            let (o, c) = (p(open), p(close));
            let h = p(hi).max(o).max(c);
            let l = p(lo).min(o).min(c);
            let ts = Timestamp::daily_close(start + Duration::days(i as i64));
            Bar { code, ts, open: o, high: h, low: l, close: c, volume: 1_000_000_000 }
        })
        .collect()
}

/// The closes of `bars` as floats.
#[must_use]
pub fn closes(bars: &[Bar]) -> Vec<f64> {
    bars.iter().map(|b| b.close.as_f64()).collect()
}
