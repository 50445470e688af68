//! Argument checks shared by the batch functions.

use super::IndicatorError;

/// TA-Lib's `TA_IS_ZERO`: values within 1e-8 of zero count as zero in its divisions.
pub(crate) const TA_EPSILON: f64 = 0.000_000_01;

/// TA-Lib's `TA_IS_ZERO`.
#[inline(always)]
pub(crate) fn is_zero(v: f64) -> bool {
    -TA_EPSILON < v && v < TA_EPSILON
}

/// Fails when `value < min`.
pub(crate) fn check_period(param: &'static str, value: usize, min: usize) -> Result<(), IndicatorError> {
    if value < min { Err(IndicatorError::PeriodTooSmall { param, value, min }) } else { Ok(()) }
}

/// Fails when `period` is longer than the input.
pub(crate) fn check_fits(param: &'static str, period: usize, len: usize) -> Result<(), IndicatorError> {
    if period > len { Err(IndicatorError::PeriodTooLong { param, period, len }) } else { Ok(()) }
}

/// Fails when `input` is not `expected` bars long.
pub(crate) fn check_len(
    input: &'static str,
    got: usize,
    reference: &'static str,
    expected: usize,
) -> Result<(), IndicatorError> {
    if got != expected { Err(IndicatorError::LengthMismatch { input, reference, expected, got }) } else { Ok(()) }
}

/// Fails when an output slice does not have one slot per input bar.
pub(crate) fn check_out(output: &'static str, got: usize, expected: usize) -> Result<(), IndicatorError> {
    if got != expected { Err(IndicatorError::OutputLength { output, expected, got }) } else { Ok(()) }
}

/// Checks that `high` and `low` are aligned and `high >= low` on every bar.
pub(crate) fn check_high_low(high: &[f64], low: &[f64]) -> Result<(), IndicatorError> {
    check_len("low", low.len(), "high", high.len())?;
    // `h < l` is false for NaN, so NaN bars pass here and propagate as documented.
    match high.iter().zip(low).position(|(h, l)| h < l) {
        Some(index) => Err(IndicatorError::HighBelowLow { index, high: high[index], low: low[index] }),
        None => Ok(()),
    }
}

/// The error for the first bar with `high < low`; call after a fused check found one.
#[cold]
pub(crate) fn high_below_low(high: &[f64], low: &[f64]) -> IndicatorError {
    let index = high.iter().zip(low).position(|(h, l)| h < l).unwrap_or(0);
    IndicatorError::HighBelowLow { index, high: high[index], low: low[index] }
}

/// Checks that a high/low/close triple has one length; the kernel checks `high >= low` itself
/// while it reads the bars, which saves a pass over memory.
pub(crate) fn check_hlc_lengths(high: &[f64], low: &[f64], close: &[f64]) -> Result<(), IndicatorError> {
    check_len("low", low.len(), "high", high.len())?;
    check_len("close", close.len(), "high", high.len())
}

/// Checks a high/low/close triple: same lengths, `high >= low`.
pub(crate) fn check_hlc(high: &[f64], low: &[f64], close: &[f64]) -> Result<(), IndicatorError> {
    check_high_low(high, low)?;
    check_len("close", close.len(), "high", high.len())
}

/// Fills the warm-up part of `out` with NaN; `lookback` may exceed the length.
#[inline]
pub(crate) fn fill_warmup(out: &mut [f64], lookback: usize) {
    let n = lookback.min(out.len());
    out[..n].fill(f64::NAN);
}
