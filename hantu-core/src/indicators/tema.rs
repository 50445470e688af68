//! Triple exponential moving average (TA-Lib `TEMA`).
//!
//! `E1 = EMA_p(x)`, `E2 = EMA_p(E1)`, `E3 = EMA_p(E2)`, `TEMA = 3·E1 - 3·E2 + E3`.
//!
//! - **Parameters**: `period` p ≥ 1.
//! - **Warm-up**: `3(p - 1)` bars of NaN.
//! - **Complexity**: O(1) per bar and O(1) memory. Batch runs the EMA levels a block at a time
//!   once they are seeded (`cascade.rs`), so it agrees with the streaming type to 1e-12 relative,
//!   not bit for bit.
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
use super::cascade;
use super::ema::Ema;
use super::util::{check_fits, check_out};

/// Number of leading NaN outputs of [`tema`] for `period`.
#[must_use]
pub fn tema_lookback(period: usize) -> usize {
    3 * period.saturating_sub(1)
}

/// TA-Lib `TEMA` over a whole series: one output per bar, NaN in the warm-up (see the module
/// docs and [`Tema`]).
///
/// # Errors
/// [`IndicatorError::PeriodTooSmall`] for `period == 0`, [`IndicatorError::PeriodTooLong`] when
/// `period` exceeds the input.
#[doc(alias = "TEMA")]
pub fn tema(input: &[f64], period: usize) -> Result<Vec<f64>, IndicatorError> {
    let mut out = vec![0.0; input.len()];
    tema_into(input, period, &mut out)?;
    Ok(out)
}

/// [`tema`] into `out` (one slot per bar), without allocating: the warm-up through the streaming
/// type, then the EMA levels a block at a time (`cascade.rs`).
///
/// # Errors
/// As [`tema`], plus [`IndicatorError::OutputLength`] when `out` has the wrong length.
#[doc(alias = "TEMA")]
#[multiversion::multiversion(targets("x86_64+avx2+fma", "x86_64+avx"))]
pub fn tema_into(input: &[f64], period: usize, out: &mut [f64]) -> Result<(), IndicatorError> {
    let mut s = Tema::new(period)?;
    check_fits("period", period, input.len())?;
    check_out("out", out.len(), input.len())?;
    // Through the first value: by then every level is seeded.
    let done = cascade::warm_up(input, out, tema_lookback(period) + 1, |x| s.next(x));
    let out = &mut out[done..];
    cascade::blocks(&input[done..], period, [s.e1.value(), s.e2.value(), s.e3.value()], |at, [e1, e2, e3]| {
        for (((o, &e1), &e2), &e3) in out[at..].iter_mut().zip(e1).zip(e2).zip(e3) {
            *o = 3.0 * e1 - 3.0 * e2 + e3;
        }
    });
    Ok(())
}

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
    use crate::indicators::testing::{assert_close, assert_warmup, closes};
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
            assert_close(&batch, &x.iter().map(|&v| s.next(v)).collect::<Vec<_>>());
        }
    }
}
