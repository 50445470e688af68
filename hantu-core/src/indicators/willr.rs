//! Williams' %R (TA-Lib `WILLR`): `-100·(HH - close) / (HH - LL)` over the last `p` bars.
//!
//! - **Parameters**: `period` p ≥ 1.
//! - **Warm-up**: `p - 1` bars of NaN.
//! - **Complexity**: O(1) per bar. Batch finds the window extremes by blocks (van Herk /
//!   Gil-Werman, see `window.rs`), branch-free; streaming with monotonic deques. Both find the
//!   same extremes, so they agree bit for bit. O(p) memory.
//! - **TA-Lib quirk kept**: 0 when `HH == LL`.
//!
//! ```
//! # fn main() -> Result<(), hantu_core::indicators::IndicatorError> {
//! let out = hantu_core::indicators::willr(&[10.0, 12.0], &[8.0, 8.0], &[9.0, 11.0], 2)?;
//! assert_eq!(out[1], -25.0);
//! # Ok(()) }
//! ```

use super::IndicatorError;
use super::util::{check_fits, check_hlc_lengths, check_out, check_period, fill_warmup, high_below_low};
use super::window::{MonoDeque, sliding_extremes};

/// Number of leading NaN outputs of [`willr`] for `period`.
#[must_use]
pub fn willr_lookback(period: usize) -> usize {
    period.saturating_sub(1)
}

/// Williams' %R over `period` bars: one output per bar, NaN in the warm-up.
///
/// # Errors
/// [`IndicatorError::PeriodTooSmall`] for `period == 0`, [`IndicatorError::PeriodTooLong`]
/// when `period` exceeds the input, [`IndicatorError::LengthMismatch`] and
/// [`IndicatorError::HighBelowLow`] for inconsistent bars.
#[doc(alias = "WILLR")]
pub fn willr(high: &[f64], low: &[f64], close: &[f64], period: usize) -> Result<Vec<f64>, IndicatorError> {
    let mut out = vec![0.0; close.len()];
    willr_into(high, low, close, period, &mut out)?;
    Ok(out)
}

/// [`willr`] into `out` (one slot per bar), without allocating.
///
/// # Errors
/// As [`willr`], plus [`IndicatorError::OutputLength`] when `out` has the wrong length.
#[doc(alias = "WILLR")]
#[multiversion::multiversion(targets("x86_64+avx2+fma", "x86_64+avx"))]
pub fn willr_into(
    high: &[f64],
    low: &[f64],
    close: &[f64],
    period: usize,
    out: &mut [f64],
) -> Result<(), IndicatorError> {
    WillR::new(period)?;
    let n = close.len();
    check_hlc_lengths(high, low, close)?;
    check_fits("period", period, n)?;
    check_out("out", out.len(), n)?;
    fill_warmup(out, willr_lookback(period));
    let (bad, nan) = sliding_extremes(high, low, period, |t, hh, ll| {
        for (((o, &c), &hh), &ll) in out[t..].iter_mut().zip(&close[t..]).zip(hh).zip(ll) {
            *o = value(hh, ll, c);
        }
    });
    if bad {
        return Err(high_below_low(high, low));
    }
    if nan {
        // The block extremes do not carry NaN; the deques do, as documented.
        let mut s = WillR::new(period)?;
        for (i, o) in out.iter_mut().enumerate() {
            *o = s.next(high[i], low[i], close[i]);
        }
    }
    Ok(())
}

/// %R from the window's extremes: 0 for a flat window, as in TA-Lib. One division where TA-Lib
/// has two (`(HH - close) / ((HH - LL) / -100)`); the results differ in the last bits only.
#[inline(always)]
fn value(hh: f64, ll: f64, close: f64) -> f64 {
    let range = hh - ll;
    if range != 0.0 { (hh - close) * -100.0 / range } else { 0.0 }
}

/// Streaming [`willr`].
#[doc(alias = "WILLR")]
#[derive(Debug, Clone)]
pub struct WillR {
    hi: MonoDeque,
    lo: MonoDeque,
    period: usize,
    i: usize,
}

impl WillR {
    /// A Williams' %R over `period` bars.
    ///
    /// # Errors
    /// [`IndicatorError::PeriodTooSmall`] for `period == 0`.
    pub fn new(period: usize) -> Result<Self, IndicatorError> {
        check_period("period", period, 1)?;
        Ok(Self { hi: MonoDeque::new(period, true), lo: MonoDeque::new(period, false), period, i: 0 })
    }

    /// Feeds one bar; NaN until `period` bars were seen.
    #[inline]
    pub fn next(&mut self, high: f64, low: f64, close: f64) -> f64 {
        let i = self.i;
        self.i += 1;
        self.hi.push(i, high);
        self.lo.push(i, low);
        if i + 1 < self.period {
            return f64::NAN;
        }
        value(self.hi.front(i).0, self.lo.front(i).0, close)
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

    #[test]
    fn rejects_high_below_low() {
        assert!(matches!(
            willr(&[1.0, 1.0], &[0.0, 2.0], &[1.0, 1.0], 1),
            Err(IndicatorError::HighBelowLow { index: 1, .. })
        ));
    }

    proptest! {
        #[test]
        fn prop_in_range_and_warmup((h, l, c, _v) in bars(), p in 1usize..30) {
            prop_assume!(p <= h.len());
            let out = willr(&h, &l, &c, p).unwrap();
            assert_warmup(&out, p - 1);
            prop_assert!(out.iter().skip(p - 1).all(|v| (-100.0..=0.0).contains(v)));
        }
    }
}
