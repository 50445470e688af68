//! Slow stochastic (TA-Lib `STOCH` with its default SMA smoothing).
//!
//! `raw%K = 100·(close - LL) / (HH - LL)` over the last `fastk` bars, `%K = SMA_slowk(raw%K)`,
//! `%D = SMA_slowd(%K)`.
//!
//! - **Parameters**: `fastk`, `slowk`, `slowd` ≥ 1 (TA-Lib's defaults are 5, 3, 3; the common
//!   charting setting is 14, 3, 3). Both smoothings are SMAs, TA-Lib's default `matype = 0`.
//! - **Warm-up**: `fastk - 1 + slowk - 1 + slowd - 1` bars of NaN in both outputs.
//! - **Complexity**: O(1) amortised per bar (monotonic deques for HH and LL), O(fastk + slowk +
//!   slowd) memory.
//! - **TA-Lib quirk kept**: when `HH == LL` raw %K is 0.

use super::IndicatorError;
use super::sma::Sma;
use super::stochf::{RawK, raw_k_batch};
use super::util::{check_fits, check_hlc_lengths, check_out, check_period, fill_warmup};

/// %K and %D, each as long as the input.
#[derive(Debug, Clone, PartialEq)]
pub struct Stoch {
    /// %K.
    pub k: Vec<f64>,
    /// %D.
    pub d: Vec<f64>,
}

/// One bar of stochastic output.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StochValue {
    /// %K.
    pub k: f64,
    /// %D.
    pub d: f64,
}

impl StochValue {
    pub(crate) const NAN: Self = Self { k: f64::NAN, d: f64::NAN };
}

/// Number of leading NaN outputs of [`stoch`].
#[must_use]
pub fn stoch_lookback(fastk: usize, slowk: usize, slowd: usize) -> usize {
    fastk.saturating_sub(1) + slowk.saturating_sub(1) + slowd.saturating_sub(1)
}

/// Slow stochastic of `high`, `low`, `close`.
///
/// ```
/// # fn main() -> Result<(), hantu_core::indicators::IndicatorError> {
/// let (h, l, c) = ([10.0, 12.0, 12.0], [8.0, 8.0, 10.0], [9.0, 11.0, 11.0]);
/// let s = hantu_core::indicators::stoch(&h, &l, &c, 2, 1, 1)?;
/// assert!(s.k[0].is_nan());
/// assert_eq!(&s.k[1..], &[75.0, 75.0]);
/// # Ok(()) }
/// ```
///
/// # Errors
/// [`IndicatorError::PeriodTooSmall`] for a zero period, [`IndicatorError::PeriodTooLong`] when
/// `fastk` exceeds the input, [`IndicatorError::LengthMismatch`] and
/// [`IndicatorError::HighBelowLow`] for inconsistent bars.
#[doc(alias = "STOCH")]
pub fn stoch(
    high: &[f64],
    low: &[f64],
    close: &[f64],
    fastk: usize,
    slowk: usize,
    slowd: usize,
) -> Result<Stoch, IndicatorError> {
    let n = close.len();
    let mut s = Stoch { k: vec![0.0; n], d: vec![0.0; n] };
    stoch_into(high, low, close, fastk, slowk, slowd, &mut s.k, &mut s.d)?;
    Ok(s)
}

/// [`stoch`] into two output slices; allocates only the O(period) windows.
///
/// # Errors
/// As [`stoch`], plus [`IndicatorError::OutputLength`] when an output has the wrong length.
#[doc(alias = "STOCH")]
#[allow(clippy::too_many_arguments, reason = "three inputs, three periods, two outputs")]
pub fn stoch_into(
    high: &[f64],
    low: &[f64],
    close: &[f64],
    fastk: usize,
    slowk: usize,
    slowd: usize,
    out_k: &mut [f64],
    out_d: &mut [f64],
) -> Result<(), IndicatorError> {
    let mut s = StochStream::new(fastk, slowk, slowd)?;
    let n = close.len();
    check_hlc_lengths(high, low, close)?;
    check_fits("fastk", fastk, n)?;
    check_out("out_k", out_k.len(), n)?;
    check_out("out_d", out_d.len(), n)?;
    let lb = stoch_lookback(fastk, slowk, slowd).min(n);
    fill_warmup(out_k, lb);
    fill_warmup(out_d, lb);
    let fast = raw_k_batch(high, low, close, fastk, |i, raw| {
        let v = s.smooth(raw);
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

/// Streaming [`stoch`].
///
/// ```
/// # fn main() -> Result<(), hantu_core::indicators::IndicatorError> {
/// let mut s = hantu_core::indicators::StochStream::new(2, 1, 1)?;
/// assert!(s.next(10.0, 8.0, 9.0).k.is_nan());
/// assert_eq!(s.next(12.0, 8.0, 11.0).k, 75.0);
/// # Ok(()) }
/// ```
#[doc(alias = "STOCH")]
#[derive(Debug, Clone)]
pub struct StochStream {
    raw: RawK,
    k: Sma,
    d: Sma,
}

impl StochStream {
    /// A slow stochastic with the given periods.
    ///
    /// # Errors
    /// [`IndicatorError::PeriodTooSmall`] for a zero period.
    pub fn new(fastk: usize, slowk: usize, slowd: usize) -> Result<Self, IndicatorError> {
        check_period("fastk", fastk, 1)?;
        check_period("slowk", slowk, 1)?;
        check_period("slowd", slowd, 1)?;
        Ok(Self { raw: RawK::new(fastk), k: Sma::new(slowk)?, d: Sma::new(slowd)? })
    }

    /// Feeds one bar; both outputs NaN during the warm-up.
    #[inline]
    pub fn next(&mut self, high: f64, low: f64, close: f64) -> StochValue {
        match self.raw.next(high, low, close) {
            Some(raw) => self.smooth(raw),
            None => StochValue::NAN,
        }
    }

    #[inline(always)]
    fn smooth(&mut self, raw: f64) -> StochValue {
        let k = self.k.next(raw);
        if !self.k.is_ready() {
            return StochValue::NAN;
        }
        let d = self.d.next(k);
        if self.d.is_ready() { StochValue { k, d } } else { StochValue::NAN }
    }

    /// Forgets all bars.
    pub fn reset(&mut self) {
        self.raw.reset();
        self.k.reset();
        self.d.reset();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::indicators::testing::{assert_same, assert_warmup, bars};
    use proptest::prelude::*;

    #[test]
    fn rejects_bad_input() {
        let x = [1.0, 2.0, 3.0];
        assert!(matches!(stoch(&x, &x, &x, 0, 3, 3), Err(IndicatorError::PeriodTooSmall { param: "fastk", .. })));
        assert!(matches!(stoch(&x, &x, &x, 4, 1, 1), Err(IndicatorError::PeriodTooLong { .. })));
        assert!(matches!(stoch(&x, &[2.0, 2.0, 2.0], &x, 2, 1, 1), Err(IndicatorError::HighBelowLow { index: 0, .. })));
    }

    #[test]
    fn window_extremes_slide() {
        // The high of bar 0 must leave the 2-bar window at bar 2.
        let s = stoch(&[20.0, 10.0, 10.0], &[0.0, 0.0, 5.0], &[5.0, 5.0, 5.0], 2, 1, 1).unwrap();
        assert_eq!(&s.k[1..], &[25.0, 50.0]);
    }

    #[test]
    fn nan_bar_blanks_its_windows() {
        let mut h: Vec<f64> = (0..12).map(|i| 10.0 + f64::from(i % 4)).collect();
        let l: Vec<f64> = h.iter().map(|x| x - 2.0).collect();
        h[5] = f64::NAN;
        let fast = crate::indicators::stochf(&h, &l, &l, 3, 1).unwrap();
        for i in 2..12 {
            assert_eq!(fast.k[i].is_nan(), (5..8).contains(&i), "bar {i}");
        }
        // The %K average is a running sum, which a NaN poisons for good.
        let slow = stoch(&h, &l, &l, 3, 2, 1).unwrap();
        assert!(!slow.k[4].is_nan() && slow.k[5..].iter().all(|v| v.is_nan()));
    }

    proptest! {
        #[test]
        fn prop_streaming_matches_batch((h, l, c, _v) in bars(), k in 1usize..20, sk in 1usize..5, sd in 1usize..5) {
            prop_assume!(k <= c.len());
            let batch = stoch(&h, &l, &c, k, sk, sd).unwrap();
            let mut s = StochStream::new(k, sk, sd).unwrap();
            let stream: Vec<StochValue> = (0..c.len()).map(|i| s.next(h[i], l[i], c[i])).collect();
            assert_same(&batch.k, &stream.iter().map(|v| v.k).collect::<Vec<_>>());
            assert_same(&batch.d, &stream.iter().map(|v| v.d).collect::<Vec<_>>());
            assert_warmup(&batch.d, stoch_lookback(k, sk, sd).min(c.len()));
        }

        #[test]
        fn prop_extremes_match_a_rescan((h, l, c, _v) in bars(), k in 1usize..20) {
            prop_assume!(k <= c.len());
            let s = crate::indicators::stochf(&h, &l, &c, k, 1).unwrap();
            for i in k - 1..c.len() {
                let hh = h[i + 1 - k..=i].iter().copied().fold(f64::MIN, f64::max);
                let ll = l[i + 1 - k..=i].iter().copied().fold(f64::MAX, f64::min);
                let want = if hh == ll { 0.0 } else { (c[i] - ll) / ((hh - ll) / 100.0) };
                prop_assert_eq!(s.k[i], want);
            }
        }
    }
}
