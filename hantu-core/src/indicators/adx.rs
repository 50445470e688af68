//! Average directional index (TA-Lib `ADX`).
//!
//! `DX = 100·|+DI - -DI| / (+DI + -DI)` from the smoothed directional movement of
//! [`plus_di`](super::plus_di); `ADX[2p-1] = mean(DX[p..2p])`, then
//! `ADX[i] = (ADX[i-1]·(p-1) + DX[i]) / p`.
//!
//! - **Parameters**: `period` p ≥ 2.
//! - **Warm-up**: `2p - 1` bars of NaN.
//! - **Complexity**: O(1) per bar (one division), O(1) memory.
//! - **TA-Lib quirks kept**: the directional movement is seeded as in PLUS_DI; a bar whose
//!   smoothed true range or DI sum is within 1e-8 of zero contributes no DX (the ADX is carried
//!   over, and the seed mean still divides by `p`). `DX` is computed as
//!   `100·|S(-DM) - S(+DM)| / (S(-DM) + S(+DM))`, the true range cancelling out of the ratio.

use std::cmp::Ordering;

use super::IndicatorError;
use super::dmi::{Dm, directional_movement};
use super::rsi::wilder_factors;
use super::trange::true_range;
use super::util::{TA_EPSILON, check_fits, check_hlc_lengths, check_out, check_period, high_below_low, is_zero};

/// Number of leading NaN outputs of [`adx`] for `period`.
#[must_use]
pub fn adx_lookback(period: usize) -> usize {
    (2 * period).saturating_sub(1)
}

/// Average directional index over `period` bars.
///
/// ```
/// # fn main() -> Result<(), hantu_core::indicators::IndicatorError> {
/// let h: Vec<f64> = (0..10).map(|i| 10.0 + f64::from(i)).collect();
/// let l: Vec<f64> = h.iter().map(|x| x - 1.0).collect();
/// let out = hantu_core::indicators::adx(&h, &l, &l, 3)?;
/// assert!(out[4].is_nan());
/// assert_eq!(out[5], 100.0); // a pure up-trend
/// # Ok(()) }
/// ```
///
/// # Errors
/// [`IndicatorError::PeriodTooSmall`] for `period < 2`, [`IndicatorError::PeriodTooLong`] when
/// `period` exceeds the input, [`IndicatorError::LengthMismatch`] and
/// [`IndicatorError::HighBelowLow`] for inconsistent bars.
#[doc(alias = "ADX")]
pub fn adx(high: &[f64], low: &[f64], close: &[f64], period: usize) -> Result<Vec<f64>, IndicatorError> {
    let mut out = vec![0.0; close.len()];
    adx_into(high, low, close, period, &mut out)?;
    Ok(out)
}

/// [`adx`] into `out`, without allocating.
///
/// # Errors
/// As [`adx`], plus [`IndicatorError::OutputLength`] when `out` has the wrong length.
#[doc(alias = "ADX")]
pub fn adx_into(
    high: &[f64],
    low: &[f64],
    close: &[f64],
    period: usize,
    out: &mut [f64],
) -> Result<(), IndicatorError> {
    let mut s = Adx::new(period)?;
    check_hlc_lengths(high, low, close)?;
    check_fits("period", period, close.len())?;
    check_out("out", out.len(), close.len())?;
    let n = out.len();
    let (h, l, c) = (&high[..n], &low[..n], &close[..n]);
    let mut bad = false;
    // The warm-up goes through the streaming type; the steady state runs the same arithmetic
    // on locals, so that the branches of the warm-up leave the hot loop.
    let warm = (adx_lookback(period) + 1).min(n);
    for i in 0..warm {
        bad |= h[i] < l[i];
        out[i] = s.next(h[i], l[i], c[i]);
    }
    let dm = &s.dm;
    let (a, b) = (s.a, s.b);
    let (mut ph, mut pl, mut pc) = (dm.prev_high, dm.prev_low, dm.prev_close);
    let (mut sp, mut sm, mut st, mut value) = (dm.plus, dm.minus, dm.tr, s.value);
    for i in warm..n {
        let (hi, lo, cl) = (h[i], l[i], c[i]);
        bad |= hi < lo;
        let (plus, minus) = directional_movement(hi - ph, pl - lo);
        let tr = true_range(hi, lo, pc);
        (ph, pl, pc) = (hi, lo, cl);
        sp = a * sp + plus;
        sm = a * sm + minus;
        st = a * st + tr;
        let (valid, dx) = dx(sp, sm, st);
        value = if valid { a * value + dx * b } else { value };
        out[i] = value;
    }
    if bad { Err(high_below_low(high, low)) } else { Ok(()) }
}

/// `(counts, DX)` from the smoothed `+DM`, `-DM` and true range. TA-Lib skips the bar when
/// TR or `+DI + -DI` (= `100·sum/TR`) is zero within 1e-8.
#[inline(always)]
fn dx(plus: f64, minus: f64, tr: f64) -> (bool, f64) {
    let sum = minus + plus;
    let valid = !is_zero(tr) && (100.0 * sum).partial_cmp(&(TA_EPSILON * tr)) != Some(Ordering::Less);
    (valid, 100.0 * ((minus - plus).abs() / sum))
}

/// Streaming [`adx`].
///
/// ```
/// # fn main() -> Result<(), hantu_core::indicators::IndicatorError> {
/// let mut adx = hantu_core::indicators::Adx::new(2)?;
/// for i in 0..3 { assert!(adx.next(10.0 + f64::from(i), 9.0 + f64::from(i), 9.5).is_nan()); }
/// assert_eq!(adx.next(13.0, 12.0, 12.5), 100.0);
/// # Ok(()) }
/// ```
#[doc(alias = "ADX")]
#[derive(Debug, Clone)]
pub struct Adx {
    dm: Dm,
    period: usize,
    a: f64,
    b: f64,
    dx_count: usize,
    value: f64,
}

impl Adx {
    /// An ADX over `period` bars.
    ///
    /// # Errors
    /// [`IndicatorError::PeriodTooSmall`] for `period < 2`.
    pub fn new(period: usize) -> Result<Self, IndicatorError> {
        check_period("period", period, 2)?;
        let (a, b) = wilder_factors(period);
        Ok(Self { dm: Dm::new(period), period, a, b, dx_count: 0, value: 0.0 })
    }

    /// Feeds one bar; NaN for the first `2·period - 1` bars.
    #[inline]
    pub fn next(&mut self, high: f64, low: f64, close: f64) -> f64 {
        let Some((plus, minus, tr)) = self.dm.next(high, low, close) else { return f64::NAN };
        let (valid, dx) = dx(plus, minus, tr);
        if self.dx_count >= self.period {
            if valid {
                self.value = self.a * self.value + dx * self.b;
            }
            return self.value;
        }
        self.dx_count += 1;
        if valid {
            self.value += dx;
        }
        if self.dx_count < self.period {
            return f64::NAN;
        }
        self.value /= self.period as f64;
        self.value
    }

    /// Forgets all bars.
    pub fn reset(&mut self) {
        self.dm.reset();
        self.dx_count = 0;
        self.value = 0.0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::indicators::testing::{assert_same, assert_warmup, bars};
    use proptest::prelude::*;

    #[test]
    fn rejects_bad_input() {
        assert!(matches!(adx(&[1.0; 3], &[1.0; 3], &[1.0; 3], 1), Err(IndicatorError::PeriodTooSmall { .. })));
        assert!(matches!(adx(&[1.0; 3], &[1.0; 2], &[1.0; 3], 2), Err(IndicatorError::LengthMismatch { .. })));
    }

    #[test]
    fn flat_bars_carry_zero() {
        let out = adx(&[5.0; 8], &[5.0; 8], &[5.0; 8], 2).unwrap();
        assert_eq!(&out[3..], &[0.0; 5]);
    }

    proptest! {
        #[test]
        fn prop_streaming_matches_batch((h, l, c, _v) in bars(), p in 2usize..20) {
            prop_assume!(p <= c.len());
            let batch = adx(&h, &l, &c, p).unwrap();
            let mut s = Adx::new(p).unwrap();
            s.next(1.0, 0.0, 0.5);
            s.reset();
            let stream: Vec<f64> = (0..c.len()).map(|i| s.next(h[i], l[i], c[i])).collect();
            assert_same(&batch, &stream);
            assert_warmup(&batch, adx_lookback(p).min(c.len()));
            prop_assert!(batch.iter().skip(adx_lookback(p)).all(|v| (0.0..=100.0).contains(v)));
        }
    }
}
