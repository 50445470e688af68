//! Double exponential moving average (TA-Lib `DEMA`).
//!
//! `E1 = EMA_p(x)`, `E2 = EMA_p(E1)`, `DEMA = 2·E1 - E2`.
//!
//! - **Parameters**: `period` p ≥ 1.
//! - **Warm-up**: `2(p - 1)` bars of NaN.
//! - **Complexity**: O(1) per bar and O(1) memory.
//! - **TA-Lib quirk kept**: each EMA is seeded with the SMA of its first `p` inputs, the second
//!   one of the first `p` values of the first.
//!
//! ```
//! # fn main() -> Result<(), hantu_core::indicators::IndicatorError> {
//! let x: Vec<f64> = (0..10).map(f64::from).collect();
//! let out = hantu_core::indicators::dema(&x, 3)?;
//! assert!(out[3].is_nan());
//! assert!((out[4] - 4.0).abs() < 1e-12); // DEMA removes the EMA's lag on a straight line
//! # Ok(()) }
//! ```

use super::IndicatorError;
use super::ema::Ema;
use super::util::batch_from_stream;

/// Number of leading NaN outputs of [`dema`] for `period`.
#[must_use]
pub fn dema_lookback(period: usize) -> usize {
    2 * period.saturating_sub(1)
}

batch_from_stream!("DEMA", dema, dema_into, Dema, inputs: [input], params: [period: usize], fits: period);

/// Streaming [`dema`].
#[doc(alias = "DEMA")]
#[derive(Debug, Clone)]
pub struct Dema {
    e1: Ema,
    e2: Ema,
}

impl Dema {
    /// A DEMA over `period` bars.
    ///
    /// # Errors
    /// [`IndicatorError::PeriodTooSmall`] for `period == 0`.
    pub fn new(period: usize) -> Result<Self, IndicatorError> {
        Ok(Self { e1: Ema::new(period)?, e2: Ema::new(period)? })
    }

    /// Feeds one value; NaN during the warm-up.
    #[inline]
    pub fn next(&mut self, x: f64) -> f64 {
        let e1 = self.e1.next(x);
        if !self.e1.is_ready() {
            return f64::NAN;
        }
        let e2 = self.e2.next(e1);
        if self.e2.is_ready() { 2.0 * e1 - e2 } else { f64::NAN }
    }

    /// Forgets all values.
    pub fn reset(&mut self) {
        self.e1.reset();
        self.e2.reset();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::indicators::testing::{assert_same, assert_warmup, closes};
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn prop_streaming_matches_batch(x in closes(), p in 1usize..20) {
            prop_assume!(p <= x.len());
            let batch = dema(&x, p).unwrap();
            assert_warmup(&batch, dema_lookback(p).min(x.len()));
            let mut s = Dema::new(p).unwrap();
            s.next(3.0);
            s.reset();
            assert_same(&batch, &x.iter().map(|&v| s.next(v)).collect::<Vec<_>>());
        }
    }
}
