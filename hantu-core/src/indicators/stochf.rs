//! Fast stochastic (TA-Lib `STOCHF`) and the raw %K kernel shared with STOCH and STOCHRSI.
//!
//! `%K = 100·(close - LL) / (HH - LL)` over the last `fastk` bars (HH the highest high, LL the
//! lowest low); `%D = SMA_fastd(%K)`.
//!
//! - **Parameters**: `fastk` ≥ 1, `fastd` ≥ 1 (TA-Lib's default SMA for %D).
//! - **Warm-up**: `fastk - 1 + fastd - 1` bars of NaN in both outputs.
//! - **Complexity**: O(1) amortised per bar: the window extremes come from monotonic deques,
//!   not from rescanning the window. O(fastk + fastd) memory.
//! - **TA-Lib quirk kept**: when `HH == LL` %K is 0, and it is computed as
//!   `(close - LL) / ((HH - LL) / 100)`.

use super::IndicatorError;
use super::sma::Sma;
use super::stoch::{Stoch, StochValue};
use super::util::{
    check_fits, check_high_low, check_hlc_lengths, check_out, check_period, fill_warmup, high_below_low,
};
use super::window::{MonoDeque, sliding_extremes};

/// Raw %K over a window of highs and lows.
#[derive(Debug, Clone)]
pub(crate) struct RawK {
    hi: MonoDeque,
    lo: MonoDeque,
    period: usize,
    i: usize,
}

impl RawK {
    pub(crate) fn new(period: usize) -> Self {
        Self { hi: MonoDeque::new(period, true), lo: MonoDeque::new(period, false), period, i: 0 }
    }

    /// Feeds one bar; `None` until `period` bars were seen.
    #[inline(always)]
    pub(crate) fn next(&mut self, high: f64, low: f64, close: f64) -> Option<f64> {
        let i = self.i;
        self.i += 1;
        self.hi.push(i, high);
        self.lo.push(i, low);
        if i + 1 < self.period {
            return None;
        }
        let (hh, _) = self.hi.front(i);
        let (ll, _) = self.lo.front(i);
        Some(raw_k(close, hh, ll))
    }

    pub(crate) fn reset(&mut self) {
        self.hi.clear();
        self.lo.clear();
        self.i = 0;
    }
}

/// TA-Lib's raw %K from the window's extremes.
#[inline(always)]
pub(crate) fn raw_k(close: f64, hh: f64, ll: f64) -> f64 {
    let diff = (hh - ll) / 100.0;
    if diff != 0.0 { (close - ll) / diff } else { 0.0 }
}

/// Runs `sink(i, raw %K)` for every bar from `fastk - 1` on with the block kernel, checking
/// `high >= low` on the way. `Ok(false)` means the bars hold a NaN, the block kernel's output
/// is void, and the caller must redo the work with the streaming type (whose deques give NaN
/// its documented meaning).
pub(crate) fn raw_k_batch(
    high: &[f64],
    low: &[f64],
    close: &[f64],
    fastk: usize,
    mut sink: impl FnMut(usize, f64),
) -> Result<bool, IndicatorError> {
    let (bad, nan) = sliding_extremes(high, low, fastk, |t, hh, ll| {
        for (k, ((&hh, &ll), &c)) in hh.iter().zip(ll).zip(&close[t..]).enumerate() {
            sink(t + k, raw_k(c, hh, ll));
        }
    });
    if bad {
        return Err(high_below_low(high, low));
    }
    if close.len() < fastk {
        check_high_low(high, low)?;
    }
    Ok(!nan)
}

/// Number of leading NaN outputs of [`stochf`].
#[must_use]
pub fn stochf_lookback(fastk: usize, fastd: usize) -> usize {
    fastk.saturating_sub(1) + fastd.saturating_sub(1)
}

/// Fast stochastic: %K and its `fastd`-bar SMA.
///
/// ```
/// # fn main() -> Result<(), hantu_core::indicators::IndicatorError> {
/// let (h, l, c) = ([10.0, 12.0, 12.0], [8.0, 8.0, 10.0], [9.0, 11.0, 11.0]);
/// let s = hantu_core::indicators::stochf(&h, &l, &c, 2, 2)?;
/// assert!(s.k[1].is_nan());
/// assert_eq!((s.k[2], s.d[2]), (75.0, 75.0)); // (11 - 8) / (12 - 8), twice
/// # Ok(()) }
/// ```
///
/// # Errors
/// [`IndicatorError::PeriodTooSmall`] for a zero period, [`IndicatorError::PeriodTooLong`] when
/// `fastk` exceeds the input, [`IndicatorError::LengthMismatch`] and
/// [`IndicatorError::HighBelowLow`] for inconsistent bars.
#[doc(alias = "STOCHF")]
pub fn stochf(high: &[f64], low: &[f64], close: &[f64], fastk: usize, fastd: usize) -> Result<Stoch, IndicatorError> {
    let n = close.len();
    let mut s = Stoch { k: vec![0.0; n], d: vec![0.0; n] };
    stochf_into(high, low, close, fastk, fastd, &mut s.k, &mut s.d)?;
    Ok(s)
}

/// [`stochf`] into two output slices; allocates only the O(period) windows.
///
/// # Errors
/// As [`stochf`], plus [`IndicatorError::OutputLength`] when an output has the wrong length.
#[doc(alias = "STOCHF")]
pub fn stochf_into(
    high: &[f64],
    low: &[f64],
    close: &[f64],
    fastk: usize,
    fastd: usize,
    out_k: &mut [f64],
    out_d: &mut [f64],
) -> Result<(), IndicatorError> {
    let mut s = StochF::new(fastk, fastd)?;
    let n = close.len();
    check_hlc_lengths(high, low, close)?;
    check_fits("fastk", fastk, n)?;
    check_out("out_k", out_k.len(), n)?;
    check_out("out_d", out_d.len(), n)?;
    let lb = stochf_lookback(fastk, fastd).min(n);
    fill_warmup(out_k, lb);
    fill_warmup(out_d, lb);
    let fast = raw_k_batch(high, low, close, fastk, |i, k| {
        let v = s.smooth(k);
        if i >= lb {
            (out_k[i], out_d[i]) = (v.k, v.d);
        }
    })?;
    if !fast {
        s.reset();
        for i in 0..n {
            let v = s.next(high[i], low[i], close[i]);
            (out_k[i], out_d[i]) = (v.k, v.d);
        }
    }
    Ok(())
}

/// Streaming [`stochf`].
#[doc(alias = "STOCHF")]
#[derive(Debug, Clone)]
pub struct StochF {
    raw: RawK,
    d: Sma,
}

impl StochF {
    /// A fast stochastic with the given periods.
    ///
    /// # Errors
    /// [`IndicatorError::PeriodTooSmall`] for a zero period.
    pub fn new(fastk: usize, fastd: usize) -> Result<Self, IndicatorError> {
        check_period("fastk", fastk, 1)?;
        check_period("fastd", fastd, 1)?;
        Ok(Self { raw: RawK::new(fastk), d: Sma::new(fastd)? })
    }

    /// Feeds one bar; both outputs NaN during the warm-up.
    #[inline]
    pub fn next(&mut self, high: f64, low: f64, close: f64) -> StochValue {
        match self.raw.next(high, low, close) {
            Some(k) => self.smooth(k),
            None => StochValue::NAN,
        }
    }

    #[inline(always)]
    fn smooth(&mut self, k: f64) -> StochValue {
        let d = self.d.next(k);
        if self.d.is_ready() { StochValue { k, d } } else { StochValue::NAN }
    }

    /// Forgets all bars.
    pub fn reset(&mut self) {
        self.raw.reset();
        self.d.reset();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::indicators::testing::{assert_same, assert_warmup, bars};
    use proptest::prelude::*;

    #[test]
    fn flat_window_gives_zero() {
        let s = stochf(&[5.0; 3], &[5.0; 3], &[5.0; 3], 2, 1).unwrap();
        assert_eq!(&s.k[1..], &[0.0, 0.0]);
    }

    proptest! {
        #[test]
        fn prop_streaming_matches_batch((h, l, c, _v) in bars(), k in 1usize..20, d in 1usize..5) {
            prop_assume!(k <= c.len());
            let batch = stochf(&h, &l, &c, k, d).unwrap();
            let mut s = StochF::new(k, d).unwrap();
            let stream: Vec<StochValue> = (0..c.len()).map(|i| s.next(h[i], l[i], c[i])).collect();
            assert_same(&batch.k, &stream.iter().map(|v| v.k).collect::<Vec<_>>());
            assert_same(&batch.d, &stream.iter().map(|v| v.d).collect::<Vec<_>>());
            assert_warmup(&batch.d, stochf_lookback(k, d).min(c.len()));
        }
    }
}
