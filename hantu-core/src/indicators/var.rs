//! Population variance over a window (TA-Lib `VAR`).
//!
//! `VAR = mean(x²) - mean(x)²` over the last `p` bars.
//!
//! - **Parameters**: `period` p ≥ 1.
//! - **Warm-up**: `p - 1` bars of NaN.
//! - **Complexity**: O(1) per bar (running sums of `x` and `x²`), O(p) memory.
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
use super::util::{batch_from_stream, check_period};
use super::window::Ring;

/// Number of leading NaN outputs of [`var`] for `period`.
#[must_use]
pub fn var_lookback(period: usize) -> usize {
    period.saturating_sub(1)
}

batch_from_stream!("VAR", var, var_into, Var, inputs: [input], params: [period: usize], fits: period);

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
