//! Kaufman adaptive moving average (TA-Lib `KAMA`).
//!
//! Efficiency `ER = |x[i] - x[i-p]| / Σ_{j=i-p+1}^{i} |x[j] - x[j-1]|`, smoothing constant
//! `sc = (ER·(2/3 - 2/31) + 2/31)²`, `KAMA[i] = KAMA[i-1] + sc·(x[i] - KAMA[i-1])`, started
//! from `KAMA[p-1] = x[p-1]`.
//!
//! - **Parameters**: `period` p ≥ 2 (TA-Lib fixes the fast and slow ends at 2 and 30).
//! - **Warm-up**: `p` bars of NaN.
//! - **Complexity**: O(1) per bar (running sum of absolute changes), O(p) memory.
//! - **TA-Lib quirks kept**: `ER = 1` when the volatility sum is ≤ the *signed* net change or
//!   within 1e-8 of zero; the update is written `(x - KAMA)·sc + KAMA` as in TA-Lib.
//!
//! ```
//! # fn main() -> Result<(), hantu_core::indicators::IndicatorError> {
//! let out = hantu_core::indicators::kama(&[1.0, 2.0, 3.0, 4.0], 2)?;
//! assert!(out[1].is_nan());
//! assert!((out[2] - (2.0 + 4.0 / 9.0)).abs() < 1e-12); // a straight line: ER = 1, sc = (2/3)²
//! # Ok(()) }
//! ```

use super::IndicatorError;
use super::util::{check_fits, check_out, check_period, fill_warmup, is_zero};
use super::window::Ring;

const SLOW: f64 = 2.0 / 31.0;
const FAST_MINUS_SLOW: f64 = 2.0 / 3.0 - SLOW;

/// Number of leading NaN outputs of [`kama`] for `period`.
#[must_use]
pub fn kama_lookback(period: usize) -> usize {
    period
}

/// TA-Lib `KAMA` over a whole series: one output per bar, NaN in the warm-up (see the module
/// docs and [`Kama`]).
///
/// # Errors
/// [`IndicatorError::PeriodTooSmall`] for `period < 2`, [`IndicatorError::PeriodTooLong`] when
/// `period` exceeds the input.
#[doc(alias = "KAMA")]
pub fn kama(input: &[f64], period: usize) -> Result<Vec<f64>, IndicatorError> {
    let mut out = vec![0.0; input.len()];
    kama_into(input, period, &mut out)?;
    Ok(out)
}

/// [`kama`] into `out` (one slot per bar), without allocating. The loop reads the input where
/// it lies (the value `period` bars back, the change leaving the window) instead of keeping a
/// ring of it as [`Kama`] must; it does the same arithmetic in the same order, so the two
/// agree bit for bit.
///
/// # Errors
/// As [`kama`], plus [`IndicatorError::OutputLength`] when `out` has the wrong length.
#[doc(alias = "KAMA")]
pub fn kama_into(input: &[f64], period: usize, out: &mut [f64]) -> Result<(), IndicatorError> {
    Kama::new(period)?;
    let (x, p, n) = (input, period, input.len());
    check_fits("period", p, n)?;
    check_out("out", out.len(), n)?;
    fill_warmup(out, p);
    if n <= p {
        return Ok(());
    }
    let mut volatility = 0.0;
    for i in 1..=p {
        volatility += (x[i - 1] - x[i]).abs();
    }
    let mut value = x[p - 1];
    for i in p..n {
        if i > p {
            // Drop the change that left the window, add the new one (TA-Lib's order).
            volatility -= (x[i - p - 1] - x[i - p]).abs();
            volatility += (x[i] - x[i - 1]).abs();
        }
        value = kama_step(x[i], x[i - p], volatility, value);
        out[i] = value;
    }
    Ok(())
}

/// One KAMA update: `x` the new value, `base` the one `period` bars back.
#[inline(always)]
fn kama_step(x: f64, base: f64, volatility: f64, value: f64) -> f64 {
    let change = x - base;
    let er = if volatility <= change || is_zero(volatility) { 1.0 } else { (change / volatility).abs() };
    let sc = er * FAST_MINUS_SLOW + SLOW;
    let sc = sc * sc;
    (x - value) * sc + value
}

/// Streaming [`kama`].
#[doc(alias = "KAMA")]
#[derive(Debug, Clone)]
pub struct Kama {
    period: usize,
    ring: Ring,
    volatility: f64,
    value: f64,
}

impl Kama {
    /// A KAMA over `period` bars.
    ///
    /// # Errors
    /// [`IndicatorError::PeriodTooSmall`] for `period < 2`.
    pub fn new(period: usize) -> Result<Self, IndicatorError> {
        check_period("period", period, 2)?;
        Ok(Self { period, ring: Ring::new(period + 2), volatility: 0.0, value: f64::NAN })
    }

    /// Feeds one value; NaN for the first `period`.
    #[inline]
    pub fn next(&mut self, x: f64) -> f64 {
        let prev = self.ring.get_back(0);
        self.ring.push(x);
        let seen = self.ring.len();
        let p = self.period;
        if let Some(prev) = prev {
            if seen <= p + 1 {
                self.volatility += (prev - x).abs();
            } else {
                // Drop the change that left the window, add the new one (TA-Lib's order).
                let (oldest, next_oldest) = (self.ring.get_back(p + 1), self.ring.get_back(p));
                if let (Some(o), Some(n)) = (oldest, next_oldest) {
                    self.volatility -= (o - n).abs();
                }
                self.volatility += (x - prev).abs();
            }
        }
        if seen <= p {
            return f64::NAN;
        }
        if seen == p + 1 {
            self.value = self.ring.get_back(1).unwrap_or(x);
        }
        let base = self.ring.get_back(p).unwrap_or(x);
        self.value = kama_step(x, base, self.volatility, self.value);
        self.value
    }

    /// Forgets all values.
    pub fn reset(&mut self) {
        self.ring.clear();
        self.volatility = 0.0;
        self.value = f64::NAN;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::indicators::testing::{assert_same, assert_warmup, closes};
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn prop_streaming_matches_batch(x in closes(), p in 2usize..20) {
            prop_assume!(p <= x.len());
            let batch = kama(&x, p).unwrap();
            assert_warmup(&batch, kama_lookback(p).min(x.len()));
            let mut s = Kama::new(p).unwrap();
            s.next(3.0);
            s.reset();
            assert_same(&batch, &x.iter().map(|&v| s.next(v)).collect::<Vec<_>>());
            let (lo, hi) = x.iter().fold((f64::MAX, f64::MIN), |(l, h), &v| (l.min(v), h.max(v)));
            prop_assert!(batch.iter().skip(p).all(|v| (lo..=hi).contains(v)));
        }
    }
}
