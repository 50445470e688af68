//! Ultimate oscillator (TA-Lib `ULTOSC`).
//!
//! Buying pressure `bp = close - min(low, prev close)`, true range `tr`; over three windows
//! `avg_k = Σbp / Σtr`; `ULTOSC = 100·(4·avg_1 + 2·avg_2 + avg_3) / 7` (a window whose `Σtr` is
//! within 1e-8 of zero contributes 0).
//!
//! - **Parameters**: three periods ≥ 1 (TA-Lib's defaults 7, 14, 28); sorted ascending first,
//!   as TA-Lib does, so the weight 4 always goes to the shortest.
//! - **Warm-up**: the longest period, in bars of NaN.
//! - **Complexity**: O(1) per bar (running sums), O(longest period) memory.
//!
//! ```
//! # fn main() -> Result<(), hantu_core::indicators::IndicatorError> {
//! let h = [10.0, 11.0, 12.0];
//! let out = hantu_core::indicators::ultosc(&h, &[9.0, 10.0, 11.0], &h, 1, 1, 2)?;
//! assert_eq!(out[2], 100.0); // every close at the high
//! # Ok(()) }
//! ```

use super::IndicatorError;
use super::trange::true_range;
use super::util::{batch_from_stream, check_period, is_zero};
use super::window::Ring;

/// Number of leading NaN outputs of [`ultosc`].
#[must_use]
pub fn ultosc_lookback(period1: usize, period2: usize, period3: usize) -> usize {
    period1.max(period2).max(period3)
}

batch_from_stream!(
    "ULTOSC", ultosc, ultosc_into, UltOsc,
    inputs: [high, low, close], params: [period1: usize, period2: usize, period3: usize],
    fits: period1.max(period2).max(period3)
);

/// Streaming [`ultosc`].
#[doc(alias = "ULTOSC")]
#[derive(Debug, Clone)]
pub struct UltOsc {
    periods: [usize; 3],
    bp: Ring,
    tr: Ring,
    sums: [(f64, f64); 3],
    prev_close: Option<f64>,
}

impl UltOsc {
    /// An ultimate oscillator over three periods.
    ///
    /// # Errors
    /// [`IndicatorError::PeriodTooSmall`] for a zero period.
    pub fn new(period1: usize, period2: usize, period3: usize) -> Result<Self, IndicatorError> {
        check_period("period1", period1, 1)?;
        check_period("period2", period2, 1)?;
        check_period("period3", period3, 1)?;
        let mut periods = [period1, period2, period3];
        periods.sort_unstable();
        let longest = periods[2];
        Ok(Self {
            periods,
            bp: Ring::new(longest + 1),
            tr: Ring::new(longest + 1),
            sums: [(0.0, 0.0); 3],
            prev_close: None,
        })
    }

    /// Feeds one bar; NaN until the longest period has full windows.
    #[inline]
    pub fn next(&mut self, high: f64, low: f64, close: f64) -> f64 {
        let Some(pc) = self.prev_close.replace(close) else { return f64::NAN };
        let true_low = if low < pc { low } else { pc };
        let (bp, tr) = (close - true_low, true_range(high, low, pc));
        self.bp.push(bp);
        self.tr.push(tr);
        let held = self.bp.len();
        for (k, &p) in self.periods.iter().enumerate() {
            let (sb, st) = &mut self.sums[k];
            *sb += bp;
            *st += tr;
            if held > p {
                // The value `p` bars back leaves this window.
                if let (Some(ob), Some(ot)) = (self.bp.get_back(p), self.tr.get_back(p)) {
                    *sb -= ob;
                    *st -= ot;
                }
            }
        }
        if held < self.periods[2] {
            return f64::NAN;
        }
        let mut total = 0.0;
        for (k, w) in [4.0, 2.0, 1.0].into_iter().enumerate() {
            let (sb, st) = self.sums[k];
            if !is_zero(st) {
                total += w * (sb / st);
            }
        }
        100.0 * (total / 7.0)
    }

    /// Forgets all bars.
    pub fn reset(&mut self) {
        self.bp.clear();
        self.tr.clear();
        self.sums = [(0.0, 0.0); 3];
        self.prev_close = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::indicators::testing::{assert_same, assert_warmup, bars};
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn prop_streaming_matches_batch((h, l, c, _v) in bars(), a in 1usize..8, b in 1usize..15, d in 1usize..30) {
            prop_assume!(a.max(b).max(d) <= h.len());
            let out = ultosc(&h, &l, &c, a, b, d).unwrap();
            assert_warmup(&out, ultosc_lookback(a, b, d).min(h.len()));
            prop_assert!(out.iter().skip(a.max(b).max(d)).all(|x| (-1e-9..=100.0 + 1e-9).contains(x)));
            let mut s = UltOsc::new(a, b, d).unwrap();
            s.next(2.0, 1.0, 1.5);
            s.reset();
            assert_same(&out, &(0..h.len()).map(|i| s.next(h[i], l[i], c[i])).collect::<Vec<_>>());
        }
    }
}
