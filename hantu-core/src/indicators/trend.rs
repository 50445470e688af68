//! Trend classifier for screening rules: up, down or sideways from moving-average alignment and
//! the slope of the slow average (not in TA-Lib).
//!
//! With `F = SMA_fast(close)`, `S = SMA_slow(close)` and the slow average's slope per bar
//! `g = (S[i] - S[i-k]) / S[i-k] / k` over `k = slope_bars`:
//! - **Up** when `close > F > S` and `g > min_slope`;
//! - **Down** when `close < F < S` and `g < -min_slope`;
//! - **Sideways** otherwise (mixed alignment or a flat slow average);
//! - **Unknown** during the warm-up, or when an input is NaN.
//!
//! - **Parameters**: [`TrendParams`] (defaults 20, 60, 5 bars, 0.0).
//! - **Warm-up**: `slow - 1 + slope_bars` bars of [`Trend::Unknown`].
//! - **Complexity**: O(1) per bar, O(slow) memory.
//!
//! ```
//! # fn main() -> Result<(), hantu_core::indicators::IndicatorError> {
//! use hantu_core::indicators::{Trend, TrendParams, trend};
//! let params = TrendParams { fast: 2, slow: 4, slope_bars: 1, min_slope: 0.0 };
//! let rising: Vec<f64> = (0..8).map(|i| 100.0 + f64::from(i)).collect();
//! let t = trend(&rising, &params)?;
//! assert_eq!(t[3], Trend::Unknown);
//! assert_eq!(t[7], Trend::Up);
//! # Ok(()) }
//! ```

use super::IndicatorError;
use super::sma::Sma;
use super::util::{check_fits, check_out, check_period};
use super::window::Ring;

/// The trend on one bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Trend {
    /// Not enough history yet (or a NaN input).
    #[default]
    Unknown,
    /// Close above the fast average, fast above slow, slow average rising.
    Up,
    /// Close below the fast average, fast below slow, slow average falling.
    Down,
    /// Anything else.
    Sideways,
}

/// Parameters of the trend classifier.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TrendParams {
    /// Fast SMA period (≥ 1).
    pub fast: usize,
    /// Slow SMA period (> `fast`).
    pub slow: usize,
    /// Bars over which the slow average's slope is measured (≥ 1).
    pub slope_bars: usize,
    /// Smallest relative slope per bar that counts as rising or falling (≥ 0; e.g. 0.0005 is
    /// 0.05 % a bar).
    pub min_slope: f64,
}

impl Default for TrendParams {
    fn default() -> Self {
        Self { fast: 20, slow: 60, slope_bars: 5, min_slope: 0.0 }
    }
}

impl TrendParams {
    /// Checks the parameters.
    ///
    /// # Errors
    /// [`IndicatorError::PeriodTooSmall`] for `fast == 0`, `slow <= fast` or `slope_bars == 0`;
    /// [`IndicatorError::Param`] for a negative or non-finite `min_slope`.
    pub fn validate(&self) -> Result<(), IndicatorError> {
        check_period("fast", self.fast, 1)?;
        check_period("slow", self.slow, self.fast + 1)?;
        check_period("slope_bars", self.slope_bars, 1)?;
        if !(self.min_slope.is_finite() && self.min_slope >= 0.0) {
            return Err(IndicatorError::Param {
                param: "min_slope",
                reason: format!("{} is not >= 0", self.min_slope),
            });
        }
        Ok(())
    }
}

/// Number of leading [`Trend::Unknown`] outputs of [`trend`].
#[must_use]
pub fn trend_lookback(params: &TrendParams) -> usize {
    params.slow.saturating_sub(1) + params.slope_bars
}

/// Classifies every bar of `close`.
///
/// # Errors
/// As [`TrendParams::validate`], plus [`IndicatorError::PeriodTooLong`] when `slow` exceeds the
/// input.
pub fn trend(close: &[f64], params: &TrendParams) -> Result<Vec<Trend>, IndicatorError> {
    let mut out = vec![Trend::Unknown; close.len()];
    trend_into(close, params, &mut out)?;
    Ok(out)
}

/// [`trend`] into `out`; allocates only the O(slow) state.
///
/// # Errors
/// As [`trend`], plus [`IndicatorError::OutputLength`] when `out` has the wrong length.
pub fn trend_into(close: &[f64], params: &TrendParams, out: &mut [Trend]) -> Result<(), IndicatorError> {
    let mut s = TrendClassifier::new(params)?;
    check_fits("slow", params.slow, close.len())?;
    check_out("out", out.len(), close.len())?;
    for (o, &x) in out.iter_mut().zip(close) {
        *o = s.next(x);
    }
    Ok(())
}

/// Streaming [`trend`].
#[derive(Debug, Clone)]
pub struct TrendClassifier {
    fast: Sma,
    slow: Sma,
    history: Ring,
    params: TrendParams,
}

impl TrendClassifier {
    /// A classifier with `params`.
    ///
    /// # Errors
    /// As [`TrendParams::validate`].
    pub fn new(params: &TrendParams) -> Result<Self, IndicatorError> {
        params.validate()?;
        Ok(Self {
            fast: Sma::new(params.fast)?,
            slow: Sma::new(params.slow)?,
            history: Ring::new(params.slope_bars + 1),
            params: *params,
        })
    }

    /// Feeds one close; returns its trend.
    #[inline]
    pub fn next(&mut self, close: f64) -> Trend {
        let f = self.fast.next(close);
        let s = self.slow.next(close);
        if !self.slow.is_ready() {
            return Trend::Unknown;
        }
        self.history.push(s);
        let Some(base) = self.history.get_back(self.params.slope_bars) else { return Trend::Unknown };
        let slope = (s - base) / base / self.params.slope_bars as f64;
        if close.is_nan() || f.is_nan() || slope.is_nan() {
            Trend::Unknown
        } else if close > f && f > s && slope > self.params.min_slope {
            Trend::Up
        } else if close < f && f < s && slope < -self.params.min_slope {
            Trend::Down
        } else {
            Trend::Sideways
        }
    }

    /// Forgets all values.
    pub fn reset(&mut self) {
        self.fast.reset();
        self.slow.reset();
        self.history.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::indicators::testing::closes;
    use proptest::prelude::*;

    #[test]
    fn rejects_bad_params() {
        let p = TrendParams { fast: 5, slow: 5, ..TrendParams::default() };
        assert!(matches!(trend(&[1.0; 10], &p), Err(IndicatorError::PeriodTooSmall { param: "slow", .. })));
        let p = TrendParams { min_slope: -1.0, fast: 1, slow: 2, slope_bars: 1 };
        assert!(matches!(trend(&[1.0; 10], &p), Err(IndicatorError::Param { .. })));
    }

    #[test]
    fn classifies_falling_and_flat() {
        let p = TrendParams { fast: 2, slow: 4, slope_bars: 1, min_slope: 0.0 };
        let falling: Vec<f64> = (0..8).map(|i| 100.0 - f64::from(i)).collect();
        assert_eq!(trend(&falling, &p).unwrap()[7], Trend::Down);
        assert_eq!(trend(&[50.0; 8], &p).unwrap()[7], Trend::Sideways);
    }

    proptest! {
        #[test]
        fn prop_streaming_matches_batch(x in closes(), fast in 1usize..10, extra in 1usize..20, k in 1usize..5) {
            let p = TrendParams { fast, slow: fast + extra, slope_bars: k, min_slope: 0.0001 };
            prop_assume!(p.slow <= x.len());
            let batch = trend(&x, &p).unwrap();
            let lb = trend_lookback(&p);
            prop_assert!(batch.iter().enumerate().all(|(i, t)| (*t == Trend::Unknown) == (i < lb)));
            let mut s = TrendClassifier::new(&p).unwrap();
            s.next(1.0);
            s.reset();
            prop_assert_eq!(batch, x.iter().map(|&v| s.next(v)).collect::<Vec<_>>());
        }
    }
}
