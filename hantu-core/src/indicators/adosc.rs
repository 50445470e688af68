//! Chaikin A/D oscillator (TA-Lib `ADOSC`): `EMA_fast(AD) - EMA_slow(AD)`.
//!
//! - **Parameters**: `fast` ≥ 2, `slow` ≥ 2 (TA-Lib defaults 3 and 10).
//! - **Warm-up**: `max(fast, slow) - 1` bars of NaN.
//! - **Complexity**: O(1) per bar and O(1) memory.
//! - **TA-Lib quirk kept**: unlike TA-Lib's `EMA`, both EMAs here start from the first A/D value
//!   (no SMA seed) and run through the warm-up.
//!
//! ```
//! # fn main() -> Result<(), hantu_core::indicators::IndicatorError> {
//! let h = [10.0; 4];
//! let out = hantu_core::indicators::adosc(&h, &[0.0; 4], &h, &[1.0; 4], 2, 3)?;
//! assert!(out[1].is_nan());
//! assert!(out[2] > 0.0); // steady accumulation: the fast EMA leads
//! # Ok(()) }
//! ```

use super::IndicatorError;
use super::ad::ad_step;
use super::ema::ema_factors;
use super::util::{batch_from_stream, check_period};

/// Number of leading NaN outputs of [`adosc`].
#[must_use]
pub fn adosc_lookback(fast: usize, slow: usize) -> usize {
    fast.max(slow).saturating_sub(1)
}

batch_from_stream!("ADOSC", adosc, adosc_into, Adosc, inputs: [high, low, close, volume], params: [fast: usize, slow: usize], fits: fast.max(slow));

/// Streaming [`adosc`].
#[doc(alias = "ADOSC")]
#[derive(Debug, Clone)]
pub struct Adosc {
    kf: f64,
    af: f64,
    ks: f64,
    as_: f64,
    lookback: usize,
    seen: usize,
    ad: f64,
    fast: f64,
    slow: f64,
}

impl Adosc {
    /// An A/D oscillator with the given EMA periods.
    ///
    /// # Errors
    /// [`IndicatorError::PeriodTooSmall`] for a period below 2.
    pub fn new(fast: usize, slow: usize) -> Result<Self, IndicatorError> {
        check_period("fast", fast, 2)?;
        check_period("slow", slow, 2)?;
        let ((kf, af), (ks, as_)) = (ema_factors(fast), ema_factors(slow));
        Ok(Self { kf, af, ks, as_, lookback: adosc_lookback(fast, slow), seen: 0, ad: 0.0, fast: 0.0, slow: 0.0 })
    }

    /// Feeds one bar; NaN during the warm-up.
    #[inline]
    pub fn next(&mut self, high: f64, low: f64, close: f64, volume: f64) -> f64 {
        self.ad = ad_step(self.ad, high, low, close, volume);
        if self.seen == 0 {
            (self.fast, self.slow) = (self.ad, self.ad);
        } else {
            // TA-Lib's operand order: `k·ad + (1 - k)·ema`.
            self.fast = self.kf * self.ad + self.af * self.fast;
            self.slow = self.ks * self.ad + self.as_ * self.slow;
        }
        self.seen += 1;
        if self.seen > self.lookback { self.fast - self.slow } else { f64::NAN }
    }

    /// Forgets all bars.
    pub fn reset(&mut self) {
        self.seen = 0;
        self.ad = 0.0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::indicators::testing::{assert_same, assert_warmup, bars};
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn prop_streaming_matches_batch((h, l, c, v) in bars(), f in 2usize..6, s in 2usize..15) {
            prop_assume!(f.max(s) <= h.len());
            let out = adosc(&h, &l, &c, &v, f, s).unwrap();
            assert_warmup(&out, adosc_lookback(f, s));
            let mut st = Adosc::new(f, s).unwrap();
            st.next(2.0, 1.0, 1.5, 1.0);
            st.reset();
            assert_same(&out, &(0..h.len()).map(|i| st.next(h[i], l[i], c[i], v[i])).collect::<Vec<_>>());
        }
    }
}
