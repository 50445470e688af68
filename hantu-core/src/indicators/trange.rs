//! True range (TA-Lib `TRANGE`).
//!
//! `TR[i] = max(high[i] - low[i], |high[i] - close[i-1]|, |low[i] - close[i-1]|)`
//!
//! - **Parameters**: none.
//! - **Warm-up**: 1 bar of NaN (the first bar has no previous close, as in TA-Lib).
//! - **Complexity**: O(1) per bar and O(1) memory; batch reads each input once (the
//!   `high >= low` check rides along).

use super::IndicatorError;
use super::util::{check_hlc_lengths, check_out, fill_warmup, high_below_low};

/// Number of leading NaN outputs of [`trange`]: 1.
#[must_use]
pub fn trange_lookback() -> usize {
    1
}

/// True range of each bar.
///
/// ```
/// # fn main() -> Result<(), hantu_core::indicators::IndicatorError> {
/// let out = hantu_core::indicators::trange(&[10.0, 12.0], &[8.0, 11.0], &[9.0, 11.5])?;
/// assert!(out[0].is_nan());
/// assert_eq!(out[1], 3.0); // gap up: 12 - 9
/// # Ok(()) }
/// ```
///
/// # Errors
/// [`IndicatorError::LengthMismatch`] when the inputs differ in length,
/// [`IndicatorError::HighBelowLow`] when a bar has `high < low`.
#[doc(alias = "TRANGE")]
pub fn trange(high: &[f64], low: &[f64], close: &[f64]) -> Result<Vec<f64>, IndicatorError> {
    let mut out = vec![0.0; close.len()];
    trange_into(high, low, close, &mut out)?;
    Ok(out)
}

/// [`trange`] into `out`, without allocating.
///
/// # Errors
/// As [`trange`], plus [`IndicatorError::OutputLength`] when `out` has the wrong length.
#[doc(alias = "TRANGE")]
#[multiversion::multiversion(targets("x86_64+avx2+fma", "x86_64+avx"))]
pub fn trange_into(high: &[f64], low: &[f64], close: &[f64], out: &mut [f64]) -> Result<(), IndicatorError> {
    check_hlc_lengths(high, low, close)?;
    check_out("out", out.len(), close.len())?;
    fill_warmup(out, 1);
    let n = close.len();
    let mut bad = n > 0 && high[0] < low[0];
    if n > 1 {
        // One pass: `high >= low` is checked while the bars are read (a separate check read
        // high and low twice), over slices of one length so the loop has no bounds checks.
        let (h, l, pc, o) = (&high[1..n], &low[1..n], &close[..n - 1], &mut out[1..n]);
        for i in 0..o.len() {
            bad |= h[i] < l[i];
            o[i] = true_range(h[i], l[i], pc[i]);
        }
    }
    if bad { Err(high_below_low(high, low)) } else { Ok(()) }
}

/// TA-Lib's `TRUE_RANGE` macro, comparisons in its order: a NaN high or low propagates, a NaN
/// previous close is passed over.
#[inline(always)]
pub(crate) fn true_range(high: f64, low: f64, prev_close: f64) -> f64 {
    // Written as selects (compiled to `maxsd`), not branches: their direction is random.
    let range = high - low;
    let up = (high - prev_close).abs();
    let tr = if up > range { up } else { range };
    let down = (low - prev_close).abs();
    if down > tr { down } else { tr }
}

/// Streaming [`trange`].
#[doc(alias = "TRANGE")]
#[derive(Debug, Clone, Default)]
pub struct TRange {
    prev_close: Option<f64>,
}

impl TRange {
    /// A true-range stream (infallible; `Result` for a uniform API).
    ///
    /// # Errors
    /// Never.
    pub fn new() -> Result<Self, IndicatorError> {
        Ok(Self::default())
    }

    /// Feeds one bar; NaN on the first.
    #[inline]
    pub fn next(&mut self, high: f64, low: f64, close: f64) -> f64 {
        let out = match self.prev_close {
            Some(pc) => true_range(high, low, pc),
            None => f64::NAN,
        };
        self.prev_close = Some(close);
        out
    }

    /// Forgets the previous close.
    pub fn reset(&mut self) {
        self.prev_close = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::indicators::testing::{assert_same, bars};
    use proptest::prelude::*;

    #[test]
    fn rejects_bad_bars() {
        assert!(matches!(trange(&[1.0], &[2.0], &[1.5]), Err(IndicatorError::HighBelowLow { index: 0, .. })));
        assert!(matches!(trange(&[2.0], &[1.0], &[]), Err(IndicatorError::LengthMismatch { .. })));
    }

    proptest! {
        #[test]
        fn prop_streaming_matches_batch((h, l, c, _v) in bars()) {
            let batch = trange(&h, &l, &c).unwrap();
            let mut t = TRange::new().unwrap();
            let stream: Vec<f64> = (0..c.len()).map(|i| t.next(h[i], l[i], c[i])).collect();
            assert_same(&batch, &stream);
        }
    }
}
