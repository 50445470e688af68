//! On-balance volume (TA-Lib `OBV`).
//!
//! `OBV[0] = volume[0]`; then `OBV[i] = OBV[i-1] + volume[i]` if the close rose,
//! `- volume[i]` if it fell, unchanged if flat.
//!
//! - **Parameters**: none.
//! - **Warm-up**: none (TA-Lib starts from the first bar's volume).
//! - **Complexity**: O(1) per bar, branch-free, O(1) memory.

use super::IndicatorError;
use super::util::{check_len, check_out};

/// Number of leading NaN outputs of [`obv`]: 0.
#[must_use]
pub fn obv_lookback() -> usize {
    0
}

/// On-balance volume of `close` and `volume`.
///
/// ```
/// # fn main() -> Result<(), hantu_core::indicators::IndicatorError> {
/// let out = hantu_core::indicators::obv(&[10.0, 11.0, 11.0, 9.0], &[5.0, 7.0, 3.0, 2.0])?;
/// assert_eq!(out, vec![5.0, 12.0, 12.0, 10.0]);
/// # Ok(()) }
/// ```
///
/// # Errors
/// [`IndicatorError::LengthMismatch`] when `volume` and `close` differ in length.
#[doc(alias = "OBV")]
pub fn obv(close: &[f64], volume: &[f64]) -> Result<Vec<f64>, IndicatorError> {
    let mut out = vec![0.0; close.len()];
    obv_into(close, volume, &mut out)?;
    Ok(out)
}

/// [`obv`] into `out`, without allocating.
///
/// # Errors
/// As [`obv`], plus [`IndicatorError::OutputLength`] when `out` has the wrong length.
#[doc(alias = "OBV")]
pub fn obv_into(close: &[f64], volume: &[f64], out: &mut [f64]) -> Result<(), IndicatorError> {
    let n = close.len();
    check_len("volume", volume.len(), "close", n)?;
    check_out("out", out.len(), n)?;
    if n == 0 {
        return Ok(());
    }
    let mut acc = volume[0];
    out[0] = acc;
    let (cur, prev, vol, out) = (&close[1..], &close[..n - 1], &volume[1..], &mut out[1..]);
    for i in 0..out.len() {
        acc += signed(cur[i], prev[i], vol[i]);
        out[i] = acc;
    }
    Ok(())
}

/// `+v`, `-v` or `0` by the direction of the close; selects, not branches, as the direction
/// of a price series is unpredictable.
#[inline(always)]
fn signed(close: f64, prev: f64, v: f64) -> f64 {
    let up = if close > prev { v } else { 0.0 };
    let down = if close < prev { v } else { 0.0 };
    up - down
}

/// Streaming [`obv`].
///
/// ```
/// # fn main() -> Result<(), hantu_core::indicators::IndicatorError> {
/// let mut obv = hantu_core::indicators::Obv::new()?;
/// assert_eq!(obv.next(10.0, 5.0), 5.0);
/// assert_eq!(obv.next(9.0, 2.0), 3.0);
/// # Ok(()) }
/// ```
#[doc(alias = "OBV")]
#[derive(Debug, Clone, Default)]
pub struct Obv {
    prev: Option<f64>,
    acc: f64,
}

impl Obv {
    /// An OBV stream (infallible; `Result` for a uniform API).
    ///
    /// # Errors
    /// Never.
    pub fn new() -> Result<Self, IndicatorError> {
        Ok(Self::default())
    }

    /// Feeds one bar's close and volume; returns the running OBV.
    #[inline]
    pub fn next(&mut self, close: f64, volume: f64) -> f64 {
        match self.prev {
            Some(p) => self.acc += signed(close, p, volume),
            None => self.acc = volume,
        }
        self.prev = Some(close);
        self.acc
    }

    /// Starts over.
    pub fn reset(&mut self) {
        self.prev = None;
        self.acc = 0.0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::indicators::testing::{assert_same, bars};
    use proptest::prelude::*;

    #[test]
    fn rejects_mismatched_lengths() {
        assert!(matches!(obv(&[1.0, 2.0], &[1.0]), Err(IndicatorError::LengthMismatch { input: "volume", .. })));
        assert_eq!(obv(&[], &[]).unwrap(), Vec::<f64>::new());
    }

    proptest! {
        #[test]
        fn prop_streaming_matches_batch((_h, _l, c, v) in bars()) {
            let batch = obv(&c, &v).unwrap();
            let mut o = Obv::new().unwrap();
            let stream: Vec<f64> = c.iter().zip(&v).map(|(&c, &v)| o.next(c, v)).collect();
            assert_same(&batch, &stream);
        }
    }
}
