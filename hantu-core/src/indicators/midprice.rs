//! Midpoint of the window's range (TA-Lib `MIDPRICE`): `(HH + LL) / 2` over the last `p` bars.
//!
//! - **Parameters**: `period` p ≥ 1.
//! - **Warm-up**: `p - 1` bars of NaN.
//! - **Complexity**: O(1) per bar. Batch finds the window extremes by blocks (van Herk /
//!   Gil-Werman, see `window.rs`), branch-free; streaming with monotonic deques. Both find the
//!   same extremes, so they agree bit for bit. O(p) memory.
//!
//! ```
//! # fn main() -> Result<(), hantu_core::indicators::IndicatorError> {
//! let out = hantu_core::indicators::midprice(&[10.0, 12.0, 11.0], &[8.0, 9.0, 10.0], 2)?;
//! assert_eq!(&out[1..], &[10.0, 10.5]);
//! # Ok(()) }
//! ```

use super::IndicatorError;
use super::util::{check_fits, check_len, check_out, check_period, fill_warmup, high_below_low};
use super::window::{MonoDeque, sliding_extremes};

/// Number of leading NaN outputs of [`midprice`] for `period`.
#[must_use]
pub fn midprice_lookback(period: usize) -> usize {
    period.saturating_sub(1)
}

/// Midpoint of the high-low range over `period` bars: one output per bar, NaN in the warm-up.
///
/// # Errors
/// [`IndicatorError::PeriodTooSmall`] for `period == 0`, [`IndicatorError::PeriodTooLong`]
/// when `period` exceeds the input, [`IndicatorError::LengthMismatch`] and
/// [`IndicatorError::HighBelowLow`] for inconsistent bars.
#[doc(alias = "MIDPRICE")]
pub fn midprice(high: &[f64], low: &[f64], period: usize) -> Result<Vec<f64>, IndicatorError> {
    let mut out = vec![0.0; high.len()];
    midprice_into(high, low, period, &mut out)?;
    Ok(out)
}

/// [`midprice`] into `out` (one slot per bar), without allocating.
///
/// # Errors
/// As [`midprice`], plus [`IndicatorError::OutputLength`] when `out` has the wrong length.
#[doc(alias = "MIDPRICE")]
#[multiversion::multiversion(targets("x86_64+avx2+fma", "x86_64+avx"))]
pub fn midprice_into(high: &[f64], low: &[f64], period: usize, out: &mut [f64]) -> Result<(), IndicatorError> {
    MidPrice::new(period)?;
    let n = high.len();
    check_len("low", low.len(), "high", n)?;
    check_fits("period", period, n)?;
    check_out("out", out.len(), n)?;
    fill_warmup(out, midprice_lookback(period));
    let (bad, nan) = sliding_extremes(high, low, period, |t, hh, ll| {
        for ((o, &hh), &ll) in out[t..].iter_mut().zip(hh).zip(ll) {
            *o = (hh + ll) / 2.0;
        }
    });
    if bad {
        return Err(high_below_low(high, low));
    }
    if nan {
        // The block extremes do not carry NaN; the deques do, as documented.
        let mut s = MidPrice::new(period)?;
        for (i, o) in out.iter_mut().enumerate() {
            *o = s.next(high[i], low[i]);
        }
    }
    Ok(())
}

/// Streaming [`midprice`].
#[doc(alias = "MIDPRICE")]
#[derive(Debug, Clone)]
pub struct MidPrice {
    hi: MonoDeque,
    lo: MonoDeque,
    period: usize,
    i: usize,
}

impl MidPrice {
    /// A midprice over `period` bars.
    ///
    /// # Errors
    /// [`IndicatorError::PeriodTooSmall`] for `period == 0`.
    pub fn new(period: usize) -> Result<Self, IndicatorError> {
        check_period("period", period, 1)?;
        Ok(Self { hi: MonoDeque::new(period, true), lo: MonoDeque::new(period, false), period, i: 0 })
    }

    /// Feeds one bar; NaN until `period` bars were seen (and while a NaN is in the window).
    #[inline]
    pub fn next(&mut self, high: f64, low: f64) -> f64 {
        let i = self.i;
        self.i += 1;
        self.hi.push(i, high);
        self.lo.push(i, low);
        if i + 1 < self.period {
            return f64::NAN;
        }
        (self.hi.front(i).0 + self.lo.front(i).0) / 2.0
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
        fn prop_matches_a_rescan((h, l, _c, _v) in bars(), p in 1usize..30) {
            prop_assume!(p <= h.len());
            let out = midprice(&h, &l, p).unwrap();
            assert_warmup(&out, p - 1);
            for i in p - 1..h.len() {
                let hh = h[i + 1 - p..=i].iter().copied().fold(f64::MIN, f64::max);
                let ll = l[i + 1 - p..=i].iter().copied().fold(f64::MAX, f64::min);
                prop_assert_eq!(out[i], (hh + ll) / 2.0);
            }
        }
    }
}
