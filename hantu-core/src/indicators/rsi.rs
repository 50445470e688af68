//! Relative strength index (TA-Lib `RSI`), Wilder's smoothing.
//!
//! With `d = x[i] - x[i-1]`, `up = max(d, 0)`, `down = max(-d, 0)`:
//! `G[p] = Σ up / p`, `L[p] = Σ down / p` over bars `1..=p`, then
//! `G[i] = (G[i-1]·(p-1) + up) / p` (same for `L`), and `RSI = 100·G / (G + L)`.
//!
//! - **Parameters**: `period` p ≥ 2.
//! - **Warm-up**: `p` bars of NaN (one more than the period: the first bar has no change).
//! - **Complexity**: O(1) per bar and O(1) memory. Batch evaluates the smoothing four bars at a
//!   time (see `recurrence.rs`), so it agrees with [`Rsi`] to 1e-12 relative, not bit for bit.
//! - **TA-Lib quirks kept**: the averages are seeded with a plain mean of the first `p` changes
//!   (unstable period 0); when `G + L` is within 1e-8 of zero (a flat window) the output is 0,
//!   not 50. The smoothing is computed as `G·((p-1)/p) + up·(1/p)`, equal to TA-Lib's to the
//!   last bits.

use super::IndicatorError;
use super::recurrence::Powers;
use super::util::{check_fits, check_out, check_period, fill_warmup, is_zero};

/// Number of leading NaN outputs of [`rsi`] for `period`.
#[must_use]
pub fn rsi_lookback(period: usize) -> usize {
    period
}

/// Relative strength index of `close` over `period` bars.
///
/// ```
/// # fn main() -> Result<(), hantu_core::indicators::IndicatorError> {
/// let out = hantu_core::indicators::rsi(&[1.0, 2.0, 1.0, 2.0], 2)?;
/// assert!(out[1].is_nan());
/// assert_eq!(out[2], 50.0); // one rise of 1 and one fall of 1
/// # Ok(()) }
/// ```
///
/// # Errors
/// [`IndicatorError::PeriodTooSmall`] for `period < 2`, [`IndicatorError::PeriodTooLong`]
/// when `period > close.len()`.
#[doc(alias = "RSI")]
pub fn rsi(close: &[f64], period: usize) -> Result<Vec<f64>, IndicatorError> {
    let mut out = vec![0.0; close.len()];
    rsi_into(close, period, &mut out)?;
    Ok(out)
}

/// [`rsi`] into `out` (same length as `close`), without allocating.
///
/// # Errors
/// As [`rsi`], plus [`IndicatorError::OutputLength`] when `out.len() != close.len()`.
#[doc(alias = "RSI")]
pub fn rsi_into(close: &[f64], period: usize, out: &mut [f64]) -> Result<(), IndicatorError> {
    check_period("period", period, 2)?;
    check_fits("period", period, close.len())?;
    check_out("out", out.len(), close.len())?;
    fill_warmup(out, period);
    if close.len() <= period {
        return Ok(());
    }
    let (a, b) = wilder_factors(period);
    let (mut gain, mut loss) = (0.0, 0.0);
    for w in close[..=period].windows(2) {
        let (up, down) = split(w[1] - w[0]);
        gain += up;
        loss += down;
    }
    gain /= period as f64;
    loss /= period as f64;
    out[period] = rsi_value(gain, loss);
    let pw = Powers::new(a);
    let rest = &close[period..];
    let mut oc = out[period + 1..].chunks_exact_mut(4);
    let mut xc = rest.windows(5).step_by(4);
    for (o, x) in (&mut oc).zip(&mut xc) {
        let d = [split(x[1] - x[0]), split(x[2] - x[1]), split(x[3] - x[2]), split(x[4] - x[3])];
        let g = pw.step4(gain, [d[0].0 * b, d[1].0 * b, d[2].0 * b, d[3].0 * b]);
        let l = pw.step4(loss, [d[0].1 * b, d[1].1 * b, d[2].1 * b, d[3].1 * b]);
        // Straight-line division of four independent lanes so the compiler can pair them into
        // packed divides: the division, not the recurrence, bounds this loop.
        let t = [g[0] + l[0], g[1] + l[1], g[2] + l[2], g[3] + l[3]];
        let q = [g[0] / t[0], g[1] / t[1], g[2] / t[2], g[3] / t[3]];
        for j in 0..4 {
            o[j] = if is_zero(t[j]) { 0.0 } else { 100.0 * q[j] };
        }
        (gain, loss) = (g[3], l[3]);
    }
    let done = rest.len() - 1 - oc.into_remainder().len();
    for i in done..rest.len() - 1 {
        let (up, down) = split(rest[i + 1] - rest[i]);
        gain = pw.step(gain, up * b);
        loss = pw.step(loss, down * b);
        out[period + 1 + i] = rsi_value(gain, loss);
    }
    Ok(())
}

/// `((p-1)/p, 1/p)`: Wilder's smoothing as two multiplies.
#[inline]
pub(crate) fn wilder_factors(period: usize) -> (f64, f64) {
    let p = period as f64;
    ((p - 1.0) / p, 1.0 / p)
}

/// `(up, down)` of a change; a NaN change goes to `up` so that it propagates.
#[inline(always)]
pub(crate) fn split(d: f64) -> (f64, f64) {
    if d < 0.0 { (0.0, -d) } else { (d, 0.0) }
}

#[inline(always)]
fn rsi_value(gain: f64, loss: f64) -> f64 {
    let total = gain + loss;
    if is_zero(total) { 0.0 } else { 100.0 * (gain / total) }
}

/// Streaming [`rsi`].
///
/// ```
/// # fn main() -> Result<(), hantu_core::indicators::IndicatorError> {
/// let mut rsi = hantu_core::indicators::Rsi::new(2)?;
/// for x in [1.0, 2.0] { assert!(rsi.next(x).is_nan()); }
/// assert_eq!(rsi.next(1.0), 50.0);
/// # Ok(()) }
/// ```
#[doc(alias = "RSI")]
#[derive(Debug, Clone)]
pub struct Rsi(GainLoss);

impl Rsi {
    /// An RSI over `period` bars.
    ///
    /// # Errors
    /// [`IndicatorError::PeriodTooSmall`] for `period < 2`.
    pub fn new(period: usize) -> Result<Self, IndicatorError> {
        GainLoss::new(period).map(Self)
    }

    /// Feeds one close; returns the RSI, NaN for the first `period` closes.
    #[inline]
    pub fn next(&mut self, x: f64) -> f64 {
        self.0.next(x).map_or(f64::NAN, |(gain, loss)| rsi_value(gain, loss))
    }

    /// Forgets all values.
    pub fn reset(&mut self) {
        self.0.reset();
    }
}

/// Wilder-smoothed average gain and loss of successive closes, as TA-Lib keeps them for RSI
/// (and, with the same quirk, for CMO): a plain mean over the first `period` differences, then
/// `avg = a·avg + b·x`.
#[derive(Debug, Clone)]
pub(super) struct GainLoss {
    period: usize,
    a: f64,
    b: f64,
    count: usize,
    prev: f64,
    gain: f64,
    loss: f64,
}

impl GainLoss {
    pub(super) fn new(period: usize) -> Result<Self, IndicatorError> {
        check_period("period", period, 2)?;
        let (a, b) = wilder_factors(period);
        Ok(Self { period, a, b, count: 0, prev: 0.0, gain: 0.0, loss: 0.0 })
    }

    /// Feeds one close; `(gain, loss)` once `period` differences were seen.
    #[inline]
    pub(super) fn next(&mut self, x: f64) -> Option<(f64, f64)> {
        let (up, down) = split(x - self.prev);
        self.prev = x;
        if self.count > self.period {
            self.gain = self.a * self.gain + up * self.b;
            self.loss = self.a * self.loss + down * self.b;
            return Some((self.gain, self.loss));
        }
        self.count += 1;
        if self.count == 1 {
            return None;
        }
        self.gain += up;
        self.loss += down;
        if self.count <= self.period {
            return None;
        }
        self.gain /= self.period as f64;
        self.loss /= self.period as f64;
        Some((self.gain, self.loss))
    }

    pub(super) fn reset(&mut self) {
        self.count = 0;
        self.gain = 0.0;
        self.loss = 0.0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::indicators::testing::{assert_close, assert_warmup, closes};
    use proptest::prelude::*;

    #[test]
    fn rejects_bad_periods() {
        assert!(matches!(rsi(&[1.0, 2.0], 1), Err(IndicatorError::PeriodTooSmall { min: 2, .. })));
        assert!(matches!(rsi(&[1.0, 2.0], 3), Err(IndicatorError::PeriodTooLong { .. })));
    }

    #[test]
    fn flat_series_gives_zero_like_talib() {
        let out = rsi(&[5.0; 6], 3).unwrap();
        assert_eq!(&out[3..], &[0.0, 0.0, 0.0]);
    }

    #[test]
    fn nan_input_poisons_later_outputs() {
        let out = rsi(&[1.0, 2.0, 3.0, f64::NAN, 4.0, 5.0], 2).unwrap();
        assert_eq!(out[2], 100.0);
        assert!(out[3..].iter().all(|v| v.is_nan()));
    }

    proptest! {
        #[test]
        fn prop_streaming_matches_batch(x in closes(), p in 2usize..30) {
            prop_assume!(p <= x.len());
            let batch = rsi(&x, p).unwrap();
            let mut r = Rsi::new(p).unwrap();
            let mut stream: Vec<f64> = x.iter().map(|&v| r.next(v)).collect();
            assert_close(&batch, &stream);
            assert_warmup(&batch, rsi_lookback(p).min(x.len()));
            r.reset();
            stream = x.iter().map(|&v| r.next(v)).collect();
            assert_close(&batch, &stream);
        }
    }
}
