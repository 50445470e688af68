//! Commodity channel index (TA-Lib `CCI`).
//!
//! Typical price `tp = (high + low + close) / 3`; over the last `p` bars `m = mean(tp)`,
//! `md = mean(|tp - m|)`; `CCI = (tp - m) / (0.015·md)`, 0 when either factor is 0.
//!
//! - **Parameters**: `period` p ≥ 2.
//! - **Warm-up**: `p - 1` bars of NaN.
//! - **Complexity**: O(p) per bar: the mean *absolute* deviation has no running update (every
//!   term changes with the mean), which is also what TA-Lib does. O(p) memory.
//!
//! ```
//! # fn main() -> Result<(), hantu_core::indicators::IndicatorError> {
//! let out = hantu_core::indicators::cci(&[2.0, 4.0], &[2.0, 4.0], &[2.0, 4.0], 2)?;
//! assert!((out[1] - 1.0 / 0.015).abs() < 1e-9); // tp 2, 4: m 3, md 1
//! # Ok(()) }
//! ```

use super::IndicatorError;
use super::util::{batch_from_stream, check_period};

/// Number of leading NaN outputs of [`cci`] for `period`.
#[must_use]
pub fn cci_lookback(period: usize) -> usize {
    period.saturating_sub(1)
}

batch_from_stream!("CCI", cci, cci_into, Cci, inputs: [high, low, close], params: [period: usize], fits: period);

/// Streaming [`cci`].
#[doc(alias = "CCI")]
#[derive(Debug, Clone)]
pub struct Cci {
    buf: Vec<f64>,
    next_slot: usize,
    seen: usize,
}

impl Cci {
    /// A CCI over `period` bars.
    ///
    /// # Errors
    /// [`IndicatorError::PeriodTooSmall`] for `period < 2`.
    pub fn new(period: usize) -> Result<Self, IndicatorError> {
        check_period("period", period, 2)?;
        Ok(Self { buf: vec![0.0; period], next_slot: 0, seen: 0 })
    }

    /// Feeds one bar; NaN until `period` bars were seen.
    #[inline]
    pub fn next(&mut self, high: f64, low: f64, close: f64) -> f64 {
        let tp = (high + low + close) / 3.0;
        self.buf[self.next_slot] = tp;
        self.next_slot = (self.next_slot + 1) % self.buf.len();
        self.seen += 1;
        if self.seen < self.buf.len() {
            return f64::NAN;
        }
        // Sums in buffer order, as TA-Lib's circular buffer does.
        let p = self.buf.len() as f64;
        let mean = self.buf.iter().sum::<f64>() / p;
        let dev = self.buf.iter().map(|v| (v - mean).abs()).sum::<f64>();
        let diff = tp - mean;
        if diff != 0.0 && dev != 0.0 { diff / (0.015 * (dev / p)) } else { 0.0 }
    }

    /// Forgets all bars.
    pub fn reset(&mut self) {
        self.next_slot = 0;
        self.seen = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::indicators::testing::{assert_same, assert_warmup, bars};
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn prop_streaming_matches_batch((h, l, c, _v) in bars(), p in 2usize..30) {
            prop_assume!(p <= h.len());
            let out = cci(&h, &l, &c, p).unwrap();
            assert_warmup(&out, p - 1);
            let mut s = Cci::new(p).unwrap();
            s.next(2.0, 1.0, 1.5);
            s.reset();
            assert_same(&out, &(0..h.len()).map(|i| s.next(h[i], l[i], c[i])).collect::<Vec<_>>());
        }
    }
}
