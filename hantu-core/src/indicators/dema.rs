//! Double exponential moving average (TA-Lib `DEMA`).
//!
//! `E1 = EMA_p(x)`, `E2 = EMA_p(E1)`, `DEMA = 2·E1 - E2`.
//!
//! - **Parameters**: `period` p ≥ 1.
//! - **Warm-up**: `2(p - 1)` bars of NaN.
//! - **Complexity**: O(1) per bar and O(1) memory. Batch runs the EMA levels a block at a time
//!   once they are seeded (`cascade.rs`), so it agrees with the streaming type to 1e-12 relative,
//!   not bit for bit.
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
use super::cascade;
use super::ema::Ema;
use super::util::{check_fits, check_out};

/// Number of leading NaN outputs of [`dema`] for `period`.
#[must_use]
pub fn dema_lookback(period: usize) -> usize {
    2 * period.saturating_sub(1)
}

/// TA-Lib `DEMA` over a whole series: one output per bar, NaN in the warm-up (see the module
/// docs and [`Dema`]).
///
/// # Errors
/// [`IndicatorError::PeriodTooSmall`] for `period == 0`, [`IndicatorError::PeriodTooLong`] when
/// `period` exceeds the input.
#[doc(alias = "DEMA")]
pub fn dema(input: &[f64], period: usize) -> Result<Vec<f64>, IndicatorError> {
    let mut out = vec![0.0; input.len()];
    dema_into(input, period, &mut out)?;
    Ok(out)
}

/// [`dema`] into `out` (one slot per bar), without allocating: the warm-up through the streaming
/// type, then the EMA levels a block at a time (`cascade.rs`).
///
/// # Errors
/// As [`dema`], plus [`IndicatorError::OutputLength`] when `out` has the wrong length.
#[doc(alias = "DEMA")]
#[multiversion::multiversion(targets("x86_64+avx2+fma", "x86_64+avx"))]
pub fn dema_into(input: &[f64], period: usize, out: &mut [f64]) -> Result<(), IndicatorError> {
    let mut s = Dema::new(period)?;
    check_fits("period", period, input.len())?;
    check_out("out", out.len(), input.len())?;
    // Through the first value: by then every level is seeded.
    let done = cascade::warm_up(input, out, dema_lookback(period) + 1, |x| s.next(x));
    let out = &mut out[done..];
    cascade::blocks(&input[done..], period, [s.e1.value(), s.e2.value()], |at, [e1, e2]| {
        for ((o, &e1), &e2) in out[at..].iter_mut().zip(e1).zip(e2) {
            *o = 2.0 * e1 - e2;
        }
    });
    Ok(())
}

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
    use crate::indicators::testing::{assert_close, assert_warmup, closes};
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
            assert_close(&batch, &x.iter().map(|&v| s.next(v)).collect::<Vec<_>>());
        }
    }
}
