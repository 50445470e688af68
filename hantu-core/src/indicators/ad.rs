//! Chaikin accumulation/distribution line (TA-Lib `AD`).
//!
//! `AD[i] = AD[i-1] + ((close - low) - (high - close)) / (high - low) · volume`, the term
//! skipped when `high == low`; `AD` starts from the first bar's term.
//!
//! - **Parameters**: none.
//! - **Warm-up**: none.
//! - **Complexity**: O(1) per bar and O(1) memory.
//!
//! ```
//! # fn main() -> Result<(), hantu_core::indicators::IndicatorError> {
//! let out = hantu_core::indicators::ad(&[10.0, 10.0], &[0.0, 0.0], &[10.0, 5.0], &[3.0, 4.0])?;
//! assert_eq!(out, vec![3.0, 3.0]); // close at the high adds the volume; mid-range adds 0
//! # Ok(()) }
//! ```

use super::IndicatorError;
use super::util::{check_len, check_out, high_below_low};

/// Number of leading NaN outputs of [`ad`]: 0.
#[must_use]
pub fn ad_lookback() -> usize {
    0
}

/// TA-Lib `AD` over a whole series: one output per bar (see the module docs and [`Ad`]).
///
/// # Errors
/// [`IndicatorError::LengthMismatch`] or [`IndicatorError::HighBelowLow`] for inconsistent bars.
#[doc(alias = "AD")]
pub fn ad(high: &[f64], low: &[f64], close: &[f64], volume: &[f64]) -> Result<Vec<f64>, IndicatorError> {
    let mut out = vec![0.0; close.len()];
    ad_into(high, low, close, volume, &mut out)?;
    Ok(out)
}

/// Bars whose money-flow terms are computed together before they are summed.
const BLOCK: usize = 64;

/// [`ad`] into `out` (one slot per bar), without allocating.
///
/// Each block of bars first gets its terms — `((c - l) - (h - c)) / (h - l) · v`, or 0 for a
/// bar without range — in a loop without a carried value, which the compiler vectorises (the
/// division, the costly part, then runs two bars at a time); the running sum then adds them in
/// order. Adding 0 leaves the line as it is, so the values equal [`Ad`]'s bit for bit.
///
/// # Errors
/// As [`ad`], plus [`IndicatorError::OutputLength`] when `out` has the wrong length.
#[doc(alias = "AD")]
#[multiversion::multiversion(targets("x86_64+avx2+fma", "x86_64+avx"))]
pub fn ad_into(
    high: &[f64],
    low: &[f64],
    close: &[f64],
    volume: &[f64],
    out: &mut [f64],
) -> Result<(), IndicatorError> {
    let n = close.len();
    check_len("high", high.len(), "close", n)?;
    check_len("low", low.len(), "close", n)?;
    check_len("volume", volume.len(), "close", n)?;
    check_out("out", out.len(), n)?;
    let mut line = 0.0;
    // `high >= low` is checked as the bars are read, which saves a pass over memory.
    let mut bad = false;
    let blocks = high.chunks(BLOCK).zip(low.chunks(BLOCK)).zip(close.chunks(BLOCK)).zip(volume.chunks(BLOCK));
    for ((((h, l), c), v), o) in blocks.zip(out.chunks_mut(BLOCK)) {
        for ((((o, &h), &l), &c), &v) in o.iter_mut().zip(h).zip(l).zip(c).zip(v) {
            let range = h - l;
            bad |= h < l;
            let term = ((c - l) - (h - c)) / range * v;
            *o = if range > 0.0 { term } else { 0.0 };
        }
        for o in o.iter_mut() {
            line += *o;
            *o = line;
        }
    }
    if bad { Err(high_below_low(high, low)) } else { Ok(()) }
}

/// TA-Lib's `CALCULATE_AD` step.
#[inline(always)]
pub(crate) fn ad_step(ad: f64, high: f64, low: f64, close: f64, volume: f64) -> f64 {
    let range = high - low;
    if range > 0.0 { ad + (((close - low) - (high - close)) / range) * volume } else { ad }
}

/// Streaming [`ad`].
#[doc(alias = "AD")]
#[derive(Debug, Clone, Default)]
pub struct Ad {
    value: f64,
}

impl Ad {
    /// An A/D line (infallible; `Result` for a uniform API).
    ///
    /// # Errors
    /// Never.
    pub fn new() -> Result<Self, IndicatorError> {
        Ok(Self::default())
    }

    /// Feeds one bar; returns the line.
    #[inline]
    pub fn next(&mut self, high: f64, low: f64, close: f64, volume: f64) -> f64 {
        self.value = ad_step(self.value, high, low, close, volume);
        self.value
    }

    /// Starts over from 0.
    pub fn reset(&mut self) {
        self.value = 0.0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::indicators::testing::bars;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn prop_matches_formula((h, l, c, v) in bars()) {
            let out = ad(&h, &l, &c, &v).unwrap();
            let mut acc = 0.0;
            for i in 0..h.len() {
                if h[i] > l[i] {
                    acc += ((c[i] - l[i]) - (h[i] - c[i])) / (h[i] - l[i]) * v[i];
                }
                prop_assert_eq!(out[i], acc);
            }
        }
    }
}
