//! Stochastic RSI (TA-Lib `STOCHRSI`): the fast stochastic of the RSI.
//!
//! `r = RSI_p(close)`, `%K = 100·(r - min r) / (max r - min r)` over `fastk` bars,
//! `%D = SMA_fastd(%K)`.
//!
//! - **Parameters**: `period` ≥ 2 (RSI), `fastk` ≥ 1, `fastd` ≥ 1 (TA-Lib's 14, 5, 3, SMA).
//! - **Warm-up**: `period + fastk - 1 + fastd - 1` bars of NaN in both outputs.
//! - **Complexity**: O(1) amortised per bar (RSI plus monotonic deques), O(fastk + fastd)
//!   memory.
//! - **TA-Lib quirk kept**: %K is 0 when the RSI window is flat.
//!
//! ```
//! # fn main() -> Result<(), hantu_core::indicators::IndicatorError> {
//! let close = [1.0, 2.0, 1.0, 3.0, 1.0, 4.0];
//! let s = hantu_core::indicators::stochrsi(&close, 2, 2, 1)?;
//! assert!(s.k[2].is_nan());
//! assert_eq!(s.k[3], 100.0); // the RSI is at its 2-bar high
//! # Ok(()) }
//! ```

use super::IndicatorError;
use super::rsi::{Rsi, rsi_lookback};
use super::stoch::{Stoch, StochValue};
use super::stochf::{StochF, stochf_into, stochf_lookback};
use super::util::{check_fits, check_out, fill_warmup};

/// Number of leading NaN outputs of [`stochrsi`].
#[must_use]
pub fn stochrsi_lookback(period: usize, fastk: usize, fastd: usize) -> usize {
    rsi_lookback(period) + stochf_lookback(fastk, fastd)
}

/// Stochastic RSI of `close`.
///
/// # Errors
/// [`IndicatorError::PeriodTooSmall`] for `period < 2` or a zero `fastk`/`fastd`,
/// [`IndicatorError::PeriodTooLong`] when `period` exceeds the input.
#[doc(alias = "STOCHRSI")]
pub fn stochrsi(close: &[f64], period: usize, fastk: usize, fastd: usize) -> Result<Stoch, IndicatorError> {
    let n = close.len();
    let mut s = Stoch { k: vec![0.0; n], d: vec![0.0; n] };
    stochrsi_into(close, period, fastk, fastd, &mut s.k, &mut s.d)?;
    Ok(s)
}

/// [`stochrsi`] into two output slices; allocates only the O(period) windows.
///
/// # Errors
/// As [`stochrsi`], plus [`IndicatorError::OutputLength`] when an output has the wrong length.
#[doc(alias = "STOCHRSI")]
pub fn stochrsi_into(
    close: &[f64],
    period: usize,
    fastk: usize,
    fastd: usize,
    out_k: &mut [f64],
    out_d: &mut [f64],
) -> Result<(), IndicatorError> {
    let mut s = StochRsi::new(period, fastk, fastd)?;
    check_fits("period", period, close.len())?;
    check_out("out_k", out_k.len(), close.len())?;
    check_out("out_d", out_d.len(), close.len())?;
    let n = close.len();
    if n - period >= fastk {
        // The RSI of every bar, as the streaming type computes it (the batch RSI agrees only to
        // 1e-12, which the stochastic's division can magnify), then the batch fast stochastic
        // of the RSI after its warm-up (what the streaming type feeds it; the same bit for bit,
        // with window extremes found by blocks instead of deques).
        let mut rsi = Rsi::new(period)?;
        let rsi: Vec<f64> = close.iter().map(|&x| rsi.next(x)).collect();
        fill_warmup(out_k, period);
        fill_warmup(out_d, period);
        let r = &rsi[period..];
        return stochf_into(r, r, r, fastk, fastd, &mut out_k[period..], &mut out_d[period..]);
    }
    for (i, &x) in close.iter().enumerate() {
        let v = s.next(x);
        (out_k[i], out_d[i]) = (v.k, v.d);
    }
    Ok(())
}

/// Streaming [`stochrsi`].
#[doc(alias = "STOCHRSI")]
#[derive(Debug, Clone)]
pub struct StochRsi {
    rsi: Rsi,
    stoch: StochF,
    seen: usize,
    period: usize,
}

impl StochRsi {
    /// A stochastic RSI with the given periods.
    ///
    /// # Errors
    /// [`IndicatorError::PeriodTooSmall`] for `period < 2` or a zero `fastk`/`fastd`.
    pub fn new(period: usize, fastk: usize, fastd: usize) -> Result<Self, IndicatorError> {
        Ok(Self { rsi: Rsi::new(period)?, stoch: StochF::new(fastk, fastd)?, seen: 0, period })
    }

    /// Feeds one close; both outputs NaN during the warm-up.
    #[inline]
    pub fn next(&mut self, x: f64) -> StochValue {
        let r = self.rsi.next(x);
        self.seen += 1;
        if self.seen <= self.period { StochValue::NAN } else { self.stoch.next(r, r, r) }
    }

    /// Forgets all values.
    pub fn reset(&mut self) {
        self.rsi.reset();
        self.stoch.reset();
        self.seen = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::indicators::testing::{assert_same, assert_warmup, closes};
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn prop_warmup_and_range(x in closes(), p in 2usize..15, k in 1usize..6, d in 1usize..4) {
            prop_assume!(p <= x.len());
            let s = stochrsi(&x, p, k, d).unwrap();
            assert_warmup(&s.d, stochrsi_lookback(p, k, d).min(x.len()));
            prop_assert!(s.k.iter().filter(|v| !v.is_nan()).all(|v| (-1e-9..=100.0 + 1e-9).contains(v)));
        }

        #[test]
        fn prop_streaming_matches_batch(x in closes(), p in 2usize..15, k in 1usize..6, d in 1usize..4) {
            prop_assume!(p <= x.len());
            let batch = stochrsi(&x, p, k, d).unwrap();
            let mut s = StochRsi::new(p, k, d).unwrap();
            let stream: Vec<StochValue> = x.iter().map(|&v| s.next(v)).collect();
            assert_same(&batch.k, &stream.iter().map(|v| v.k).collect::<Vec<_>>());
            assert_same(&batch.d, &stream.iter().map(|v| v.d).collect::<Vec<_>>());
        }
    }
}
