//! Chande momentum oscillator (TA-Lib `CMO`).
//!
//! With Wilder-smoothed average gain `G` and loss `L` exactly as in [`rsi`](super::rsi):
//! `CMO = 100·(G - L) / (G + L)`.
//!
//! - **Parameters**: `period` p ≥ 2.
//! - **Warm-up**: `p` bars of NaN.
//! - **Complexity**: O(1) per bar and O(1) memory.
//! - **TA-Lib quirk kept**: TA-Lib computes CMO with RSI's Wilder smoothing (not Chande's
//!   plain sums); 0 when `G + L` is within 1e-8 of zero.
//!
//! ```
//! # fn main() -> Result<(), hantu_core::indicators::IndicatorError> {
//! let out = hantu_core::indicators::cmo(&[1.0, 2.0, 3.0], 2)?;
//! assert_eq!(out[2], 100.0);
//! # Ok(()) }
//! ```

use super::IndicatorError;
use super::rsi::GainLoss;
use super::util::{batch_from_stream, is_zero};

/// Number of leading NaN outputs of [`cmo`] for `period`.
#[must_use]
pub fn cmo_lookback(period: usize) -> usize {
    period
}

batch_from_stream!("CMO", cmo, cmo_into, Cmo, inputs: [close], params: [period: usize], fits: period);

/// Streaming [`cmo`].
#[doc(alias = "CMO")]
#[derive(Debug, Clone)]
pub struct Cmo(GainLoss);

impl Cmo {
    /// A CMO over `period` bars.
    ///
    /// # Errors
    /// [`IndicatorError::PeriodTooSmall`] for `period < 2`.
    pub fn new(period: usize) -> Result<Self, IndicatorError> {
        GainLoss::new(period).map(Self)
    }

    /// Feeds one close; NaN for the first `period`.
    #[inline]
    pub fn next(&mut self, x: f64) -> f64 {
        self.0.next(x).map_or(f64::NAN, |(gain, loss)| value(gain, loss))
    }

    /// Forgets all values.
    pub fn reset(&mut self) {
        self.0.reset();
    }
}

#[inline]
fn value(gain: f64, loss: f64) -> f64 {
    let total = gain + loss;
    if is_zero(total) { 0.0 } else { 100.0 * ((gain - loss) / total) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::indicators::testing::{assert_warmup, closes};
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn prop_is_rsi_rescaled(x in closes(), p in 2usize..20) {
            prop_assume!(p <= x.len());
            let out = cmo(&x, p).unwrap();
            assert_warmup(&out, p.min(x.len()));
            let mut r = crate::indicators::Rsi::new(p).unwrap();
            for (i, &v) in x.iter().enumerate() {
                let rsi = r.next(v);
                if i >= p && rsi != 0.0 {
                    prop_assert!((out[i] - (2.0 * rsi - 100.0)).abs() < 1e-9);
                }
            }
        }
    }
}
