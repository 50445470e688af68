//! Williams' %R (TA-Lib `WILLR`): `-100·(HH - close) / (HH - LL)` over the last `p` bars.
//!
//! - **Parameters**: `period` p ≥ 1.
//! - **Warm-up**: `p - 1` bars of NaN.
//! - **Complexity**: O(1) amortised per bar (monotonic deques for HH and LL), O(p) memory.
//! - **TA-Lib quirk kept**: 0 when `HH == LL`; computed as `(HH - close) / ((HH - LL) / -100)`.
//!
//! ```
//! # fn main() -> Result<(), hantu_core::indicators::IndicatorError> {
//! let out = hantu_core::indicators::willr(&[10.0, 12.0], &[8.0, 8.0], &[9.0, 11.0], 2)?;
//! assert_eq!(out[1], -25.0);
//! # Ok(()) }
//! ```

use super::IndicatorError;
use super::util::{batch_from_stream, check_period};
use super::window::MonoDeque;

/// Number of leading NaN outputs of [`willr`] for `period`.
#[must_use]
pub fn willr_lookback(period: usize) -> usize {
    period.saturating_sub(1)
}

batch_from_stream!("WILLR", willr, willr_into, WillR, inputs: [high, low, close], params: [period: usize], fits: period);

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
        let (hh, ll) = (self.hi.front(i).0, self.lo.front(i).0);
        let diff = (hh - ll) / -100.0;
        if diff != 0.0 { (hh - close) / diff } else { 0.0 }
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
