//! Simple moving average (TA-Lib `SMA`).
//!
//! `SMA[i] = (x[i-p+1] + … + x[i]) / p`
//!
//! - **Parameters**: `period` p ≥ 1.
//! - **Warm-up**: `p - 1` bars of NaN.
//! - **Complexity**: O(1) per bar (a running sum updated by `x[i] - x[i-p]`, one add on the
//!   critical path, and a multiply by `1/p`), O(p) memory when streaming.
//! - **TA-Lib**: equal to 1e-9 relative; TA-Lib adds then subtracts and divides, the last bits
//!   differ.

use super::IndicatorError;
use super::util::{check_fits, check_out, check_period, fill_warmup};
use super::window::Ring;

/// Number of leading NaN outputs of [`sma`] for `period`.
#[must_use]
pub fn sma_lookback(period: usize) -> usize {
    period.saturating_sub(1)
}

/// Simple moving average of `input` over `period` bars; NaN for the first `period - 1`.
///
/// ```
/// # fn main() -> Result<(), hantu_core::indicators::IndicatorError> {
/// let out = hantu_core::indicators::sma(&[1.0, 2.0, 3.0, 4.0], 2)?;
/// assert!(out[0].is_nan());
/// assert_eq!(&out[1..], &[1.5, 2.5, 3.5]);
/// # Ok(()) }
/// ```
///
/// # Errors
/// [`IndicatorError::PeriodTooSmall`] for `period == 0`, [`IndicatorError::PeriodTooLong`]
/// when `period > input.len()`.
#[doc(alias = "SMA")]
pub fn sma(input: &[f64], period: usize) -> Result<Vec<f64>, IndicatorError> {
    let mut out = vec![0.0; input.len()];
    sma_into(input, period, &mut out)?;
    Ok(out)
}

/// [`sma`] into `out` (same length as `input`), without allocating.
///
/// # Errors
/// As [`sma`], plus [`IndicatorError::OutputLength`] when `out.len() != input.len()`.
#[doc(alias = "SMA")]
pub fn sma_into(input: &[f64], period: usize, out: &mut [f64]) -> Result<(), IndicatorError> {
    check_period("period", period, 1)?;
    check_fits("period", period, input.len())?;
    check_out("out", out.len(), input.len())?;
    fill_warmup(out, period - 1);
    let inv = 1.0 / period as f64;
    let mut sum = 0.0;
    for &x in &input[..period] {
        sum += x;
    }
    out[period - 1] = sum * inv;
    // Zipping the leaving and entering values lets the compiler drop bounds checks.
    for ((o, &x), &old) in out[period..].iter_mut().zip(&input[period..]).zip(input) {
        sum += x - old;
        *o = sum * inv;
    }
    Ok(())
}

/// Streaming [`sma`].
///
/// ```
/// # fn main() -> Result<(), hantu_core::indicators::IndicatorError> {
/// let mut sma = hantu_core::indicators::Sma::new(2)?;
/// assert!(sma.next(1.0).is_nan());
/// assert_eq!(sma.next(2.0), 1.5);
/// # Ok(()) }
/// ```
#[doc(alias = "SMA")]
#[derive(Debug, Clone)]
pub struct Sma {
    ring: Ring,
    inv: f64,
    sum: f64,
}

impl Sma {
    /// An SMA over `period` bars.
    ///
    /// # Errors
    /// [`IndicatorError::PeriodTooSmall`] for `period == 0`.
    pub fn new(period: usize) -> Result<Self, IndicatorError> {
        check_period("period", period, 1)?;
        Ok(Self { ring: Ring::new(period), inv: 1.0 / period as f64, sum: 0.0 })
    }

    /// Feeds one value; returns the average, NaN until `period` values were seen.
    #[inline]
    pub fn next(&mut self, x: f64) -> f64 {
        match self.ring.push(x) {
            Some(old) => self.sum += x - old,
            None => self.sum += x,
        }
        if self.ring.is_full() { self.sum * self.inv } else { f64::NAN }
    }

    /// Whether the warm-up is over.
    #[must_use]
    pub fn is_ready(&self) -> bool {
        self.ring.is_full()
    }

    /// Forgets all values.
    pub fn reset(&mut self) {
        self.ring.clear();
        self.sum = 0.0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::indicators::testing::{assert_same, assert_warmup, closes};
    use proptest::prelude::*;

    #[test]
    fn rejects_bad_periods() {
        assert!(matches!(sma(&[1.0], 0), Err(IndicatorError::PeriodTooSmall { .. })));
        assert!(matches!(sma(&[1.0], 2), Err(IndicatorError::PeriodTooLong { period: 2, len: 1, .. })));
        assert!(matches!(sma_into(&[1.0, 2.0], 1, &mut [0.0]), Err(IndicatorError::OutputLength { .. })));
    }

    #[test]
    fn nan_input_poisons_later_outputs() {
        let out = sma(&[1.0, f64::NAN, 3.0, 4.0, 5.0], 2).unwrap();
        assert!(out[0].is_nan());
        assert!(out[1..].iter().all(|v| v.is_nan()));
    }

    #[test]
    fn reset_starts_over() {
        let mut s = Sma::new(2).unwrap();
        s.next(10.0);
        s.next(20.0);
        s.reset();
        assert!(s.next(1.0).is_nan());
        assert_eq!(s.next(3.0), 2.0);
    }

    proptest! {
        #[test]
        fn prop_streaming_matches_batch(x in closes(), p in 1usize..40) {
            prop_assume!(p <= x.len());
            let batch = sma(&x, p).unwrap();
            let mut s = Sma::new(p).unwrap();
            let stream: Vec<f64> = x.iter().map(|&v| s.next(v)).collect();
            assert_same(&batch, &stream);
            assert_warmup(&batch, sma_lookback(p));
        }
    }
}
