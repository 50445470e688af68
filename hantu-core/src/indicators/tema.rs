//! Triple exponential moving average (TA-Lib `TEMA`).
//!
//! `E1 = EMA_p(x)`, `E2 = EMA_p(E1)`, `E3 = EMA_p(E2)`, `TEMA = 3·E1 - 3·E2 + E3`.
//!
//! - **Parameters**: `period` p ≥ 1.
//! - **Warm-up**: `3(p - 1)` bars of NaN.
//! - **Complexity**: O(1) per bar and O(1) memory.
//! - **TA-Lib quirk kept**: each EMA is SMA-seeded on the first `p` values of its input.
//!
//! ```
//! # fn main() -> Result<(), hantu_core::indicators::IndicatorError> {
//! let x: Vec<f64> = (0..10).map(f64::from).collect();
//! let out = hantu_core::indicators::tema(&x, 2)?;
//! assert!(out[2].is_nan());
//! assert!((out[3] - 3.0).abs() < 1e-12);
//! # Ok(()) }
//! ```

use super::IndicatorError;
use super::ema::Ema;
use super::util::batch_from_stream;

/// Number of leading NaN outputs of [`tema`] for `period`.
#[must_use]
pub fn tema_lookback(period: usize) -> usize {
    3 * period.saturating_sub(1)
}

batch_from_stream!("TEMA", tema, tema_into, Tema, inputs: [input], params: [period: usize], fits: period);

/// Streaming [`tema`].
#[doc(alias = "TEMA")]
#[derive(Debug, Clone)]
pub struct Tema {
    e1: Ema,
    e2: Ema,
    e3: Ema,
}

impl Tema {
    /// A TEMA over `period` bars.
    ///
    /// # Errors
    /// [`IndicatorError::PeriodTooSmall`] for `period == 0`.
    pub fn new(period: usize) -> Result<Self, IndicatorError> {
        Ok(Self { e1: Ema::new(period)?, e2: Ema::new(period)?, e3: Ema::new(period)? })
    }

    /// Feeds one value; NaN during the warm-up.
    #[inline]
    pub fn next(&mut self, x: f64) -> f64 {
        let e1 = self.e1.next(x);
        if !self.e1.is_ready() {
            return f64::NAN;
        }
        let e2 = self.e2.next(e1);
        if !self.e2.is_ready() {
            return f64::NAN;
        }
        let e3 = self.e3.next(e2);
        if self.e3.is_ready() { 3.0 * e1 - 3.0 * e2 + e3 } else { f64::NAN }
    }

    /// Forgets all values.
    pub fn reset(&mut self) {
        self.e1.reset();
        self.e2.reset();
        self.e3.reset();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::indicators::testing::{assert_same, assert_warmup, closes};
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn prop_streaming_matches_batch(x in closes(), p in 1usize..15) {
            prop_assume!(p <= x.len());
            let batch = tema(&x, p).unwrap();
            assert_warmup(&batch, tema_lookback(p).min(x.len()));
            let mut s = Tema::new(p).unwrap();
            s.next(3.0);
            s.reset();
            assert_same(&batch, &x.iter().map(|&v| s.next(v)).collect::<Vec<_>>());
        }
    }
}
