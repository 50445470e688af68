//! Money flow index (TA-Lib `MFI`).
//!
//! Typical price `tp = (high + low + close) / 3`, flow `tp·volume`, counted as positive when
//! `tp` rose from the previous bar and negative when it fell (neither when flat). Over the last
//! `p` bars: `MFI = 100·pos / (pos + neg)`.
//!
//! - **Parameters**: `period` p ≥ 2.
//! - **Warm-up**: `p` bars of NaN.
//! - **Complexity**: O(1) per bar (running sums), O(p) memory.
//! - **TA-Lib quirk kept**: 0 when `pos + neg < 1` (not only when it is zero).
//!
//! ```
//! # fn main() -> Result<(), hantu_core::indicators::IndicatorError> {
//! let x = [1.0, 2.0, 1.0];
//! let out = hantu_core::indicators::mfi(&x, &x, &x, &[10.0, 10.0, 10.0], 2)?;
//! assert!((out[2] - 200.0 / 3.0).abs() < 1e-12); // +2·10, -1·10
//! # Ok(()) }
//! ```

use super::IndicatorError;
use super::util::{batch_from_stream, check_period};
use super::window::Ring;

/// Number of leading NaN outputs of [`mfi`] for `period`.
#[must_use]
pub fn mfi_lookback(period: usize) -> usize {
    period
}

batch_from_stream!("MFI", mfi, mfi_into, Mfi, inputs: [high, low, close, volume], params: [period: usize], fits: period);

/// Streaming [`mfi`].
#[doc(alias = "MFI")]
#[derive(Debug, Clone)]
pub struct Mfi {
    pos: Ring,
    neg: Ring,
    prev_tp: Option<f64>,
    pos_sum: f64,
    neg_sum: f64,
}

impl Mfi {
    /// An MFI over `period` bars.
    ///
    /// # Errors
    /// [`IndicatorError::PeriodTooSmall`] for `period < 2`.
    pub fn new(period: usize) -> Result<Self, IndicatorError> {
        check_period("period", period, 2)?;
        Ok(Self { pos: Ring::new(period), neg: Ring::new(period), prev_tp: None, pos_sum: 0.0, neg_sum: 0.0 })
    }

    /// Feeds one bar; NaN for the first `period`.
    #[inline]
    pub fn next(&mut self, high: f64, low: f64, close: f64, volume: f64) -> f64 {
        let tp = (high + low + close) / 3.0;
        let Some(prev) = self.prev_tp.replace(tp) else { return f64::NAN };
        let flow = tp * volume;
        let (p, n) = if tp > prev {
            (flow, 0.0)
        } else if tp < prev {
            (0.0, flow)
        } else {
            (0.0, 0.0)
        };
        match (self.pos.push(p), self.neg.push(n)) {
            (Some(op), Some(on)) => {
                self.pos_sum += p - op;
                self.neg_sum += n - on;
            }
            _ => {
                self.pos_sum += p;
                self.neg_sum += n;
            }
        }
        if !self.pos.is_full() {
            return f64::NAN;
        }
        let total = self.pos_sum + self.neg_sum;
        if total < 1.0 { 0.0 } else { 100.0 * (self.pos_sum / total) }
    }

    /// Forgets all bars.
    pub fn reset(&mut self) {
        self.pos.clear();
        self.neg.clear();
        self.prev_tp = None;
        self.pos_sum = 0.0;
        self.neg_sum = 0.0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::indicators::testing::{assert_same, assert_warmup, bars};
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn prop_streaming_matches_batch((h, l, c, v) in bars(), p in 2usize..30) {
            prop_assume!(p <= h.len());
            let out = mfi(&h, &l, &c, &v, p).unwrap();
            assert_warmup(&out, p.min(h.len()));
            // Running sums can leave a rounding residue once every flow has left the window.
            prop_assert!(out.iter().skip(p).all(|x| (-1e-6..=100.0 + 1e-6).contains(x)), "{:?}", out);
            let mut s = Mfi::new(p).unwrap();
            s.next(2.0, 1.0, 1.5, 1.0);
            s.reset();
            assert_same(&out, &(0..h.len()).map(|i| s.next(h[i], l[i], c[i], v[i])).collect::<Vec<_>>());
        }
    }
}
