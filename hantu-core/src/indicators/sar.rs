//! Parabolic SAR (TA-Lib `SAR`).
//!
//! Wilder's stop-and-reverse: the stop moves toward the extreme point `EP` by
//! `AF·(EP - SAR)`, `AF` starting at `acceleration` and growing by it at each new extreme up to
//! `maximum`; when price crosses the stop the position reverses and the stop jumps to `EP`. The
//! stop never enters the last two bars' range.
//!
//! - **Parameters**: `acceleration` ≥ 0 and `maximum` ≥ 0, finite (TA-Lib's 0.02 and 0.2);
//!   `acceleration` is capped at `maximum`.
//! - **Warm-up**: 1 bar of NaN.
//! - **Complexity**: O(1) per bar and O(1) memory.
//! - **TA-Lib quirks kept**: the first direction is short if the second bar has a positive
//!   `-DM` (a lower low that beats the higher high), long otherwise; the first stop is the first
//!   bar's low (long) or high (short), and the first bar is treated as its own "previous" bar.
//!
//! ```
//! # fn main() -> Result<(), hantu_core::indicators::IndicatorError> {
//! let h = [10.0, 11.0, 12.0, 13.0];
//! let l = [9.0, 10.0, 11.0, 12.0];
//! let out = hantu_core::indicators::sar(&h, &l, 0.02, 0.2)?;
//! assert_eq!(out[1], 9.0); // long from the first low
//! assert!(out[3] > out[2]);
//! # Ok(()) }
//! ```

use super::IndicatorError;
use super::util::{check_fits, check_len, check_out, high_below_low};

/// Number of leading NaN outputs of [`sar`]: 1.
#[must_use]
pub fn sar_lookback() -> usize {
    1
}

/// TA-Lib `SAR` over a whole series: one output per bar, NaN on the first (see the module docs
/// and [`Sar`]).
///
/// # Errors
/// The parameter errors of [`Sar::new`]; [`IndicatorError::PeriodTooLong`] for an empty
/// input; [`IndicatorError::LengthMismatch`] or [`IndicatorError::HighBelowLow`] for
/// inconsistent bars.
#[doc(alias = "SAR")]
pub fn sar(high: &[f64], low: &[f64], acceleration: f64, maximum: f64) -> Result<Vec<f64>, IndicatorError> {
    let mut out = vec![0.0; high.len()];
    sar_into(high, low, acceleration, maximum, &mut out)?;
    Ok(out)
}

/// [`sar`] into `out` (one slot per bar), without allocating.
///
/// The first two bars go through [`Sar`]; from the third on, the trail's state lives in
/// registers and each bar is one `Trail::advance`, the step [`Sar::next`] takes too, so the two
/// agree bit for bit.
///
/// # Errors
/// As [`sar`], plus [`IndicatorError::OutputLength`] when `out` has the wrong length.
#[doc(alias = "SAR")]
pub fn sar_into(
    high: &[f64],
    low: &[f64],
    acceleration: f64,
    maximum: f64,
    out: &mut [f64],
) -> Result<(), IndicatorError> {
    let mut s = Sar::new(acceleration, maximum)?;
    let n = high.len();
    check_len("low", low.len(), "high", n)?;
    check_fits("period", 1, n)?;
    check_out("out", out.len(), n)?;
    let start = n.min(2);
    for i in 0..start {
        out[i] = s.next(high[i], low[i]);
    }
    let (step, max) = (s.step, s.max);
    let mut t = s.trail;
    // `high >= low` is checked as the bars are read, which saves a pass over memory.
    let mut bad = high[..start].iter().zip(&low[..start]).any(|(h, l)| h < l);
    for ((o, &h), &l) in out[start..].iter_mut().zip(&high[start..]).zip(&low[start..]) {
        bad |= h < l;
        *o = t.advance(h, l, step, max);
    }
    if bad { Err(high_below_low(high, low)) } else { Ok(()) }
}

/// Streaming [`sar`].
#[doc(alias = "SAR")]
#[derive(Debug, Clone)]
pub struct Sar {
    step: f64,
    max: f64,
    first: Option<(f64, f64)>,
    started: bool,
    trail: Trail,
}

/// The trail once started: its side, the stop, the extreme point, the acceleration factor and
/// the previous bar.
#[derive(Debug, Clone, Copy)]
struct Trail {
    long: bool,
    sar: f64,
    ep: f64,
    af: f64,
    prev_high: f64,
    prev_low: f64,
}

impl Sar {
    /// A parabolic SAR.
    ///
    /// # Errors
    /// [`IndicatorError::Param`] for a negative or non-finite factor.
    pub fn new(acceleration: f64, maximum: f64) -> Result<Self, IndicatorError> {
        for (param, v) in [("acceleration", acceleration), ("maximum", maximum)] {
            if !(v.is_finite() && v >= 0.0) {
                return Err(IndicatorError::Param { param, reason: format!("{v} is not a finite factor >= 0") });
            }
        }
        let step = acceleration.min(maximum);
        Ok(Self {
            step,
            max: maximum,
            first: None,
            started: false,
            trail: Trail { long: true, sar: 0.0, ep: 0.0, af: step, prev_high: 0.0, prev_low: 0.0 },
        })
    }

    /// Feeds one bar; NaN on the first.
    #[inline]
    pub fn next(&mut self, high: f64, low: f64) -> f64 {
        if !self.started {
            let Some((h0, l0)) = self.first else {
                self.first = Some((high, low));
                return f64::NAN;
            };
            self.started = true;
            let t = &mut self.trail;
            let (up, down) = (high - h0, l0 - low);
            t.long = !(down > 0.0 && up < down);
            (t.ep, t.sar) = if t.long { (high, l0) } else { (low, h0) };
            (t.prev_high, t.prev_low) = (high, low);
        }
        self.trail.advance(high, low, self.step, self.max)
    }

    /// Forgets all bars.
    pub fn reset(&mut self) {
        self.first = None;
        self.started = false;
        self.trail.af = self.step;
    }
}

impl Trail {
    /// One bar: returns the stop for this bar and moves the trail on (TA-Lib's order of steps).
    #[inline(always)]
    fn advance(&mut self, high: f64, low: f64, step: f64, max: f64) -> f64 {
        let (prev_high, prev_low) = (self.prev_high, self.prev_low);
        (self.prev_high, self.prev_low) = (high, low);
        let out;
        if self.long {
            if low <= self.sar {
                self.long = false;
                self.sar = self.ep.max_nan(prev_high).max_nan(high);
                out = self.sar;
                self.af = step;
                self.ep = low;
                self.sar = toward(self.sar, self.af, self.ep);
                self.sar = self.sar.max_nan(prev_high).max_nan(high);
            } else {
                out = self.sar;
                // A new extreme comes on a random third of bars: selects, not a branch.
                let new = high > self.ep;
                let grown = (self.af + step).min(max);
                self.ep = pick(new, high, self.ep);
                self.af = pick(new, grown, self.af);
                self.sar = toward(self.sar, self.af, self.ep);
                self.sar = self.sar.min_nan(prev_low).min_nan(low);
            }
        } else if high >= self.sar {
            self.long = true;
            self.sar = self.ep.min_nan(prev_low).min_nan(low);
            out = self.sar;
            self.af = step;
            self.ep = high;
            self.sar = toward(self.sar, self.af, self.ep);
            self.sar = self.sar.min_nan(prev_low).min_nan(low);
        } else {
            out = self.sar;
            let new = low < self.ep;
            let grown = (self.af + step).min(max);
            self.ep = pick(new, low, self.ep);
            self.af = pick(new, grown, self.af);
            self.sar = toward(self.sar, self.af, self.ep);
            self.sar = self.sar.max_nan(prev_high).max_nan(high);
        }
        out
    }
}

/// The stop moved by `af` of the way to the extreme point: TA-Lib's `sar + af·(ep - sar)`,
/// written `af·ep + (1 - af)·sar` so that only one multiply and one add wait on the previous
/// stop (the chain from bar to bar sets SAR's speed); the two differ in the last bits only.
#[inline(always)]
fn toward(sar: f64, af: f64, ep: f64) -> f64 {
    af * ep + (1.0 - af) * sar
}

/// `if c { a } else { b }` by masking the bits: the compiler turns a plain `if` here back into a
/// branch, which a new extreme on a random third of bars mispredicts.
#[inline(always)]
fn pick(c: bool, a: f64, b: f64) -> f64 {
    let m = u64::from(c).wrapping_neg();
    f64::from_bits((a.to_bits() & m) | (b.to_bits() & !m))
}

trait Clamp {
    fn max_nan(self, x: f64) -> f64;
    fn min_nan(self, x: f64) -> f64;
}

impl Clamp for f64 {
    #[inline(always)]
    fn max_nan(self, x: f64) -> f64 {
        if self < x { x } else { self }
    }

    #[inline(always)]
    fn min_nan(self, x: f64) -> f64 {
        if self > x { x } else { self }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::indicators::testing::{assert_same, bars};
    use proptest::prelude::*;

    #[test]
    fn rejects_bad_factors() {
        assert!(matches!(sar(&[1.0], &[1.0], -0.1, 0.2), Err(IndicatorError::Param { param: "acceleration", .. })));
    }

    proptest! {
        #[test]
        fn prop_stop_stays_outside_the_bar((h, l, _c, _v) in bars()) {
            prop_assume!(h.len() >= 2);
            let out = sar(&h, &l, 0.02, 0.2).unwrap();
            prop_assert!(out[0].is_nan());
            prop_assert!(out.iter().skip(1).all(|v| v.is_finite()));
            let mut s = Sar::new(0.02, 0.2).unwrap();
            s.next(2.0, 1.0);
            s.next(3.0, 1.0);
            s.reset();
            assert_same(&out, &(0..h.len()).map(|i| s.next(h[i], l[i])).collect::<Vec<_>>());
        }
    }
}
