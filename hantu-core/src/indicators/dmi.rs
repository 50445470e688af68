//! Directional indicators (TA-Lib `PLUS_DI`, `MINUS_DI`) and the directional-movement state
//! shared with [`adx`](super::adx).
//!
//! With `up = high[i] - high[i-1]`, `down = low[i-1] - low[i]`: `+DM = up` if `up > down` and
//! `up > 0`, else 0; `-DM = down` if `down > up` and `down > 0`, else 0. `+DM`, `-DM` and the
//! true range are summed over bars `1..p` (`p - 1` values), then smoothed from bar `p` on with
//! Wilder's `S = S - S/p + v`. `+DI = 100·S(+DM)/S(TR)`, `-DI = 100·S(-DM)/S(TR)`.
//!
//! - **Parameters**: `period` p ≥ 2.
//! - **Warm-up**: `p` bars of NaN.
//! - **Complexity**: O(1) per bar and O(1) memory.
//! - **TA-Lib quirks kept**: the seed is a sum of `p - 1` values that is smoothed once before
//!   the first output (unstable period 0); when the smoothed true range is within 1e-8 of zero
//!   the DI is 0. The smoothing is computed as `S·((p-1)/p) + v`.

use super::IndicatorError;
use super::rsi::wilder_factors;
use super::trange::true_range;
use super::util::{check_fits, check_hlc, check_out, check_period, is_zero};

/// Smoothed `+DM`, `-DM` and true range, TA-Lib style.
#[derive(Debug, Clone)]
pub(crate) struct Dm {
    period: usize,
    pub(crate) a: f64,
    count: usize,
    pub(crate) prev_high: f64,
    pub(crate) prev_low: f64,
    pub(crate) prev_close: f64,
    pub(crate) plus: f64,
    pub(crate) minus: f64,
    pub(crate) tr: f64,
}

impl Dm {
    pub(crate) fn new(period: usize) -> Self {
        let (a, _) = wilder_factors(period);
        Self { period, a, count: 0, prev_high: 0.0, prev_low: 0.0, prev_close: 0.0, plus: 0.0, minus: 0.0, tr: 0.0 }
    }

    /// Feeds one bar; `Some((+DM, -DM, TR))` smoothed, from bar `period` on.
    #[inline(always)]
    pub(crate) fn next(&mut self, high: f64, low: f64, close: f64) -> Option<(f64, f64, f64)> {
        let up = high - self.prev_high;
        let down = self.prev_low - low;
        let tr = true_range(high, low, self.prev_close);
        (self.prev_high, self.prev_low, self.prev_close) = (high, low, close);
        let (plus, minus) = directional_movement(up, down);
        if self.count >= self.period {
            self.plus = self.plus * self.a + plus;
            self.minus = self.minus * self.a + minus;
            self.tr = self.tr * self.a + tr;
            return Some((self.plus, self.minus, self.tr));
        }
        self.count += 1;
        if self.count == 1 {
            return None;
        }
        self.plus += plus;
        self.minus += minus;
        self.tr += tr;
        None
    }

    pub(crate) fn reset(&mut self) {
        self.count = 0;
        self.plus = 0.0;
        self.minus = 0.0;
        self.tr = 0.0;
    }
}

/// `(+DM, -DM)` from the high's rise and the low's fall, as selects (their direction is random).
#[inline(always)]
pub(crate) fn directional_movement(up: f64, down: f64) -> (f64, f64) {
    let plus = if (up > 0.0) & (up > down) { up } else { 0.0 };
    let minus = if (down > 0.0) & (down > up) { down } else { 0.0 };
    (plus, minus)
}

/// `100·dm/tr`, or 0 when `tr` is TA-Lib-zero.
#[inline(always)]
pub(crate) fn di(dm: f64, tr: f64) -> f64 {
    if is_zero(tr) { 0.0 } else { 100.0 * (dm / tr) }
}

macro_rules! directional {
    ($doc:literal, $alias:literal, $name:ident, $into:ident, $lookback:ident, $ty:ident, $pick:expr) => {
        #[doc = concat!("Number of leading NaN outputs of [`", stringify!($name), "`] for `period`.")]
        #[must_use]
        pub fn $lookback(period: usize) -> usize {
            period
        }

        #[doc = concat!($doc, " over `period` bars.")]
        ///
        /// # Errors
        /// [`IndicatorError::PeriodTooSmall`] for `period < 2`, [`IndicatorError::PeriodTooLong`]
        /// when `period` exceeds the input, [`IndicatorError::LengthMismatch`] and
        /// [`IndicatorError::HighBelowLow`] for inconsistent bars.
        #[doc(alias = $alias)]
        pub fn $name(high: &[f64], low: &[f64], close: &[f64], period: usize) -> Result<Vec<f64>, IndicatorError> {
            let mut out = vec![0.0; close.len()];
            $into(high, low, close, period, &mut out)?;
            Ok(out)
        }

        #[doc = concat!("[`", stringify!($name), "`] into `out`, without allocating.")]
        ///
        /// # Errors
        #[doc = concat!("As [`", stringify!($name), "`], plus [`IndicatorError::OutputLength`] when `out` has the wrong length.")]
        #[doc(alias = $alias)]
        pub fn $into(
            high: &[f64],
            low: &[f64],
            close: &[f64],
            period: usize,
            out: &mut [f64],
        ) -> Result<(), IndicatorError> {
            let mut s = $ty::new(period)?;
            check_hlc(high, low, close)?;
            check_fits("period", period, close.len())?;
            check_out("out", out.len(), close.len())?;
            for (i, o) in out.iter_mut().enumerate() {
                *o = s.next(high[i], low[i], close[i]);
            }
            Ok(())
        }

        #[doc = concat!("Streaming [`", stringify!($name), "`].")]
        #[doc(alias = $alias)]
        #[derive(Debug, Clone)]
        pub struct $ty {
            dm: Dm,
        }

        impl $ty {
            #[doc = concat!("A ", $doc, " over `period` bars.")]
            ///
            /// # Errors
            /// [`IndicatorError::PeriodTooSmall`] for `period < 2`.
            pub fn new(period: usize) -> Result<Self, IndicatorError> {
                check_period("period", period, 2)?;
                Ok(Self { dm: Dm::new(period) })
            }

            /// Feeds one bar; NaN for the first `period` bars.
            #[inline]
            pub fn next(&mut self, high: f64, low: f64, close: f64) -> f64 {
                match self.dm.next(high, low, close) {
                    Some((plus, minus, tr)) => {
                        let pick: fn(f64, f64) -> f64 = $pick;
                        di(pick(plus, minus), tr)
                    }
                    None => f64::NAN,
                }
            }

            /// Forgets all bars.
            pub fn reset(&mut self) {
                self.dm.reset();
            }
        }
    };
}

directional!("Plus directional indicator (+DI)", "PLUS_DI", plus_di, plus_di_into, plus_di_lookback, PlusDi, |p, _| p);
directional!(
    "Minus directional indicator (-DI)",
    "MINUS_DI",
    minus_di,
    minus_di_into,
    minus_di_lookback,
    MinusDi,
    |_, m| m
);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::indicators::testing::{assert_warmup, bars};
    use proptest::prelude::*;

    #[test]
    fn rising_highs_are_all_plus() {
        let h = [10.0, 11.0, 12.0, 13.0];
        let l = [9.0, 10.0, 11.0, 12.0];
        let c = [9.5, 10.5, 11.5, 12.5];
        let p = plus_di(&h, &l, &c, 2).unwrap();
        let m = minus_di(&h, &l, &c, 2).unwrap();
        assert!((p[2] - 100.0 / 1.5).abs() < 1e-12); // +DM 1 each bar, TR 1.5 each bar
        assert_eq!(m[3], 0.0);
    }

    proptest! {
        #[test]
        fn prop_warmup_and_range((h, l, c, _v) in bars(), p in 2usize..20) {
            prop_assume!(p <= c.len());
            for out in [plus_di(&h, &l, &c, p).unwrap(), minus_di(&h, &l, &c, p).unwrap()] {
                assert_warmup(&out, p.min(c.len()));
                prop_assert!(out.iter().skip(p).all(|v| (0.0..=100.0).contains(v)));
            }
        }
    }
}
