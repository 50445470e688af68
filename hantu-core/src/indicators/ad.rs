//! Chaikin accumulation/distribution line (TA-Lib `AD`).
//!
//! `AD[i] = AD[i-1] + ((close - low) - (high - close)) / (high - low) · volume`, the term
//! skipped when `high == low`; `AD` starts from the first bar's term.
//!
//! - **Parameters**: none.
//! - **Warm-up**: none.
//! - **Complexity**: O(1) per bar and O(1) memory.
//!
//! ```
//! # fn main() -> Result<(), hantu_core::indicators::IndicatorError> {
//! let out = hantu_core::indicators::ad(&[10.0, 10.0], &[0.0, 0.0], &[10.0, 5.0], &[3.0, 4.0])?;
//! assert_eq!(out, vec![3.0, 3.0]); // close at the high adds the volume; mid-range adds 0
//! # Ok(()) }
//! ```

use super::IndicatorError;
use super::util::batch_from_stream;

/// Number of leading NaN outputs of [`ad`]: 0.
#[must_use]
pub fn ad_lookback() -> usize {
    0
}

batch_from_stream!("AD", ad, ad_into, Ad, inputs: [high, low, close, volume], params: [], fits: 0);

/// TA-Lib's `CALCULATE_AD` step.
#[inline(always)]
pub(crate) fn ad_step(ad: f64, high: f64, low: f64, close: f64, volume: f64) -> f64 {
    let range = high - low;
    if range > 0.0 { ad + (((close - low) - (high - close)) / range) * volume } else { ad }
}

/// Streaming [`ad`].
#[doc(alias = "AD")]
#[derive(Debug, Clone, Default)]
pub struct Ad {
    value: f64,
}

impl Ad {
    /// An A/D line (infallible; `Result` for a uniform API).
    ///
    /// # Errors
    /// Never.
    pub fn new() -> Result<Self, IndicatorError> {
        Ok(Self::default())
    }

    /// Feeds one bar; returns the line.
    #[inline]
    pub fn next(&mut self, high: f64, low: f64, close: f64, volume: f64) -> f64 {
        self.value = ad_step(self.value, high, low, close, volume);
        self.value
    }

    /// Starts over from 0.
    pub fn reset(&mut self) {
        self.value = 0.0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::indicators::testing::bars;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn prop_matches_formula((h, l, c, v) in bars()) {
            let out = ad(&h, &l, &c, &v).unwrap();
            let mut acc = 0.0;
            for i in 0..h.len() {
                if h[i] > l[i] {
                    acc += ((c[i] - l[i]) - (h[i] - c[i])) / (h[i] - l[i]) * v[i];
                }
                prop_assert_eq!(out[i], acc);
            }
        }
    }
}
