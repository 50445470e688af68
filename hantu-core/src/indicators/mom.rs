//! Momentum (TA-Lib `MOM`): `MOM[i] = x[i] - x[i-p]`.
//!
//! - **Parameters**: `period` p ≥ 1.
//! - **Warm-up**: `p` bars of NaN.
//! - **Complexity**: O(1) per bar; streaming keeps the last p values, batch reads the input
//!   at two offsets.
//!
//! ```
//! # fn main() -> Result<(), hantu_core::indicators::IndicatorError> {
//! let out = hantu_core::indicators::mom(&[1.0, 4.0, 9.0], 1)?;
//! assert_eq!(&out[1..], &[3.0, 5.0]);
//! # Ok(()) }
//! ```

use super::IndicatorError;
use super::util::{batch_lagged, check_period};
use super::window::Ring;

/// Number of leading NaN outputs of [`mom`] for `period`.
#[must_use]
pub fn mom_lookback(period: usize) -> usize {
    period
}

batch_lagged!("MOM", mom, mom_into, Mom, |now: f64, then: f64| now - then);

/// Streaming [`mom`].
#[doc(alias = "MOM")]
#[derive(Debug, Clone)]
pub struct Mom {
    ring: Ring,
}

impl Mom {
    /// A momentum over `period` bars.
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
            Some(old) => x - old,
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

    proptest! {
        #[test]
        fn prop_matches_formula(x in closes(), p in 1usize..20) {
            prop_assume!(p <= x.len());
            let out = mom(&x, p).unwrap();
            assert_warmup(&out, p.min(x.len()));
            for i in p..x.len() {
                prop_assert_eq!(out[i], x[i] - x[i - p]);
            }
        }
    }
}
