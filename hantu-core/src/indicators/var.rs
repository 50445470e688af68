//! Population variance over a window (TA-Lib `VAR`).
//!
//! `VAR = mean(x²) - mean(x)²` over the last `p` bars.
//!
//! - **Parameters**: `period` p ≥ 1.
//! - **Warm-up**: `p - 1` bars of NaN.
//! - **Complexity**: O(1) per bar (running sums of `x` and `x²`); streaming keeps the last p
//!   values, batch reads the leaving value from the input.
//! - **TA-Lib quirk**: TA-Lib's `VAR` takes an `nbdev` argument and ignores it; this function
//!   has no such argument.
//!
//! ```
//! # fn main() -> Result<(), hantu_core::indicators::IndicatorError> {
//! let out = hantu_core::indicators::var(&[1.0, 3.0, 5.0], 2)?;
//! assert_eq!(&out[1..], &[1.0, 1.0]);
//! # Ok(()) }
//! ```

use super::IndicatorError;
use super::util::{check_fits, check_out, check_period, fill_warmup};
use super::window::Ring;

/// Number of leading NaN outputs of [`var`] for `period`.
#[must_use]
pub fn var_lookback(period: usize) -> usize {
    period.saturating_sub(1)
}

/// Population variance over `period` bars: one output per bar, NaN in the warm-up.
///
/// # Errors
/// [`IndicatorError::PeriodTooSmall`] for `period == 0`, [`IndicatorError::PeriodTooLong`]
/// when `period` exceeds the input.
#[doc(alias = "VAR")]
pub fn var(input: &[f64], period: usize) -> Result<Vec<f64>, IndicatorError> {
    let mut out = vec![0.0; input.len()];
    var_into(input, period, &mut out)?;
    Ok(out)
}

/// [`var`] into `out` (one slot per bar), without allocating.
///
/// # Errors
/// As [`var`], plus [`IndicatorError::OutputLength`] when `out` has the wrong length.
#[doc(alias = "VAR")]
pub fn var_into(input: &[f64], period: usize, out: &mut [f64]) -> Result<(), IndicatorError> {
    check_period("period", period, 1)?;
    check_fits("period", period, input.len())?;
    check_out("out", out.len(), input.len())?;
    window_variance(input, period, out, |v| v);
    Ok(())
}

/// The batch kernel of VAR and STDDEV: `out[i] = map(variance of the window ending at i)` from
/// `period - 1` on (NaN before), with the running sums of [`Var`] updated in the same order,
/// so batch and streaming agree bit for bit. The value leaving the window is read from the
/// input at an offset instead of a ring (`period <= input.len() == out.len()`).
#[inline(always)]
pub(crate) fn window_variance(input: &[f64], period: usize, out: &mut [f64], map: impl Fn(f64) -> f64) {
    let inv = 1.0 / period as f64;
    let (mut sum, mut sq) = (0.0, 0.0);
    fill_warmup(out, period - 1);
    let value = |sum: f64, sq: f64| {
        let mean = sum * inv;
        map(sq * inv - mean * mean)
    };
    for &x in &input[..period] {
        sum += x;
        sq += x * x;
    }
    out[period - 1] = value(sum, sq);
    for ((o, &x), &old) in out[period..].iter_mut().zip(&input[period..]).zip(input) {
        sum += x - old;
        sq += x * x - old * old;
        *o = value(sum, sq);
    }
}

/// Streaming [`var`].
#[doc(alias = "VAR")]
#[derive(Debug, Clone)]
pub struct Var {
    ring: Ring,
    inv: f64,
    sum: f64,
    sq: f64,
}

impl Var {
    /// A variance over `period` bars.
    ///
    /// # Errors
    /// [`IndicatorError::PeriodTooSmall`] for `period == 0`.
    pub fn new(period: usize) -> Result<Self, IndicatorError> {
        check_period("period", period, 1)?;
        Ok(Self { ring: Ring::new(period), inv: 1.0 / period as f64, sum: 0.0, sq: 0.0 })
    }

    /// Feeds one value; NaN until `period` values were seen.
    #[inline]
    pub fn next(&mut self, x: f64) -> f64 {
        match self.ring.push(x) {
            Some(o) => {
                self.sum += x - o;
                self.sq += x * x - o * o;
            }
            None => {
                self.sum += x;
                self.sq += x * x;
            }
        }
        if !self.ring.is_full() {
            return f64::NAN;
        }
        let mean = self.sum * self.inv;
        self.sq * self.inv - mean * mean
    }

    /// Forgets all values.
    pub fn reset(&mut self) {
        self.ring.clear();
        self.sum = 0.0;
        self.sq = 0.0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::indicators::testing::{assert_warmup, closes};
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn prop_matches_two_pass_variance(x in closes(), p in 1usize..30) {
            prop_assume!(p <= x.len());
            let out = var(&x, p).unwrap();
            assert_warmup(&out, var_lookback(p));
            for i in p - 1..x.len() {
                let w = &x[i + 1 - p..=i];
                let m = w.iter().sum::<f64>() / p as f64;
                let want = w.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / p as f64;
                // Cancellation in mean(x²) - mean² costs digits at a 50,000 price level.
                prop_assert!((out[i] - want).abs() <= 1e-6 * want.max(1.0), "{} vs {}", out[i], want);
            }
        }
    }
}
