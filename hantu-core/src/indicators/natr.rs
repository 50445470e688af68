//! Normalised average true range (TA-Lib `NATR`): `100·ATR / close`.
//!
//! - **Parameters**: `period` p ≥ 1.
//! - **Warm-up**: `p` bars of NaN.
//! - **Complexity**: O(1) per bar and O(1) memory; the ATR kernel of [`atr`](super::atr).
//! - **TA-Lib quirk kept**: 0 when the close is within 1e-8 of zero.
//!
//! ```
//! # fn main() -> Result<(), hantu_core::indicators::IndicatorError> {
//! let out = hantu_core::indicators::natr(&[10.0, 11.0], &[9.0, 9.0], &[9.5, 10.0], 1)?;
//! assert_eq!(out[1], 20.0); // ATR 2 on a close of 10
//! # Ok(()) }
//! ```

use super::IndicatorError;
use super::atr::{Atr, wilder_atr};
use super::util::{check_fits, check_hlc_lengths, check_out, check_period, is_zero};

/// Number of leading NaN outputs of [`natr`] for `period`.
#[must_use]
pub fn natr_lookback(period: usize) -> usize {
    period
}

/// Normalised ATR over `period` bars, in percent of the close.
///
/// # Errors
/// As [`atr`](super::atr()).
#[doc(alias = "NATR")]
pub fn natr(high: &[f64], low: &[f64], close: &[f64], period: usize) -> Result<Vec<f64>, IndicatorError> {
    let mut out = vec![0.0; close.len()];
    natr_into(high, low, close, period, &mut out)?;
    Ok(out)
}

/// [`natr`] into `out`, without allocating.
///
/// # Errors
/// As [`natr`], plus [`IndicatorError::OutputLength`] when `out` has the wrong length.
#[doc(alias = "NATR")]
#[multiversion::multiversion(targets("x86_64+avx2+fma", "x86_64+avx"))]
pub fn natr_into(
    high: &[f64],
    low: &[f64],
    close: &[f64],
    period: usize,
    out: &mut [f64],
) -> Result<(), IndicatorError> {
    check_period("period", period, 1)?;
    check_hlc_lengths(high, low, close)?;
    check_fits("period", period, close.len())?;
    check_out("out", out.len(), close.len())?;
    wilder_atr(high, low, close, period, out, normalise)
}

#[inline(always)]
fn normalise(atr: f64, close: f64) -> f64 {
    if is_zero(close) { 0.0 } else { (atr / close) * 100.0 }
}

/// Streaming [`natr`].
#[doc(alias = "NATR")]
#[derive(Debug, Clone)]
pub struct Natr {
    atr: Atr,
}

impl Natr {
    /// A NATR over `period` bars.
    ///
    /// # Errors
    /// [`IndicatorError::PeriodTooSmall`] for `period == 0`.
    pub fn new(period: usize) -> Result<Self, IndicatorError> {
        Ok(Self { atr: Atr::new(period)? })
    }

    /// Feeds one bar; NaN for the first `period`.
    #[inline]
    pub fn next(&mut self, high: f64, low: f64, close: f64) -> f64 {
        normalise(self.atr.next(high, low, close), close)
    }

    /// Forgets all bars.
    pub fn reset(&mut self) {
        self.atr.reset();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::indicators::testing::{assert_close, assert_warmup, bars};
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn prop_streaming_matches_batch((h, l, c, _v) in bars(), p in 1usize..30) {
            prop_assume!(p <= h.len());
            let out = natr(&h, &l, &c, p).unwrap();
            assert_warmup(&out, p.min(h.len()));
            let mut s = Natr::new(p).unwrap();
            assert_close(&out, &(0..h.len()).map(|i| s.next(h[i], l[i], c[i])).collect::<Vec<_>>());
        }
    }
}
