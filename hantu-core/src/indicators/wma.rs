//! Weighted moving average (TA-Lib `WMA`): linear weights `1..=p`, newest heaviest.
//!
//! `WMA[i] = Σ_{j=0}^{p-1} (p - j)·x[i-j] / (p(p+1)/2)`
//!
//! - **Parameters**: `period` p ≥ 1.
//! - **Warm-up**: `p - 1` bars of NaN.
//! - **Complexity**: O(1) per bar (a running weighted sum and a running plain sum, TA-Lib's
//!   scheme), O(p) memory.
//!
//! ```
//! # fn main() -> Result<(), hantu_core::indicators::IndicatorError> {
//! let out = hantu_core::indicators::wma(&[1.0, 2.0, 3.0], 2)?;
//! assert_eq!(&out[1..], &[5.0 / 3.0, 8.0 / 3.0]); // (1 + 2·2) / 3, (2 + 2·3) / 3
//! # Ok(()) }
//! ```

use super::IndicatorError;
use super::util::{check_fits, check_out, check_period, fill_warmup};
use super::window::Ring;

/// Number of leading NaN outputs of [`wma`] for `period`.
#[must_use]
pub fn wma_lookback(period: usize) -> usize {
    period.saturating_sub(1)
}

/// Linearly weighted moving average over `period` bars: one output per bar, NaN in the warm-up.
///
/// # Errors
/// [`IndicatorError::PeriodTooSmall`] for `period == 0`, [`IndicatorError::PeriodTooLong`]
/// when `period` exceeds the input.
#[doc(alias = "WMA")]
pub fn wma(input: &[f64], period: usize) -> Result<Vec<f64>, IndicatorError> {
    let mut out = vec![0.0; input.len()];
    wma_into(input, period, &mut out)?;
    Ok(out)
}

/// [`wma`] into `out` (one slot per bar), without allocating. The running sums are updated in
/// the order [`Wma`] updates them, so batch and streaming agree bit for bit; the value leaving
/// the window is read from the input at an offset instead of a ring.
///
/// # Errors
/// As [`wma`], plus [`IndicatorError::OutputLength`] when `out` has the wrong length.
#[doc(alias = "WMA")]
pub fn wma_into(input: &[f64], period: usize, out: &mut [f64]) -> Result<(), IndicatorError> {
    let w = Wma::new(period)?;
    check_fits("period", period, input.len())?;
    check_out("out", out.len(), input.len())?;
    fill_warmup(out, period - 1);
    let (p, divider) = (w.period, w.divider);
    let (mut sum, mut weighted) = (0.0, 0.0);
    for (seen, &x) in input[..period - 1].iter().enumerate() {
        sum += x;
        weighted += x * (seen + 1) as f64;
    }
    let x = input[period - 1];
    sum += x;
    weighted += x * p;
    out[period - 1] = weighted / divider;
    weighted -= sum;
    for ((o, &x), &old) in out[period..].iter_mut().zip(&input[period..]).zip(input) {
        sum += x;
        sum -= old;
        weighted += x * p;
        *o = weighted / divider;
        weighted -= sum;
    }
    Ok(())
}

/// Streaming [`wma`].
#[doc(alias = "WMA")]
#[derive(Debug, Clone)]
pub struct Wma {
    ring: Ring,
    period: f64,
    divider: f64,
    sum: f64,
    weighted: f64,
}

impl Wma {
    /// A WMA over `period` bars.
    ///
    /// # Errors
    /// [`IndicatorError::PeriodTooSmall`] for `period == 0`.
    pub fn new(period: usize) -> Result<Self, IndicatorError> {
        check_period("period", period, 1)?;
        let p = period as f64;
        Ok(Self { ring: Ring::new(period), period: p, divider: p * (p + 1.0) / 2.0, sum: 0.0, weighted: 0.0 })
    }

    /// Feeds one value; NaN until `period` values were seen.
    #[inline]
    pub fn next(&mut self, x: f64) -> f64 {
        let seen = self.ring.len();
        let old = self.ring.push(x);
        if !self.ring.is_full() {
            self.sum += x;
            self.weighted += x * (seen + 1) as f64;
            return f64::NAN;
        }
        // TA-Lib: add the new value at full weight, emit, then shift every weight down by one.
        self.sum += x;
        if let Some(old) = old {
            self.sum -= old;
            self.weighted += x * self.period;
        } else {
            self.weighted += x * self.period;
        }
        let out = self.weighted / self.divider;
        self.weighted -= self.sum;
        out
    }

    /// Forgets all values.
    pub fn reset(&mut self) {
        self.ring.clear();
        self.sum = 0.0;
        self.weighted = 0.0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::indicators::testing::{assert_same, assert_warmup, closes};
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn prop_matches_direct_formula(x in closes(), p in 1usize..30) {
            prop_assume!(p <= x.len());
            let out = wma(&x, p).unwrap();
            assert_warmup(&out, wma_lookback(p));
            let div = (p * (p + 1) / 2) as f64;
            for i in p - 1..x.len() {
                let want: f64 = (0..p).map(|j| (p - j) as f64 * x[i - j]).sum::<f64>() / div;
                prop_assert!((out[i] - want).abs() <= 1e-9 * want.abs());
            }
            let mut s = Wma::new(p).unwrap();
            s.next(1.0);
            s.reset();
            assert_same(&out, &x.iter().map(|&v| s.next(v)).collect::<Vec<_>>());
        }
    }
}
