//! Exponential moving average (TA-Lib `EMA`).
//!
//! `k = 2 / (p + 1)`, `EMA[p-1] = mean(x[0..p])`, then `EMA[i] = EMA[i-1]·(1 - k) + x[i]·k`.
//!
//! - **Parameters**: `period` p ≥ 1.
//! - **Warm-up**: `p - 1` bars of NaN.
//! - **Complexity**: O(1) per bar and O(1) memory. Batch evaluates the recurrence four bars at
//!   a time (see `recurrence.rs`), so it agrees with [`Ema`] to 1e-12 relative, not bit for bit.
//! - **TA-Lib quirk kept**: the first value is the SMA of the first `p` inputs (TA-Lib's default
//!   compatibility mode), not the first input. TA-Lib writes the update as
//!   `(x - EMA)·k + EMA`; the form used here has one operation less on the dependency chain and
//!   differs only in the last bits.

use super::IndicatorError;
use super::recurrence::{self, Powers};
use super::util::{check_fits, check_out, check_period, fill_warmup};

/// Number of leading NaN outputs of [`ema`] for `period`.
#[must_use]
pub fn ema_lookback(period: usize) -> usize {
    period.saturating_sub(1)
}

/// Exponential moving average of `input`, seeded with the SMA of the first `period` values.
///
/// ```
/// # fn main() -> Result<(), hantu_core::indicators::IndicatorError> {
/// let out = hantu_core::indicators::ema(&[1.0, 3.0, 5.0], 2)?;
/// assert!(out[0].is_nan());
/// assert_eq!(out[1], 2.0); // the seed: mean of 1 and 3
/// assert!((out[2] - 4.0).abs() < 1e-12); // 2·(1/3) + 5·(2/3)
/// # Ok(()) }
/// ```
///
/// # Errors
/// [`IndicatorError::PeriodTooSmall`] for `period == 0`, [`IndicatorError::PeriodTooLong`]
/// when `period > input.len()`.
#[doc(alias = "EMA")]
pub fn ema(input: &[f64], period: usize) -> Result<Vec<f64>, IndicatorError> {
    let mut out = vec![0.0; input.len()];
    ema_into(input, period, &mut out)?;
    Ok(out)
}

/// [`ema`] into `out` (same length as `input`), without allocating.
///
/// # Errors
/// As [`ema`], plus [`IndicatorError::OutputLength`] when `out.len() != input.len()`.
#[doc(alias = "EMA")]
pub fn ema_into(input: &[f64], period: usize, out: &mut [f64]) -> Result<(), IndicatorError> {
    check_period("period", period, 1)?;
    check_fits("period", period, input.len())?;
    check_out("out", out.len(), input.len())?;
    fill_warmup(out, period - 1);
    let (k, a) = ema_factors(period);
    let y = seed(&input[..period]);
    out[period - 1] = y;
    recurrence::run(Powers::new(a), y, &input[period..], &mut out[period..], |x| x * k);
    Ok(())
}

/// `(k, 1 - k)` for a period.
#[inline]
pub(crate) fn ema_factors(period: usize) -> (f64, f64) {
    let k = 2.0 / (period as f64 + 1.0);
    (k, 1.0 - k)
}

/// The SMA seed, summed left to right as TA-Lib does.
#[inline]
pub(crate) fn seed(values: &[f64]) -> f64 {
    let mut sum = 0.0;
    for &x in values {
        sum += x;
    }
    sum / values.len() as f64
}

/// Streaming [`ema`].
///
/// ```
/// # fn main() -> Result<(), hantu_core::indicators::IndicatorError> {
/// let mut ema = hantu_core::indicators::Ema::new(2)?;
/// assert!(ema.next(1.0).is_nan());
/// assert_eq!(ema.next(3.0), 2.0);
/// # Ok(()) }
/// ```
#[doc(alias = "EMA")]
#[derive(Debug, Clone)]
pub struct Ema {
    period: usize,
    k: f64,
    a: f64,
    count: usize,
    sum: f64,
    value: f64,
}

impl Ema {
    /// An EMA over `period` bars.
    ///
    /// # Errors
    /// [`IndicatorError::PeriodTooSmall`] for `period == 0`.
    pub fn new(period: usize) -> Result<Self, IndicatorError> {
        check_period("period", period, 1)?;
        let (k, a) = ema_factors(period);
        Ok(Self { period, k, a, count: 0, sum: 0.0, value: f64::NAN })
    }

    /// Feeds one value; returns the EMA, NaN until `period` values were seen.
    #[inline]
    pub fn next(&mut self, x: f64) -> f64 {
        if self.count < self.period {
            self.sum += x;
            self.count += 1;
            if self.count == self.period {
                self.value = self.sum / self.period as f64;
            }
            return self.value;
        }
        self.value = self.a * self.value + x * self.k;
        self.value
    }

    /// The current value (NaN before the seed).
    #[inline]
    pub(crate) fn value(&self) -> f64 {
        self.value
    }

    /// Whether the warm-up is over.
    #[must_use]
    pub fn is_ready(&self) -> bool {
        self.count == self.period
    }

    /// Forgets all values.
    pub fn reset(&mut self) {
        self.count = 0;
        self.sum = 0.0;
        self.value = f64::NAN;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::indicators::testing::{assert_close, assert_warmup, closes};
    use proptest::prelude::*;

    #[test]
    fn rejects_bad_periods() {
        assert!(matches!(ema(&[1.0], 0), Err(IndicatorError::PeriodTooSmall { .. })));
        assert!(matches!(ema(&[1.0], 3), Err(IndicatorError::PeriodTooLong { .. })));
    }

    #[test]
    fn nan_input_poisons_later_outputs() {
        let out = ema(&[1.0, 2.0, f64::NAN, 4.0], 2).unwrap();
        assert_eq!(out[1], 1.5);
        assert!(out[2..].iter().all(|v| v.is_nan()));
    }

    #[test]
    fn reset_starts_over() {
        let mut e = Ema::new(2).unwrap();
        e.next(10.0);
        e.next(20.0);
        e.reset();
        assert!(e.next(1.0).is_nan());
        assert_eq!(e.next(3.0), 2.0);
    }

    proptest! {
        #[test]
        fn prop_streaming_matches_batch(x in closes(), p in 1usize..40) {
            prop_assume!(p <= x.len());
            let batch = ema(&x, p).unwrap();
            let mut e = Ema::new(p).unwrap();
            let stream: Vec<f64> = x.iter().map(|&v| e.next(v)).collect();
            assert_close(&batch, &stream);
            assert_warmup(&batch, ema_lookback(p));
        }
    }
}
