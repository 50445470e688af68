//! Helpers for the indicator unit and property tests.

use proptest::prelude::*;

/// Asserts two series are equal bit for bit, NaN positions included.
pub(crate) fn assert_same(batch: &[f64], stream: &[f64]) {
    assert_eq!(batch.len(), stream.len(), "lengths differ");
    for (i, (a, b)) in batch.iter().zip(stream).enumerate() {
        assert!(a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan()), "bar {i}: batch {a} != streaming {b}");
    }
}

/// Asserts `series` is NaN exactly on the first `lookback` bars.
pub(crate) fn assert_warmup(series: &[f64], lookback: usize) {
    for (i, v) in series.iter().enumerate() {
        assert_eq!(v.is_nan(), i < lookback, "bar {i}: {v} (lookback {lookback})");
    }
}

/// A random-walk close series of 1..300 bars around 50,000 won with flat stretches.
pub(crate) fn closes() -> impl Strategy<Value = Vec<f64>> {
    prop::collection::vec((-3i32..=3, 0u8..4), 1..300).prop_map(|steps| {
        let mut p = 50_000.0;
        steps
            .into_iter()
            .map(|(s, flat)| {
                if flat != 0 {
                    p += f64::from(s) * 50.0;
                }
                p
            })
            .collect()
    })
}

/// Random OHLCV bars: `(high, low, close, volume)` with `low <= close <= high`.
pub(crate) fn bars() -> impl Strategy<Value = (Vec<f64>, Vec<f64>, Vec<f64>, Vec<f64>)> {
    prop::collection::vec((-3i32..=3, 0u8..4, 0u8..4, 0u32..100_000), 1..300).prop_map(|rows| {
        let mut p = 50_000.0;
        let (mut h, mut l, mut c, mut v) = (vec![], vec![], vec![], vec![]);
        for (s, up, dn, vol) in rows {
            p += f64::from(s) * 50.0;
            h.push(p + f64::from(up) * 50.0);
            l.push(p - f64::from(dn) * 50.0);
            c.push(p);
            v.push(f64::from(vol));
        }
        (h, l, c, v)
    })
}

/// Asserts two series agree to `1e-12 · max(|a|, |b|, 1)`, NaN positions exactly.
pub(crate) fn assert_close(batch: &[f64], stream: &[f64]) {
    assert_close_scaled(batch, stream, 1.0);
}

/// Asserts two series agree to `1e-12 · max(|a|, |b|, scale)`, NaN positions exactly; `scale`
/// is the magnitude of the inputs for outputs that are differences of them (MACD).
pub(crate) fn assert_close_scaled(batch: &[f64], stream: &[f64], scale: f64) {
    assert_eq!(batch.len(), stream.len(), "lengths differ");
    for (i, (a, b)) in batch.iter().zip(stream).enumerate() {
        assert_eq!(a.is_nan(), b.is_nan(), "bar {i}: batch {a} vs streaming {b}");
        if !a.is_nan() {
            assert!((a - b).abs() <= 1e-12 * a.abs().max(b.abs()).max(scale), "bar {i}: batch {a} vs streaming {b}");
        }
    }
}
