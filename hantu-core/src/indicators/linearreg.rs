//! Linear regression end point (TA-Lib `LINEARREG`).
//!
//! Least-squares line through the last `p` bars; the output is its value on the latest bar:
//! with `t` counting bars back (0 = latest), `m = (p·Σty - Σt·Σy) / ((Σt)² - p·Σt²)`,
//! `b = (Σy - m·Σt) / p`, `LINEARREG = b + m·(p - 1)` (TA-Lib's algebra).
//!
//! - **Parameters**: `period` p ≥ 2.
//! - **Warm-up**: `p - 1` bars of NaN.
//! - **Complexity**: O(1) per bar: `Σy` and `Σty` are updated, not recomputed
//!   (`Σty' = Σty + Σy - p·y_oldest`), where TA-Lib rescans the window. Streaming keeps the
//!   last p values; batch reads the leaving one from the input.
//!
//! ```
//! # fn main() -> Result<(), hantu_core::indicators::IndicatorError> {
//! let out = hantu_core::indicators::linearreg(&[1.0, 3.0, 5.0, 7.0], 3)?;
//! assert!((out[3] - 7.0).abs() < 1e-12); // a straight line is its own fit
//! # Ok(()) }
//! ```

use super::IndicatorError;
use super::util::{check_fits, check_out, check_period, fill_warmup};
use super::window::Ring;

/// Number of leading NaN outputs of [`linearreg`] for `period`.
#[must_use]
pub fn linearreg_lookback(period: usize) -> usize {
    period.saturating_sub(1)
}

/// Linear regression end point over `period` bars: one output per bar, NaN in the warm-up.
///
/// # Errors
/// [`IndicatorError::PeriodTooSmall`] for `period < 2`, [`IndicatorError::PeriodTooLong`]
/// when `period` exceeds the input.
#[doc(alias = "LINEARREG")]
pub fn linearreg(input: &[f64], period: usize) -> Result<Vec<f64>, IndicatorError> {
    let mut out = vec![0.0; input.len()];
    linearreg_into(input, period, &mut out)?;
    Ok(out)
}

/// [`linearreg`] into `out` (one slot per bar), without allocating: [`LinearReg`]'s update with
/// the leaving value read from the input at an offset instead of a ring (so the two agree bit
/// for bit).
///
/// # Errors
/// As [`linearreg`], plus [`IndicatorError::OutputLength`] when `out` has the wrong length.
#[doc(alias = "LINEARREG")]
pub fn linearreg_into(input: &[f64], period: usize, out: &mut [f64]) -> Result<(), IndicatorError> {
    let mut s = LinearReg::new(period)?;
    check_fits("period", period, input.len())?;
    check_out("out", out.len(), input.len())?;
    fill_warmup(out, period - 1);
    for &x in &input[..period - 1] {
        s.step(x, None);
    }
    out[period - 1] = s.step(input[period - 1], None);
    for ((o, &x), &old) in out[period..].iter_mut().zip(&input[period..]).zip(input) {
        *o = s.step(x, Some(old));
    }
    Ok(())
}

/// Streaming [`linearreg`].
#[doc(alias = "LINEARREG")]
#[derive(Debug, Clone)]
pub struct LinearReg {
    ring: Ring,
    p: f64,
    sum_t: f64,
    divisor: f64,
    sum_y: f64,
    sum_ty: f64,
}

impl LinearReg {
    /// A regression over `period` bars.
    ///
    /// # Errors
    /// [`IndicatorError::PeriodTooSmall`] for `period < 2`.
    pub fn new(period: usize) -> Result<Self, IndicatorError> {
        check_period("period", period, 2)?;
        let p = period as f64;
        let sum_t = p * (p - 1.0) * 0.5;
        let sum_t2 = p * (p - 1.0) * (2.0 * p - 1.0) / 6.0;
        Ok(Self { ring: Ring::new(period), p, sum_t, divisor: sum_t * sum_t - p * sum_t2, sum_y: 0.0, sum_ty: 0.0 })
    }

    /// Feeds one value; NaN until `period` values were seen.
    #[inline]
    pub fn next(&mut self, x: f64) -> f64 {
        let old = self.ring.push(x);
        let v = self.step(x, old);
        if self.ring.is_full() { v } else { f64::NAN }
    }

    /// Adds `x` (and drops `old`, the value leaving a full window); returns the fit's end point.
    #[inline(always)]
    fn step(&mut self, x: f64, old: Option<f64>) -> f64 {
        // Every held value ages by one bar: Σty grows by Σy; the leaving one had t = p - 1.
        match old {
            Some(old) => {
                self.sum_ty += self.sum_y - self.p * old;
                self.sum_y += x - old;
            }
            None => {
                self.sum_ty += self.sum_y;
                self.sum_y += x;
            }
        }
        let m = (self.p * self.sum_ty - self.sum_t * self.sum_y) / self.divisor;
        let b = (self.sum_y - m * self.sum_t) / self.p;
        b + m * (self.p - 1.0)
    }

    /// Forgets all values.
    pub fn reset(&mut self) {
        self.ring.clear();
        self.sum_y = 0.0;
        self.sum_ty = 0.0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::indicators::testing::{assert_warmup, closes};
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn prop_matches_a_refit(x in closes(), p in 2usize..30) {
            prop_assume!(p <= x.len());
            let out = linearreg(&x, p).unwrap();
            assert_warmup(&out, p - 1);
            for i in p - 1..x.len() {
                let w = &x[i + 1 - p..=i];
                let n = p as f64;
                let mt = (n - 1.0) / 2.0;
                let my = w.iter().sum::<f64>() / n;
                let (mut sxy, mut sxx) = (0.0, 0.0);
                for (t, y) in w.iter().enumerate() {
                    sxy += (t as f64 - mt) * (y - my);
                    sxx += (t as f64 - mt) * (t as f64 - mt);
                }
                let want = my + sxy / sxx * (n - 1.0 - mt);
                prop_assert!((out[i] - want).abs() <= 1e-7 * want.abs(), "{} vs {}", out[i], want);
            }
        }
    }
}
