//! Moving average convergence/divergence (TA-Lib `MACD`).
//!
//! `MACD = EMA_fast(x) - EMA_slow(x)`, `signal = EMA_signal(MACD)`, `hist = MACD - signal`.
//!
//! - **Parameters**: `fast` ≥ 2, `slow` ≥ 2 (swapped if `slow < fast`, as TA-Lib does),
//!   `signal` ≥ 1.
//! - **Warm-up**: `slow - 1 + signal - 1` bars of NaN in all three outputs.
//! - **Complexity**: O(1) per bar and O(1) memory, one pass; the three EMAs are evaluated four
//!   bars at a time (see `recurrence.rs`), so batch agrees with [`MacdStream`] to 1e-12 relative.
//! - **TA-Lib quirks kept**: every EMA is seeded with an SMA, and the fast EMA's seed window
//!   is *aligned on the slow one*: it is the mean of bars `slow - fast .. slow`, not of the first
//!   `fast` bars, so both EMAs start on bar `slow - 1`. The signal EMA is seeded with the mean
//!   of the first `signal` MACD values. (TA-Lib's `MACDFIX`, with its fixed 0.15/0.075
//!   factors, is a different function and not offered here.)

use super::IndicatorError;
use super::ema::{Ema, ema_factors, seed};
use super::recurrence::Powers;
use super::util::{check_fits, check_out, check_period, fill_warmup};

/// MACD line, signal line and histogram, each as long as the input.
#[derive(Debug, Clone, PartialEq)]
pub struct Macd {
    /// `EMA_fast - EMA_slow`.
    pub macd: Vec<f64>,
    /// EMA of the MACD line.
    pub signal: Vec<f64>,
    /// `macd - signal`.
    pub hist: Vec<f64>,
}

/// One bar of [`MacdStream`] output.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MacdValue {
    /// `EMA_fast - EMA_slow`.
    pub macd: f64,
    /// EMA of the MACD line.
    pub signal: f64,
    /// `macd - signal`.
    pub hist: f64,
}

impl MacdValue {
    const NAN: Self = Self { macd: f64::NAN, signal: f64::NAN, hist: f64::NAN };
}

/// Number of leading NaN outputs of [`macd`].
#[must_use]
pub fn macd_lookback(fast: usize, slow: usize, signal: usize) -> usize {
    fast.max(slow).saturating_sub(1) + signal.saturating_sub(1)
}

/// MACD of `close`.
///
/// ```
/// # fn main() -> Result<(), hantu_core::indicators::IndicatorError> {
/// let close: Vec<f64> = (0..40).map(|i| 100.0 + f64::from(i)).collect();
/// let m = hantu_core::indicators::macd(&close, 12, 26, 9)?;
/// assert!(m.macd[32].is_nan());
/// assert!((m.macd[33] - 7.0).abs() < 1e-9); // a straight line: the EMA lags differ by 7
/// assert!(m.hist[39].abs() < 1e-9);
/// # Ok(()) }
/// ```
///
/// # Errors
/// [`IndicatorError::PeriodTooSmall`] for `fast` or `slow` below 2 or `signal == 0`,
/// [`IndicatorError::PeriodTooLong`] when the slow period exceeds the input.
#[doc(alias = "MACD")]
pub fn macd(close: &[f64], fast: usize, slow: usize, signal: usize) -> Result<Macd, IndicatorError> {
    let n = close.len();
    let mut m = Macd { macd: vec![0.0; n], signal: vec![0.0; n], hist: vec![0.0; n] };
    macd_into(close, fast, slow, signal, &mut m.macd, &mut m.signal, &mut m.hist)?;
    Ok(m)
}

/// [`macd`] into three output slices, without allocating.
///
/// # Errors
/// As [`macd`], plus [`IndicatorError::OutputLength`] when an output has the wrong length.
#[doc(alias = "MACD")]
pub fn macd_into(
    close: &[f64],
    fast: usize,
    slow: usize,
    signal: usize,
    out_macd: &mut [f64],
    out_signal: &mut [f64],
    out_hist: &mut [f64],
) -> Result<(), IndicatorError> {
    let (fast, slow) = check_params(fast, slow, signal)?;
    let n = close.len();
    check_fits("slow", slow, n)?;
    check_out("out_macd", out_macd.len(), n)?;
    check_out("out_signal", out_signal.len(), n)?;
    check_out("out_hist", out_hist.len(), n)?;
    let lookback = macd_lookback(fast, slow, signal);
    fill_warmup(out_macd, lookback);
    fill_warmup(out_signal, lookback);
    fill_warmup(out_hist, lookback);
    if n <= lookback {
        return Ok(());
    }
    let ((kf, af), (ks, as_), (kg, ag)) = (ema_factors(fast), ema_factors(slow), ema_factors(signal));
    let mut ys = seed(&close[..slow]);
    let mut yf = seed(&close[slow - fast..slow]);
    let mut m = yf - ys;
    let mut sum = m;
    for &x in &close[slow..=lookback] {
        yf = af * yf + x * kf;
        ys = as_ * ys + x * ks;
        m = yf - ys;
        sum += m;
    }
    let mut sg = sum / signal as f64;
    out_macd[lookback] = m;
    out_signal[lookback] = sg;
    out_hist[lookback] = m - sg;
    let start = lookback + 1;
    let (pf, ps, pg) = (Powers::new(af), Powers::new(as_), Powers::new(ag));
    let mut oc = out_macd[start..].chunks_exact_mut(4);
    let mut sc = out_signal[start..].chunks_exact_mut(4);
    let mut hc = out_hist[start..].chunks_exact_mut(4);
    let mut xc = close[start..].chunks_exact(4);
    for (((om, os), oh), x) in (&mut oc).zip(&mut sc).zip(&mut hc).zip(&mut xc) {
        let f = pf.step4(yf, [x[0] * kf, x[1] * kf, x[2] * kf, x[3] * kf]);
        let s = ps.step4(ys, [x[0] * ks, x[1] * ks, x[2] * ks, x[3] * ks]);
        let m = [f[0] - s[0], f[1] - s[1], f[2] - s[2], f[3] - s[3]];
        let g = pg.step4(sg, [m[0] * kg, m[1] * kg, m[2] * kg, m[3] * kg]);
        om.copy_from_slice(&m);
        os.copy_from_slice(&g);
        for j in 0..4 {
            oh[j] = m[j] - g[j];
        }
        (yf, ys, sg) = (f[3], s[3], g[3]);
    }
    let (om, os, oh) = (oc.into_remainder(), sc.into_remainder(), hc.into_remainder());
    for (i, &x) in xc.remainder().iter().enumerate() {
        yf = pf.step(yf, x * kf);
        ys = ps.step(ys, x * ks);
        m = yf - ys;
        sg = pg.step(sg, m * kg);
        om[i] = m;
        os[i] = sg;
        oh[i] = m - sg;
    }
    Ok(())
}

fn check_params(fast: usize, slow: usize, signal: usize) -> Result<(usize, usize), IndicatorError> {
    check_period("fast", fast, 2)?;
    check_period("slow", slow, 2)?;
    check_period("signal", signal, 1)?;
    Ok(if slow < fast { (slow, fast) } else { (fast, slow) })
}

/// Streaming [`macd`].
///
/// ```
/// # fn main() -> Result<(), hantu_core::indicators::IndicatorError> {
/// let mut m = hantu_core::indicators::MacdStream::new(2, 3, 2)?;
/// for x in [1.0, 2.0, 3.0] { assert!(m.next(x).macd.is_nan()); }
/// let v = m.next(4.0);
/// assert!((v.macd - 0.5).abs() < 1e-12);
/// # Ok(()) }
/// ```
#[doc(alias = "MACD")]
#[derive(Debug, Clone)]
pub struct MacdStream {
    fast: Ema,
    slow: Ema,
    signal: Ema,
    fast_skip: usize,
    seen: usize,
}

impl MacdStream {
    /// A MACD with the given periods.
    ///
    /// # Errors
    /// [`IndicatorError::PeriodTooSmall`] for `fast` or `slow` below 2 or `signal == 0`.
    pub fn new(fast: usize, slow: usize, signal: usize) -> Result<Self, IndicatorError> {
        let (fast, slow) = check_params(fast, slow, signal)?;
        Ok(Self {
            fast: Ema::new(fast)?,
            slow: Ema::new(slow)?,
            signal: Ema::new(signal)?,
            fast_skip: slow - fast,
            seen: 0,
        })
    }

    /// Feeds one close; all three outputs are NaN during the warm-up.
    #[inline]
    pub fn next(&mut self, x: f64) -> MacdValue {
        let ys = self.slow.next(x);
        if self.seen < self.fast_skip {
            self.seen += 1;
            return MacdValue::NAN;
        }
        let yf = self.fast.next(x);
        if !self.slow.is_ready() {
            return MacdValue::NAN;
        }
        let m = yf - ys;
        let sg = self.signal.next(m);
        if self.signal.is_ready() { MacdValue { macd: m, signal: sg, hist: m - sg } } else { MacdValue::NAN }
    }

    /// Forgets all values.
    pub fn reset(&mut self) {
        self.fast.reset();
        self.slow.reset();
        self.signal.reset();
        self.seen = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::indicators::testing::{assert_close_scaled, assert_same, assert_warmup, closes};
    use proptest::prelude::*;

    #[test]
    fn rejects_bad_periods() {
        assert!(matches!(macd(&[1.0; 5], 1, 3, 2), Err(IndicatorError::PeriodTooSmall { param: "fast", .. })));
        assert!(matches!(macd(&[1.0; 5], 2, 3, 0), Err(IndicatorError::PeriodTooSmall { param: "signal", .. })));
        assert!(matches!(macd(&[1.0; 5], 2, 6, 2), Err(IndicatorError::PeriodTooLong { .. })));
    }

    #[test]
    fn swapped_periods_match_talib() {
        let x: Vec<f64> = (0..50).map(|i| f64::from(i % 7) + f64::from(i)).collect();
        let (a, b) = (macd(&x, 26, 12, 9).unwrap(), macd(&x, 12, 26, 9).unwrap());
        assert_same(&a.macd, &b.macd);
        assert_same(&a.hist, &b.hist);
    }

    proptest! {
        #[test]
        fn prop_streaming_matches_batch(x in closes(), f in 2usize..10, s in 2usize..20, g in 1usize..10) {
            prop_assume!(f.max(s) <= x.len());
            let batch = macd(&x, f, s, g).unwrap();
            let mut m = MacdStream::new(f, s, g).unwrap();
            let stream: Vec<MacdValue> = x.iter().map(|&v| m.next(v)).collect();
            assert_close_scaled(&batch.macd, &stream.iter().map(|v| v.macd).collect::<Vec<_>>(), 1e5);
            assert_close_scaled(&batch.signal, &stream.iter().map(|v| v.signal).collect::<Vec<_>>(), 1e5);
            assert_close_scaled(&batch.hist, &stream.iter().map(|v| v.hist).collect::<Vec<_>>(), 1e5);
            assert_warmup(&batch.hist, macd_lookback(f, s, g).min(x.len()));
        }
    }
}
