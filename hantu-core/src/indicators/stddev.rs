//! Standard deviation over a window (TA-Lib `STDDEV`).
//!
//! `STDDEV = sqrt(VAR)·nbdev` with [`var`](super::var)'s population variance.
//!
//! - **Parameters**: `period` p ≥ 2, `nbdev` a finite multiplier (TA-Lib's default 1).
//! - **Warm-up**: `p - 1` bars of NaN.
//! - **Complexity**: O(1) per bar; batch shares VAR's kernel, which reads the leaving value
//!   from the input instead of a ring.
//! - **TA-Lib quirk kept**: a variance below 1e-8 (cancellation can make it slightly negative)
//!   gives 0.
//!
//! ```
//! # fn main() -> Result<(), hantu_core::indicators::IndicatorError> {
//! let out = hantu_core::indicators::stddev(&[1.0, 3.0, 5.0], 2, 2.0)?;
//! assert_eq!(&out[1..], &[2.0, 2.0]);
//! # Ok(()) }
//! ```

use super::IndicatorError;
use super::util::{TA_EPSILON, check_fits, check_out, check_period};
use super::var::{Var, window_variance};

/// Number of leading NaN outputs of [`stddev`] for `period`.
#[must_use]
pub fn stddev_lookback(period: usize) -> usize {
    period.saturating_sub(1)
}

/// Standard deviation over `period` bars times `nbdev`: one output per bar, NaN in the warm-up.
///
/// # Errors
/// [`IndicatorError::PeriodTooSmall`] for `period < 2`, [`IndicatorError::Param`] for a
/// non-finite `nbdev`, [`IndicatorError::PeriodTooLong`] when `period` exceeds the input.
#[doc(alias = "STDDEV")]
pub fn stddev(input: &[f64], period: usize, nbdev: f64) -> Result<Vec<f64>, IndicatorError> {
    let mut out = vec![0.0; input.len()];
    stddev_into(input, period, nbdev, &mut out)?;
    Ok(out)
}

/// [`stddev`] into `out` (one slot per bar), without allocating.
///
/// # Errors
/// As [`stddev`], plus [`IndicatorError::OutputLength`] when `out` has the wrong length.
#[doc(alias = "STDDEV")]
pub fn stddev_into(input: &[f64], period: usize, nbdev: f64, out: &mut [f64]) -> Result<(), IndicatorError> {
    StdDev::new(period, nbdev)?;
    check_fits("period", period, input.len())?;
    check_out("out", out.len(), input.len())?;
    window_variance(input, period, out, |v| deviation(v, nbdev));
    Ok(())
}

/// TA-Lib's standard deviation from a variance.
#[inline(always)]
fn deviation(v: f64, nbdev: f64) -> f64 {
    // `v < eps` is false for NaN, so NaN stays NaN.
    if v < TA_EPSILON { 0.0 } else { v.sqrt() * nbdev }
}

/// Streaming [`stddev`].
#[doc(alias = "STDDEV")]
#[derive(Debug, Clone)]
pub struct StdDev {
    var: Var,
    nbdev: f64,
}

impl StdDev {
    /// A standard deviation over `period` bars, times `nbdev`.
    ///
    /// # Errors
    /// [`IndicatorError::PeriodTooSmall`] for `period < 2`, [`IndicatorError::Param`] for a
    /// non-finite `nbdev`.
    pub fn new(period: usize, nbdev: f64) -> Result<Self, IndicatorError> {
        check_period("period", period, 2)?;
        if !nbdev.is_finite() {
            return Err(IndicatorError::Param { param: "nbdev", reason: format!("{nbdev} is not finite") });
        }
        Ok(Self { var: Var::new(period)?, nbdev })
    }

    /// Feeds one value; NaN until `period` values were seen.
    #[inline]
    pub fn next(&mut self, x: f64) -> f64 {
        deviation(self.var.next(x), self.nbdev)
    }

    /// Forgets all values.
    pub fn reset(&mut self) {
        self.var.reset();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::indicators::testing::{assert_warmup, closes};
    use proptest::prelude::*;

    #[test]
    fn rejects_bad_params() {
        assert!(matches!(stddev(&[1.0; 3], 1, 1.0), Err(IndicatorError::PeriodTooSmall { .. })));
        assert!(matches!(stddev(&[1.0; 3], 2, f64::INFINITY), Err(IndicatorError::Param { .. })));
        assert_eq!(stddev(&[4.0; 3], 2, 1.0).unwrap()[2], 0.0);
    }

    proptest! {
        #[test]
        fn prop_is_sqrt_of_var(x in closes(), p in 2usize..30) {
            prop_assume!(p <= x.len());
            let sd = stddev(&x, p, 1.5).unwrap();
            let v = crate::indicators::var(&x, p).unwrap();
            assert_warmup(&sd, p - 1);
            for i in p - 1..x.len() {
                let want = if v[i] < 1e-8 { 0.0 } else { v[i].sqrt() * 1.5 };
                prop_assert_eq!(sd[i], want);
            }
        }
    }
}
