//! Bollinger bands (TA-Lib `BBANDS` with its default SMA middle band).
//!
//! `middle = SMA_p(x)`, `σ = sqrt(mean(x²) - middle²)` (population), `upper = middle + up·σ`,
//! `lower = middle - dn·σ`.
//!
//! - **Parameters**: `period` p ≥ 2, `nbdev_up` and `nbdev_dn` finite multipliers.
//! - **Warm-up**: `p - 1` bars of NaN.
//! - **Complexity**: O(1) per bar (running sums of `x` and `x²`), O(p) memory when streaming.
//! - **TA-Lib quirk kept**: σ is computed from the running sum of squares minus the squared
//!   SMA, and a variance below 1e-8 (including the slightly negative values that cancellation
//!   can produce) is reported as σ = 0.

use super::IndicatorError;
use super::util::{TA_EPSILON, check_fits, check_out, check_period, fill_warmup};
use super::window::Ring;

/// Upper, middle and lower band, each as long as the input.
#[derive(Debug, Clone, PartialEq)]
pub struct Bands {
    /// `middle + nbdev_up·σ`.
    pub upper: Vec<f64>,
    /// The SMA.
    pub middle: Vec<f64>,
    /// `middle - nbdev_dn·σ`.
    pub lower: Vec<f64>,
}

/// One bar of [`Bbands`] output.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BandsValue {
    /// `middle + nbdev_up·σ`.
    pub upper: f64,
    /// The SMA.
    pub middle: f64,
    /// `middle - nbdev_dn·σ`.
    pub lower: f64,
}

/// Number of leading NaN outputs of [`bbands`] for `period`.
#[must_use]
pub fn bbands_lookback(period: usize) -> usize {
    period.saturating_sub(1)
}

/// Bollinger bands of `close`.
///
/// ```
/// # fn main() -> Result<(), hantu_core::indicators::IndicatorError> {
/// let b = hantu_core::indicators::bbands(&[1.0, 3.0, 1.0, 3.0], 2, 2.0, 1.0)?;
/// assert!(b.middle[0].is_nan());
/// assert_eq!((b.upper[1], b.middle[1], b.lower[1]), (4.0, 2.0, 1.0)); // σ = 1
/// # Ok(()) }
/// ```
///
/// # Errors
/// [`IndicatorError::PeriodTooSmall`] for `period < 2`, [`IndicatorError::PeriodTooLong`] when
/// `period > close.len()`, [`IndicatorError::Param`] for a non-finite multiplier.
#[doc(alias = "BBANDS")]
pub fn bbands(close: &[f64], period: usize, nbdev_up: f64, nbdev_dn: f64) -> Result<Bands, IndicatorError> {
    let n = close.len();
    let mut b = Bands { upper: vec![0.0; n], middle: vec![0.0; n], lower: vec![0.0; n] };
    bbands_into(close, period, nbdev_up, nbdev_dn, &mut b.upper, &mut b.middle, &mut b.lower)?;
    Ok(b)
}

/// [`bbands`] into three output slices, without allocating.
///
/// # Errors
/// As [`bbands`], plus [`IndicatorError::OutputLength`] when an output has the wrong length.
#[doc(alias = "BBANDS")]
pub fn bbands_into(
    close: &[f64],
    period: usize,
    nbdev_up: f64,
    nbdev_dn: f64,
    upper: &mut [f64],
    middle: &mut [f64],
    lower: &mut [f64],
) -> Result<(), IndicatorError> {
    check_params(period, nbdev_up, nbdev_dn)?;
    let n = close.len();
    check_fits("period", period, n)?;
    check_out("upper", upper.len(), n)?;
    check_out("middle", middle.len(), n)?;
    check_out("lower", lower.len(), n)?;
    let lb = period - 1;
    fill_warmup(upper, lb);
    fill_warmup(middle, lb);
    fill_warmup(lower, lb);
    let inv = 1.0 / period as f64;
    let (mut sum, mut sq) = (0.0, 0.0);
    for &x in &close[..period] {
        sum += x;
        sq += x * x;
    }
    let v = bands(sum, sq, inv, nbdev_up, nbdev_dn);
    (upper[lb], middle[lb], lower[lb]) = (v.upper, v.middle, v.lower);
    let (new, old) = (&close[period..], &close[..n - period]);
    let (upper, middle, lower) = (&mut upper[period..], &mut middle[period..], &mut lower[period..]);
    // Four bars at a time: the running sums stay a sequential chain, while the four square
    // roots are independent lanes that the compiler can pair into packed instructions.
    let (mut nc, mut oc) = (new.chunks_exact(4), old.chunks_exact(4));
    let (mut uc, mut mc, mut lc) = (upper.chunks_exact_mut(4), middle.chunks_exact_mut(4), lower.chunks_exact_mut(4));
    for ((((x, o), u), m), l) in (&mut nc).zip(&mut oc).zip(&mut uc).zip(&mut mc).zip(&mut lc) {
        let mut s = [0.0; 4];
        let mut q = [0.0; 4];
        for j in 0..4 {
            sum += x[j] - o[j];
            sq += x[j] * x[j] - o[j] * o[j];
            (s[j], q[j]) = (sum, sq);
        }
        let mean = [s[0] * inv, s[1] * inv, s[2] * inv, s[3] * inv];
        let var = [
            q[0] * inv - mean[0] * mean[0],
            q[1] * inv - mean[1] * mean[1],
            q[2] * inv - mean[2] * mean[2],
            q[3] * inv - mean[3] * mean[3],
        ];
        let root = [var[0].sqrt(), var[1].sqrt(), var[2].sqrt(), var[3].sqrt()];
        for j in 0..4 {
            let sd = if var[j] < TA_EPSILON { 0.0 } else { root[j] };
            u[j] = mean[j] + sd * nbdev_up;
            m[j] = mean[j];
            l[j] = mean[j] - sd * nbdev_dn;
        }
    }
    let rest = nc.remainder().iter().zip(oc.remainder());
    let outs = uc.into_remainder().iter_mut().zip(mc.into_remainder()).zip(lc.into_remainder());
    for ((&x, &o), ((u, m), l)) in rest.zip(outs) {
        sum += x - o;
        sq += x * x - o * o;
        let v = bands(sum, sq, inv, nbdev_up, nbdev_dn);
        (*u, *m, *l) = (v.upper, v.middle, v.lower);
    }
    Ok(())
}

pub(crate) fn check_params(period: usize, nbdev_up: f64, nbdev_dn: f64) -> Result<(), IndicatorError> {
    check_period("period", period, 2)?;
    for (param, v) in [("nbdev_up", nbdev_up), ("nbdev_dn", nbdev_dn)] {
        if !v.is_finite() {
            return Err(IndicatorError::Param { param, reason: format!("{v} is not finite") });
        }
    }
    Ok(())
}

#[inline(always)]
fn bands(sum: f64, sq: f64, inv: f64, up: f64, dn: f64) -> BandsValue {
    let mean = sum * inv;
    let var = sq * inv - mean * mean;
    // `var < eps` is false for NaN, so a NaN variance stays NaN.
    let sd = if var < TA_EPSILON { 0.0 } else { var.sqrt() };
    BandsValue { upper: mean + sd * up, middle: mean, lower: mean - sd * dn }
}

/// Streaming [`bbands`].
///
/// ```
/// # fn main() -> Result<(), hantu_core::indicators::IndicatorError> {
/// let mut b = hantu_core::indicators::Bbands::new(2, 2.0, 2.0)?;
/// assert!(b.next(1.0).middle.is_nan());
/// assert_eq!(b.next(3.0).upper, 4.0);
/// # Ok(()) }
/// ```
#[doc(alias = "BBANDS")]
#[derive(Debug, Clone)]
pub struct Bbands {
    ring: Ring,
    inv: f64,
    up: f64,
    dn: f64,
    sum: f64,
    sq: f64,
}

impl Bbands {
    /// Bands over `period` bars with the given multipliers.
    ///
    /// # Errors
    /// [`IndicatorError::PeriodTooSmall`] for `period < 2`, [`IndicatorError::Param`] for a
    /// non-finite multiplier.
    pub fn new(period: usize, nbdev_up: f64, nbdev_dn: f64) -> Result<Self, IndicatorError> {
        check_params(period, nbdev_up, nbdev_dn)?;
        Ok(Self { ring: Ring::new(period), inv: 1.0 / period as f64, up: nbdev_up, dn: nbdev_dn, sum: 0.0, sq: 0.0 })
    }

    /// Feeds one close; NaN bands until `period` closes were seen.
    #[inline]
    pub fn next(&mut self, x: f64) -> BandsValue {
        match self.ring.push(x) {
            Some(o) => {
                self.sum += x - o;
                self.sq += x * x - o * o;
            }
            None => {
                self.sum += x;
                self.sq += x * x;
            }
        }
        if self.ring.is_full() {
            bands(self.sum, self.sq, self.inv, self.up, self.dn)
        } else {
            BandsValue { upper: f64::NAN, middle: f64::NAN, lower: f64::NAN }
        }
    }

    /// Forgets all values.
    pub fn reset(&mut self) {
        self.ring.clear();
        self.sum = 0.0;
        self.sq = 0.0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::indicators::testing::{assert_same, assert_warmup, closes};
    use proptest::prelude::*;

    #[test]
    fn rejects_bad_params() {
        assert!(matches!(bbands(&[1.0; 3], 1, 2.0, 2.0), Err(IndicatorError::PeriodTooSmall { .. })));
        assert!(matches!(bbands(&[1.0; 3], 2, f64::NAN, 2.0), Err(IndicatorError::Param { param: "nbdev_up", .. })));
    }

    #[test]
    fn flat_window_has_zero_width() {
        let b = bbands(&[7.0; 4], 3, 2.0, 2.0).unwrap();
        assert_eq!((b.upper[3], b.lower[3]), (7.0, 7.0));
    }

    proptest! {
        #[test]
        fn prop_streaming_matches_batch(x in closes(), p in 2usize..30) {
            prop_assume!(p <= x.len());
            let batch = bbands(&x, p, 2.0, 1.5).unwrap();
            let mut b = Bbands::new(p, 2.0, 1.5).unwrap();
            let stream: Vec<BandsValue> = x.iter().map(|&v| b.next(v)).collect();
            assert_same(&batch.upper, &stream.iter().map(|v| v.upper).collect::<Vec<_>>());
            assert_same(&batch.middle, &stream.iter().map(|v| v.middle).collect::<Vec<_>>());
            assert_same(&batch.lower, &stream.iter().map(|v| v.lower).collect::<Vec<_>>());
            assert_warmup(&batch.middle, bbands_lookback(p));
        }
    }
}
