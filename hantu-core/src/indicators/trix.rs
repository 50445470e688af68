//! TRIX (TA-Lib `TRIX`): the one-bar rate of change of a triple EMA, in percent.
//!
//! `E3 = EMA_p(EMA_p(EMA_p(x)))`, `TRIX = (E3[i] / E3[i-1] - 1)·100` (0 when `E3[i-1] == 0`).
//!
//! - **Parameters**: `period` p ≥ 1.
//! - **Warm-up**: `3(p - 1) + 1` bars of NaN.
//! - **Complexity**: O(1) per bar and O(1) memory. Batch runs the EMA levels a block at a time
//!   once they are seeded (`cascade.rs`), so it agrees with the streaming type to 1e-12 relative,
//!   not bit for bit.
//! - **TA-Lib quirk kept**: SMA-seeded EMAs; the rate of change is TA-Lib's `ROC` formula.
//!
//! ```
//! # fn main() -> Result<(), hantu_core::indicators::IndicatorError> {
//! let x = [100.0, 100.0, 110.0, 121.0];
//! let out = hantu_core::indicators::trix(&x, 1)?;
//! assert!(out[0].is_nan());
//! assert!((out[2] - 10.0).abs() < 1e-12);
//! # Ok(()) }
//! ```

use super::IndicatorError;
use super::cascade;
use super::ema::Ema;
use super::util::{check_fits, check_out};

/// Number of leading NaN outputs of [`trix`] for `period`.
#[must_use]
pub fn trix_lookback(period: usize) -> usize {
    3 * period.saturating_sub(1) + 1
}

/// TA-Lib `TRIX` over a whole series: one output per bar, NaN in the warm-up (see the module
/// docs and [`Trix`]).
///
/// # Errors
/// [`IndicatorError::PeriodTooSmall`] for `period == 0`, [`IndicatorError::PeriodTooLong`] when
/// `period` exceeds the input.
#[doc(alias = "TRIX")]
pub fn trix(input: &[f64], period: usize) -> Result<Vec<f64>, IndicatorError> {
    let mut out = vec![0.0; input.len()];
    trix_into(input, period, &mut out)?;
    Ok(out)
}

/// [`trix`] into `out` (one slot per bar), without allocating: the warm-up through the streaming
/// type, then the EMA levels a block at a time (`cascade.rs`).
///
/// # Errors
/// As [`trix`], plus [`IndicatorError::OutputLength`] when `out` has the wrong length.
#[doc(alias = "TRIX")]
#[multiversion::multiversion(targets("x86_64+avx2+fma", "x86_64+avx"))]
pub fn trix_into(input: &[f64], period: usize, out: &mut [f64]) -> Result<(), IndicatorError> {
    let mut s = Trix::new(period)?;
    check_fits("period", period, input.len())?;
    check_out("out", out.len(), input.len())?;
    // After the warm-up every level is seeded and `prev` holds the last triple EMA.
    let done = cascade::warm_up(input, out, trix_lookback(period), |x| s.next(x));
    let mut prev = s.prev.unwrap_or(f64::NAN);
    let out = &mut out[done..];
    cascade::blocks(&input[done..], period, [s.e1.value(), s.e2.value(), s.e3.value()], |at, [_, _, e3]| {
        // Each bar against the one before, in a loop without a carried value (it vectorises,
        // divisions included); the block's first bar against the last one of the block before.
        let (Some(&first), Some(&last)) = (e3.first(), e3.last()) else { return };
        let out = &mut out[at..at + e3.len()];
        out[0] = roc_percent(first, prev);
        for ((o, &x), &before) in out[1..].iter_mut().zip(&e3[1..]).zip(e3) {
            *o = roc_percent(x, before);
        }
        prev = last;
    });
    Ok(())
}

/// Streaming [`trix`].
#[doc(alias = "TRIX")]
#[derive(Debug, Clone)]
pub struct Trix {
    e1: Ema,
    e2: Ema,
    e3: Ema,
    prev: Option<f64>,
}

impl Trix {
    /// A TRIX over `period` bars.
    ///
    /// # Errors
    /// [`IndicatorError::PeriodTooSmall`] for `period == 0`.
    pub fn new(period: usize) -> Result<Self, IndicatorError> {
        Ok(Self { e1: Ema::new(period)?, e2: Ema::new(period)?, e3: Ema::new(period)?, prev: None })
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
        if !self.e3.is_ready() {
            return f64::NAN;
        }
        let out = match self.prev {
            Some(prev) => roc_percent(e3, prev),
            None => f64::NAN,
        };
        self.prev = Some(e3);
        out
    }

    /// Forgets all values.
    pub fn reset(&mut self) {
        self.e1.reset();
        self.e2.reset();
        self.e3.reset();
        self.prev = None;
    }
}

/// TA-Lib's `ROC`: `(x / prev - 1)·100`, 0 when `prev == 0`.
#[inline]
pub(crate) fn roc_percent(x: f64, prev: f64) -> f64 {
    if prev != 0.0 { (x / prev - 1.0) * 100.0 } else { 0.0 }
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
            let batch = trix(&x, p).unwrap();
            assert_warmup(&batch, trix_lookback(p).min(x.len()));
            let mut s = Trix::new(p).unwrap();
            s.next(3.0);
            s.reset();
            assert_close(&batch, &x.iter().map(|&v| s.next(v)).collect::<Vec<_>>());
        }
    }
}
