//! Rate of change in percent (TA-Lib `ROC`).
//!
//! `ROC[i] = (x[i] / x[i-p] - 1)·100`, and 0 when `x[i-p] == 0` (TA-Lib's guard).
//!
//! - **Parameters**: `period` p ≥ 1.
//! - **Warm-up**: `p` bars of NaN.
//! - **Complexity**: O(1) per bar; streaming keeps the last p values, batch reads the input
//!   at two offsets.
//!
//! ```
//! # fn main() -> Result<(), hantu_core::indicators::IndicatorError> {
//! let out = hantu_core::indicators::roc(&[100.0, 50.0, 110.0], 2)?;
//! assert!((out[2] - 10.0).abs() < 1e-12);
//! # Ok(()) }
//! ```

use super::IndicatorError;
use super::trix::roc_percent;
use super::util::{batch_lagged, check_period};
use super::window::Ring;

/// Number of leading NaN outputs of [`roc`] for `period`.
#[must_use]
pub fn roc_lookback(period: usize) -> usize {
    period
}

batch_lagged!("ROC", roc, roc_into, Roc, roc_percent);

/// Streaming [`roc`].
#[doc(alias = "ROC")]
#[derive(Debug, Clone)]
pub struct Roc {
    ring: Ring,
}

impl Roc {
    /// A ROC over `period` bars.
    ///
    /// # Errors
    /// [`IndicatorError::PeriodTooSmall`] for `period == 0`.
    pub fn new(period: usize) -> Result<Self, IndicatorError> {
        check_period("period", period, 1)?;
        Ok(Self { ring: Ring::new(period) })
    }

    /// Feeds one value; NaN for the first `period`.
    #[inline]
    pub fn next(&mut self, x: f64) -> f64 {
        match self.ring.push(x) {
            Some(old) => roc_percent(x, old),
            None => f64::NAN,
        }
    }

    /// Forgets all values.
    pub fn reset(&mut self) {
        self.ring.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::indicators::testing::{assert_warmup, closes};
    use proptest::prelude::*;

    #[test]
    fn zero_base_gives_zero() {
        assert_eq!(roc(&[0.0, 5.0], 1).unwrap()[1], 0.0);
    }

    proptest! {
        #[test]
        fn prop_matches_formula(x in closes(), p in 1usize..20) {
            prop_assume!(p <= x.len());
            let out = roc(&x, p).unwrap();
            assert_warmup(&out, p.min(x.len()));
            for i in p..x.len() {
                prop_assert_eq!(out[i], (x[i] / x[i - p] - 1.0) * 100.0);
            }
        }
    }
}
