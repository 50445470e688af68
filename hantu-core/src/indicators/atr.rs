//! Average true range (TA-Lib `ATR`), Wilder's smoothing of [`trange`](super::trange).
//!
//! `ATR[p] = mean(TR[1..=p])`, then `ATR[i] = (ATR[i-1]·(p-1) + TR[i]) / p`.
//!
//! - **Parameters**: `period` p ≥ 1 (`p = 1` gives the true range itself, as in TA-Lib).
//! - **Warm-up**: `p` bars of NaN.
//! - **Complexity**: O(1) per bar and O(1) memory. Batch evaluates the smoothing four bars at a
//!   time (see `recurrence.rs`), so it agrees with [`Atr`] to 1e-12 relative, not bit for bit.
//! - **TA-Lib quirk kept**: seeded with the plain mean of the first `p` true ranges (unstable
//!   period 0); the smoothing is computed as `ATR·((p-1)/p) + TR·(1/p)`.

use super::IndicatorError;
use super::recurrence::Powers;
use super::rsi::wilder_factors;
use super::trange::true_range;
use super::util::{check_fits, check_hlc_lengths, check_out, check_period, fill_warmup, high_below_low};

/// Bars whose true ranges are computed together (a multiple of four).
const BLOCK: usize = 256;

/// Number of leading NaN outputs of [`atr`] for `period`.
#[must_use]
pub fn atr_lookback(period: usize) -> usize {
    period
}

/// Average true range over `period` bars.
///
/// ```
/// # fn main() -> Result<(), hantu_core::indicators::IndicatorError> {
/// let (h, l, c) = ([10.0, 11.0, 12.0], [9.0, 10.0, 10.0], [9.5, 10.5, 11.0]);
/// let out = hantu_core::indicators::atr(&h, &l, &c, 1)?;
/// assert!(out[0].is_nan());
/// assert_eq!(&out[1..], &[1.5, 2.0]);
/// # Ok(()) }
/// ```
///
/// # Errors
/// [`IndicatorError::PeriodTooSmall`] for `period == 0`, [`IndicatorError::PeriodTooLong`]
/// when `period` exceeds the input, [`IndicatorError::LengthMismatch`] and
/// [`IndicatorError::HighBelowLow`] for inconsistent bars.
#[doc(alias = "ATR")]
pub fn atr(high: &[f64], low: &[f64], close: &[f64], period: usize) -> Result<Vec<f64>, IndicatorError> {
    let mut out = vec![0.0; close.len()];
    atr_into(high, low, close, period, &mut out)?;
    Ok(out)
}

/// [`atr`] into `out`, without allocating.
///
/// # Errors
/// As [`atr`], plus [`IndicatorError::OutputLength`] when `out` has the wrong length.
#[doc(alias = "ATR")]
#[multiversion::multiversion(targets("x86_64+avx2+fma", "x86_64+avx"))]
pub fn atr_into(
    high: &[f64],
    low: &[f64],
    close: &[f64],
    period: usize,
    out: &mut [f64],
) -> Result<(), IndicatorError> {
    check_period("period", period, 1)?;
    check_hlc_lengths(high, low, close)?;
    check_fits("period", period, close.len())?;
    check_out("out", out.len(), close.len())?;
    wilder_atr(high, low, close, period, out, |atr, _| atr)
}

/// The ATR kernel shared with NATR: writes `map(atr, close)` from bar `period` on, checking
/// `high >= low` as it goes (inputs of equal length, `period <= len`).
#[inline(always)]
pub(crate) fn wilder_atr(
    high: &[f64],
    low: &[f64],
    close: &[f64],
    period: usize,
    out: &mut [f64],
    map: impl Fn(f64, f64) -> f64,
) -> Result<(), IndicatorError> {
    let n = close.len();
    fill_warmup(out, period);
    let mut bad = false;
    if n <= period {
        for i in 0..n {
            bad |= high[i] < low[i];
        }
        return if bad { Err(high_below_low(high, low)) } else { Ok(()) };
    }
    bad |= high[0] < low[0];
    let (a, b) = wilder_factors(period);
    let mut sum = 0.0;
    for i in 1..=period {
        bad |= high[i] < low[i];
        sum += true_range(high[i], low[i], close[i - 1]);
    }
    let mut atr = sum / period as f64;
    out[period] = map(atr, close[period]);
    let pw = Powers::new(a);
    // In blocks: first the block's true ranges, in a loop without a carried value (the
    // compiler vectorises it; `prev` is the close one bar back), then the smoothing four bars
    // at a time over them. Blocks are a multiple of four long, so the four-bar steps fall on
    // the same bars as over the whole series.
    let start = period + 1;
    let mut trs = [0.0; BLOCK];
    let mut i = start;
    while i < n {
        let len = BLOCK.min(n - i);
        let (h, l, prev, c, o) =
            (&high[i..i + len], &low[i..i + len], &close[i - 1..i - 1 + len], &close[i..i + len], &mut out[i..i + len]);
        for (((t, &h), &l), &p) in trs.iter_mut().zip(h).zip(l).zip(prev) {
            *t = true_range(h, l, p) * b;
            bad |= h < l;
        }
        let (mut tc, mut cc, mut oc) = (trs[..len].chunks_exact(4), c.chunks_exact(4), o.chunks_exact_mut(4));
        for ((t, c), o) in (&mut tc).zip(&mut cc).zip(&mut oc) {
            let y = pw.step4(atr, [t[0], t[1], t[2], t[3]]);
            for j in 0..4 {
                o[j] = map(y[j], c[j]);
            }
            atr = y[3];
        }
        for ((&t, &c), o) in tc.remainder().iter().zip(cc.remainder()).zip(oc.into_remainder()) {
            atr = pw.step(atr, t);
            *o = map(atr, c);
        }
        i += len;
    }
    if bad { Err(high_below_low(high, low)) } else { Ok(()) }
}

/// Streaming [`atr`].
///
/// ```
/// # fn main() -> Result<(), hantu_core::indicators::IndicatorError> {
/// let mut atr = hantu_core::indicators::Atr::new(1)?;
/// assert!(atr.next(10.0, 9.0, 9.5).is_nan());
/// assert_eq!(atr.next(11.0, 10.0, 10.5), 1.5);
/// # Ok(()) }
/// ```
#[doc(alias = "ATR")]
#[derive(Debug, Clone)]
pub struct Atr {
    period: usize,
    a: f64,
    b: f64,
    count: usize,
    prev_close: f64,
    value: f64,
}

impl Atr {
    /// An ATR over `period` bars.
    ///
    /// # Errors
    /// [`IndicatorError::PeriodTooSmall`] for `period == 0`.
    pub fn new(period: usize) -> Result<Self, IndicatorError> {
        check_period("period", period, 1)?;
        let (a, b) = wilder_factors(period);
        Ok(Self { period, a, b, count: 0, prev_close: 0.0, value: 0.0 })
    }

    /// Feeds one bar; returns the ATR, NaN for the first `period` bars.
    #[inline]
    pub fn next(&mut self, high: f64, low: f64, close: f64) -> f64 {
        let tr = true_range(high, low, self.prev_close);
        self.prev_close = close;
        if self.count > self.period {
            self.value = self.a * self.value + tr * self.b;
            return self.value;
        }
        self.count += 1;
        if self.count == 1 {
            return f64::NAN;
        }
        self.value += tr;
        if self.count <= self.period {
            return f64::NAN;
        }
        self.value /= self.period as f64;
        self.value
    }

    /// Forgets all bars.
    pub fn reset(&mut self) {
        self.count = 0;
        self.value = 0.0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::indicators::testing::{assert_close, assert_warmup, bars};
    use proptest::prelude::*;

    #[test]
    fn rejects_bad_input() {
        assert!(matches!(atr(&[1.0], &[1.0], &[1.0], 0), Err(IndicatorError::PeriodTooSmall { .. })));
        assert!(matches!(atr(&[1.0], &[1.0], &[1.0], 2), Err(IndicatorError::PeriodTooLong { .. })));
        assert!(matches!(atr(&[1.0, 2.0], &[1.0], &[1.0], 1), Err(IndicatorError::LengthMismatch { .. })));
        let (h, mut l) = (vec![2.0; 9], vec![1.0; 9]);
        l[7] = 3.0;
        assert!(matches!(atr(&h, &l, &h, 2), Err(IndicatorError::HighBelowLow { index: 7, .. })));
        assert!(matches!(atr(&h[..8], &l[..8], &h[..8], 8), Err(IndicatorError::HighBelowLow { index: 7, .. })));
    }

    proptest! {
        #[test]
        fn prop_streaming_matches_batch((h, l, c, _v) in bars(), p in 1usize..30) {
            prop_assume!(p <= c.len());
            let batch = atr(&h, &l, &c, p).unwrap();
            let mut s = Atr::new(p).unwrap();
            let stream: Vec<f64> = (0..c.len()).map(|i| s.next(h[i], l[i], c[i])).collect();
            assert_close(&batch, &stream);
            assert_warmup(&batch, atr_lookback(p).min(c.len()));
        }
    }
}
