//! Aroon (TA-Lib `AROON`): how many bars since the window's highest high and lowest low.
//!
//! Over the last `p + 1` bars: `up = 100·(p - bars since HH) / p`,
//! `down = 100·(p - bars since LL) / p`.
//!
//! - **Parameters**: `period` p ≥ 2.
//! - **Warm-up**: `p` bars of NaN in both outputs.
//! - **Complexity**: streaming O(1) amortised per bar (monotonic deques that keep positions),
//!   O(p) memory; batch compares each bar with the current extremes and rescans a window only
//!   when its extreme leaves it, as TA-Lib does (no memory beyond the outputs).
//! - **TA-Lib quirk kept**: on ties the most recent extreme counts (TA-Lib scans with `>=`/`<=`).
//!
//! ```
//! # fn main() -> Result<(), hantu_core::indicators::IndicatorError> {
//! let a = hantu_core::indicators::aroon(&[10.0, 12.0, 11.0], &[8.0, 9.0, 7.0], 2)?;
//! assert_eq!((a.up[2], a.down[2]), (50.0, 100.0));
//! # Ok(()) }
//! ```

use super::IndicatorError;
use super::util::{check_fits, check_high_low, check_out, check_period, fill_warmup};
use super::window::{MonoDeque, ScanExtreme};

/// Aroon down and up, each as long as the input (TA-Lib's output order).
#[derive(Debug, Clone, PartialEq)]
pub struct Aroon {
    /// Aroon down.
    pub down: Vec<f64>,
    /// Aroon up.
    pub up: Vec<f64>,
}

/// One bar of [`AroonStream`] output.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AroonValue {
    /// Aroon down.
    pub down: f64,
    /// Aroon up.
    pub up: f64,
}

/// Number of leading NaN outputs of [`aroon`] for `period`.
#[must_use]
pub fn aroon_lookback(period: usize) -> usize {
    period
}

/// Aroon of `high` and `low`.
///
/// # Errors
/// [`IndicatorError::PeriodTooSmall`] for `period < 2`, [`IndicatorError::PeriodTooLong`] when
/// `period` exceeds the input, [`IndicatorError::LengthMismatch`] and
/// [`IndicatorError::HighBelowLow`] for inconsistent bars.
#[doc(alias = "AROON")]
pub fn aroon(high: &[f64], low: &[f64], period: usize) -> Result<Aroon, IndicatorError> {
    let n = high.len();
    let mut a = Aroon { down: vec![0.0; n], up: vec![0.0; n] };
    aroon_into(high, low, period, &mut a.down, &mut a.up)?;
    Ok(a)
}

/// [`aroon`] into two output slices, without allocating.
///
/// # Errors
/// As [`aroon`], plus [`IndicatorError::OutputLength`] when an output has the wrong length.
#[doc(alias = "AROON")]
pub fn aroon_into(
    high: &[f64],
    low: &[f64],
    period: usize,
    out_down: &mut [f64],
    out_up: &mut [f64],
) -> Result<(), IndicatorError> {
    let s = AroonStream::new(period)?;
    let n = high.len();
    check_high_low(high, low)?;
    check_fits("period", period, n)?;
    check_out("out_down", out_down.len(), n)?;
    check_out("out_up", out_up.len(), n)?;
    fill_warmup(out_down, period);
    fill_warmup(out_up, period);
    // A NaN makes its output NaN while it is inside the window (`nan_*` is where that ends).
    let (mut nan_hi, mut nan_lo) = (0, 0);
    for i in 0..period.min(n) {
        if high[i].is_nan() {
            nan_hi = i + period + 1;
        }
        if low[i].is_nan() {
            nan_lo = i + period + 1;
        }
    }
    let (mut hi, mut lo) = (ScanExtreme::new(true), ScanExtreme::new(false));
    let score = |at: usize, i: usize, nan_until: usize| {
        if i < nan_until || at == usize::MAX { f64::NAN } else { s.factor * (period - (i - at)) as f64 }
    };
    for i in period..n {
        if high[i].is_nan() {
            nan_hi = i + period + 1;
        }
        if low[i].is_nan() {
            nan_lo = i + period + 1;
        }
        let start = i - period;
        out_up[i] = score(hi.update(high, start, i), i, nan_hi);
        out_down[i] = score(lo.update(low, start, i), i, nan_lo);
    }
    Ok(())
}

/// Streaming [`aroon`].
#[doc(alias = "AROON")]
#[derive(Debug, Clone)]
pub struct AroonStream {
    hi: MonoDeque,
    lo: MonoDeque,
    period: usize,
    factor: f64,
    i: usize,
}

impl AroonStream {
    /// An Aroon over `period` bars.
    ///
    /// # Errors
    /// [`IndicatorError::PeriodTooSmall`] for `period < 2`.
    pub fn new(period: usize) -> Result<Self, IndicatorError> {
        check_period("period", period, 2)?;
        Ok(Self {
            hi: MonoDeque::new(period + 1, true),
            lo: MonoDeque::new(period + 1, false),
            period,
            factor: 100.0 / period as f64,
            i: 0,
        })
    }

    /// Feeds one bar; NaN for the first `period`.
    #[inline]
    pub fn next(&mut self, high: f64, low: f64) -> AroonValue {
        let i = self.i;
        self.i += 1;
        self.hi.push(i, high);
        self.lo.push(i, low);
        if i < self.period {
            return AroonValue { down: f64::NAN, up: f64::NAN };
        }
        let score = |(v, at): (f64, usize)| {
            if v.is_nan() { f64::NAN } else { self.factor * (self.period - (i - at)) as f64 }
        };
        AroonValue { down: score(self.lo.front(i)), up: score(self.hi.front(i)) }
    }

    /// Forgets all bars.
    pub fn reset(&mut self) {
        self.hi.clear();
        self.lo.clear();
        self.i = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::indicators::testing::{assert_warmup, bars};
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn prop_matches_a_rescan((h, l, _c, _v) in bars(), p in 2usize..30) {
            prop_assume!(p <= h.len());
            let a = aroon(&h, &l, p).unwrap();
            assert_warmup(&a.up, p.min(h.len()));
            for i in p..h.len() {
                // Latest index of the extreme, as TA-Lib's `>=` scan finds it.
                let (mut hi_at, mut lo_at) = (i - p, i - p);
                for j in i - p..=i {
                    if h[j] >= h[hi_at] { hi_at = j; }
                    if l[j] <= l[lo_at] { lo_at = j; }
                }
                prop_assert_eq!(a.up[i], 100.0 / p as f64 * (p - (i - hi_at)) as f64);
                prop_assert_eq!(a.down[i], 100.0 / p as f64 * (p - (i - lo_at)) as f64);
            }
        }
    }
}
