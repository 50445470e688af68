//! Volume-weighted average price over a rolling window (not in TA-Lib).
//!
//! Typical price `tp = (high + low + close) / 3`; `VWAP = Σ tp·volume / Σ volume` over the last
//! `p` bars.
//!
//! - **Parameters**: `period` p ≥ 1. For a session VWAP of intraday bars, pass the session's
//!   bars with `p` equal to their count, or stream them and [`Vwap::reset`] at the open.
//! - **Warm-up**: `p - 1` bars of NaN. A window without volume gives NaN (there is no price
//!   to weight).
//! - **Complexity**: O(1) per bar (running sums), O(p) memory.
//!
//! ```
//! # fn main() -> Result<(), hantu_core::indicators::IndicatorError> {
//! let x = [10.0, 20.0];
//! let out = hantu_core::indicators::vwap(&x, &x, &x, &[3.0, 1.0], 2)?;
//! assert_eq!(out[1], 12.5);
//! # Ok(()) }
//! ```

use super::IndicatorError;
use super::util::{batch_from_stream, check_period};
use super::window::Ring;

/// Number of leading NaN outputs of [`vwap`] for `period`.
#[must_use]
pub fn vwap_lookback(period: usize) -> usize {
    period.saturating_sub(1)
}

batch_from_stream!("VWAP", vwap, vwap_into, Vwap, inputs: [high, low, close, volume], params: [period: usize], fits: period);

/// Streaming [`vwap`].
#[doc(alias = "VWAP")]
#[derive(Debug, Clone)]
pub struct Vwap {
    pv: Ring,
    v: Ring,
    pv_sum: f64,
    v_sum: f64,
}

impl Vwap {
    /// A VWAP over `period` bars.
    ///
    /// # Errors
    /// [`IndicatorError::PeriodTooSmall`] for `period == 0`.
    pub fn new(period: usize) -> Result<Self, IndicatorError> {
        check_period("period", period, 1)?;
        Ok(Self { pv: Ring::new(period), v: Ring::new(period), pv_sum: 0.0, v_sum: 0.0 })
    }

    /// Feeds one bar; NaN until `period` bars were seen.
    #[inline]
    pub fn next(&mut self, high: f64, low: f64, close: f64, volume: f64) -> f64 {
        let pv = (high + low + close) / 3.0 * volume;
        match (self.pv.push(pv), self.v.push(volume)) {
            (Some(opv), Some(ov)) => {
                self.pv_sum += pv - opv;
                self.v_sum += volume - ov;
            }
            _ => {
                self.pv_sum += pv;
                self.v_sum += volume;
            }
        }
        if self.pv.is_full() && self.v_sum != 0.0 { self.pv_sum / self.v_sum } else { f64::NAN }
    }

    /// Forgets all bars (e.g. at a session open).
    pub fn reset(&mut self) {
        self.pv.clear();
        self.v.clear();
        self.pv_sum = 0.0;
        self.v_sum = 0.0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::indicators::testing::bars;
    use proptest::prelude::*;

    #[test]
    fn no_volume_gives_nan() {
        assert!(vwap(&[1.0], &[1.0], &[1.0], &[0.0], 1).unwrap()[0].is_nan());
    }

    proptest! {
        #[test]
        fn prop_matches_direct_sum((h, l, c, v) in bars(), p in 1usize..30) {
            prop_assume!(p <= h.len());
            let out = vwap(&h, &l, &c, &v, p).unwrap();
            for (i, &o) in out.iter().enumerate().skip(p - 1) {
                let (mut pv, mut vs) = (0.0, 0.0);
                for j in i + 1 - p..=i {
                    pv += (h[j] + l[j] + c[j]) / 3.0 * v[j];
                    vs += v[j];
                }
                if vs == 0.0 {
                    prop_assert!(o.is_nan());
                } else {
                    prop_assert!((o - pv / vs).abs() <= 1e-9 * (pv / vs).abs());
                }
            }
        }
    }
}
