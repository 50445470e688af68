//! Jurik-style adaptive moving average (JMA; not in TA-Lib).
//!
//! Mark Jurik's JMA is proprietary. This is the widely published three-stage approximation:
//! with `β = 0.45(L-1) / (0.45(L-1) + 2)`, `α = β^power` and the phase ratio
//! `r = clamp(phase/100 + 1.5, 0.5, 2.5)`:
//!
//! ```text
//! e0 = (1-α)·x + α·e0                       adaptive EMA
//! e1 = (x - e0)·(1-β) + β·e1                Kalman-style velocity
//! e2 = (e0 + r·e1 - JMA)·(1-α)² + α²·e2     Jurik adaptive stage
//! JMA = JMA + e2
//! ```
//!
//! It tracks turns with less lag and less overshoot than an EMA of similar smoothness. Jurik's
//! volatility-adaptive exponent is not reproduced.
//!
//! - **Parameters**: `length` L ≥ 1, `phase` in -100..=100 (beyond clamps), `power` > 0
//!   (1 or 2 are usual).
//! - **Warm-up**: none; every state starts at the first input (`JMA[0] = x[0]`). Allow about
//!   `L` bars to settle.
//! - **Complexity**: O(1) per bar and O(1) memory.
//!
//! ```
//! # fn main() -> Result<(), hantu_core::indicators::IndicatorError> {
//! let out = hantu_core::indicators::jma(&[5.0; 4], 7, 0.0, 2.0)?;
//! assert_eq!(out, vec![5.0; 4]); // a constant is a fixed point
//! # Ok(()) }
//! ```

use super::IndicatorError;
use super::util::{batch_from_stream, check_period};

/// Number of leading NaN outputs of [`jma`]: 0.
#[must_use]
pub fn jma_lookback() -> usize {
    0
}

batch_from_stream!("JMA", jma, jma_into, Jma, inputs: [input], params: [length: usize, phase: f64, power: f64], fits: 0);

/// Streaming [`jma`].
#[doc(alias = "JMA")]
#[derive(Debug, Clone)]
pub struct Jma {
    alpha: f64,
    beta: f64,
    ratio: f64,
    started: bool,
    e0: f64,
    e1: f64,
    e2: f64,
    value: f64,
}

impl Jma {
    /// A JMA with the given length, phase and power.
    ///
    /// # Errors
    /// [`IndicatorError::PeriodTooSmall`] for `length == 0`, [`IndicatorError::Param`] for a
    /// non-finite phase or a power that is not a positive finite number.
    pub fn new(length: usize, phase: f64, power: f64) -> Result<Self, IndicatorError> {
        check_period("length", length, 1)?;
        if !phase.is_finite() {
            return Err(IndicatorError::Param { param: "phase", reason: format!("{phase} is not finite") });
        }
        if !(power.is_finite() && power > 0.0) {
            return Err(IndicatorError::Param { param: "power", reason: format!("{power} is not a positive number") });
        }
        let l = 0.45 * (length as f64 - 1.0);
        let beta = l / (l + 2.0);
        Ok(Self {
            alpha: beta.powf(power),
            beta,
            ratio: (phase / 100.0 + 1.5).clamp(0.5, 2.5),
            started: false,
            e0: 0.0,
            e1: 0.0,
            e2: 0.0,
            value: 0.0,
        })
    }

    /// Feeds one value; returns the JMA.
    #[inline]
    pub fn next(&mut self, x: f64) -> f64 {
        if !self.started {
            self.started = true;
            (self.e0, self.e1, self.e2, self.value) = (x, 0.0, 0.0, x);
            return x;
        }
        let (a, b) = (self.alpha, self.beta);
        self.e0 = (1.0 - a) * x + a * self.e0;
        self.e1 = (x - self.e0) * (1.0 - b) + b * self.e1;
        self.e2 = (self.e0 + self.ratio * self.e1 - self.value) * (1.0 - a) * (1.0 - a) + a * a * self.e2;
        self.value += self.e2;
        self.value
    }

    /// Forgets all values.
    pub fn reset(&mut self) {
        self.started = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::indicators::testing::{assert_same, closes};
    use proptest::prelude::*;

    #[test]
    fn rejects_bad_params() {
        assert!(matches!(jma(&[1.0], 0, 0.0, 1.0), Err(IndicatorError::PeriodTooSmall { .. })));
        assert!(matches!(jma(&[1.0], 1, 0.0, 0.0), Err(IndicatorError::Param { param: "power", .. })));
    }

    #[test]
    fn follows_a_step_with_less_lag_than_an_ema() {
        let mut x = vec![100.0; 20];
        x.extend(vec![110.0; 10]);
        let j = jma(&x, 7, 0.0, 2.0).unwrap();
        let e = crate::indicators::ema(&x, 7).unwrap();
        assert!(j[24] > e[24], "jma {} ema {}", j[24], e[24]);
    }

    proptest! {
        #[test]
        fn prop_streaming_matches_batch(x in closes(), l in 1usize..30) {
            prop_assume!(l <= x.len());
            let out = jma(&x, l, 0.0, 2.0).unwrap();
            let mut s = Jma::new(l, 0.0, 2.0).unwrap();
            s.next(1.0);
            s.reset();
            assert_same(&out, &x.iter().map(|&v| s.next(v)).collect::<Vec<_>>());
            prop_assert!(out.iter().all(|v| v.is_finite()));
        }
    }
}
