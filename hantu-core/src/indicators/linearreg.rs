//! Linear regression end point (TA-Lib `LINEARREG`).
//!
//! Least-squares line through the last `p` bars; the output is its value on the latest bar:
//! with `t` counting bars back (0 = latest), `m = (p·Σty - Σt·Σy) / ((Σt)² - p·Σt²)`,
//! `b = (Σy - m·Σt) / p`, `LINEARREG = b + m·(p - 1)` (TA-Lib's algebra).
//!
//! - **Parameters**: `period` p ≥ 2.
//! - **Warm-up**: `p - 1` bars of NaN.
//! - **Complexity**: O(1) per bar: `Σy` and `Σty` are updated, not recomputed
//!   (`Σty' = Σty + Σy - p·y_oldest`), where TA-Lib rescans the window. O(p) memory.
//!
//! ```
//! # fn main() -> Result<(), hantu_core::indicators::IndicatorError> {
//! let out = hantu_core::indicators::linearreg(&[1.0, 3.0, 5.0, 7.0], 3)?;
//! assert!((out[3] - 7.0).abs() < 1e-12); // a straight line is its own fit
//! # Ok(()) }
//! ```

use super::IndicatorError;
use super::util::{batch_from_stream, check_period};
use super::window::Ring;

/// Number of leading NaN outputs of [`linearreg`] for `period`.
#[must_use]
pub fn linearreg_lookback(period: usize) -> usize {
    period.saturating_sub(1)
}

batch_from_stream!("LINEARREG", linearreg, linearreg_into, LinearReg, inputs: [input], params: [period: usize], fits: period);

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
        // Every held value ages by one bar: Σty grows by Σy; the leaving one had t = p - 1.
        match self.ring.push(x) {
            Some(old) => {
                self.sum_ty += self.sum_y - self.p * old;
                self.sum_y += x - old;
            }
            None => {
                self.sum_ty += self.sum_y;
                self.sum_y += x;
            }
        }
        if !self.ring.is_full() {
            return f64::NAN;
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
