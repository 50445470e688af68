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

/// Checks that named inputs share one length and, when both `high` and `low` are among them,
/// that `high >= low` on every bar.
pub(crate) fn check_inputs(inputs: &[(&'static str, &[f64])]) -> Result<(), IndicatorError> {
    let Some(&(first, x)) = inputs.first() else { return Ok(()) };
    for &(name, y) in &inputs[1..] {
        check_len(name, y.len(), first, x.len())?;
    }
    let find = |want: &str| inputs.iter().find(|(name, _)| *name == want).map(|&(_, v)| v);
    if let (Some(high), Some(low)) = (find("high"), find("low")) {
        check_high_low(high, low)?;
    }
    Ok(())
}

/// Batch `name` and `name_into` for an indicator whose streaming type `Ty` has
/// `new(params…) -> Result<Ty>` and `next(inputs…) -> f64`: the batch result is the streaming
/// output bar by bar, so the two agree bit for bit by construction.
macro_rules! batch_from_stream {
    (
        $alias:literal, $name:ident, $into:ident, $ty:ident,
        inputs: [$($inp:ident),+], params: [$($p:ident: $pt:ty),*], fits: $fits:expr
    ) => {
        #[doc = concat!("TA-Lib `", $alias, "` over a whole series: one output per bar, NaN in the warm-up (see the module docs and [`", stringify!($ty), "`]).")]
        ///
        /// # Errors
        #[doc = concat!("The parameter errors of [`", stringify!($ty), "::new`]; [`IndicatorError::PeriodTooLong`](crate::indicators::IndicatorError::PeriodTooLong) when the period exceeds the input; [`IndicatorError::LengthMismatch`](crate::indicators::IndicatorError::LengthMismatch) or [`IndicatorError::HighBelowLow`](crate::indicators::IndicatorError::HighBelowLow) for inconsistent bars.")]
        #[doc(alias = $alias)]
        pub fn $name($($inp: &[f64],)+ $($p: $pt),*) -> Result<Vec<f64>, $crate::indicators::IndicatorError> {
            let n = [$($inp),+][0].len();
            let mut out = vec![0.0; n];
            $into($($inp,)+ $($p,)* &mut out)?;
            Ok(out)
        }

        #[doc = concat!("[`", stringify!($name), "`] into `out` (one slot per bar); allocates only the indicator's O(period) state.")]
        ///
        /// # Errors
        #[doc = concat!("As [`", stringify!($name), "`], plus [`IndicatorError::OutputLength`](crate::indicators::IndicatorError::OutputLength) when `out` has the wrong length.")]
        #[doc(alias = $alias)]
        pub fn $into($($inp: &[f64],)+ $($p: $pt,)* out: &mut [f64]) -> Result<(), $crate::indicators::IndicatorError> {
            let mut s = $ty::new($($p),*)?;
            let n = [$($inp),+][0].len();
            $crate::indicators::util::check_inputs(&[$((stringify!($inp), $inp)),+])?;
            $crate::indicators::util::check_fits("period", $fits, n)?;
            $crate::indicators::util::check_out("out", out.len(), n)?;
            for (i, o) in out.iter_mut().enumerate() {
                *o = s.next($($inp[i]),+);
            }
            Ok(())
        }
    };
}
pub(crate) use batch_from_stream;

/// Batch `name` and `name_into` for an indicator that compares each value with the one `period`
/// bars back (`out[i] = f(x[i], x[i - period])`): a plain loop over two offsets of the input,
/// which the compiler vectorises, instead of the streaming type's ring. `f` is the function the
/// streaming type applies too, so the two agree bit for bit.
macro_rules! batch_lagged {
    ($alias:literal, $name:ident, $into:ident, $ty:ident, $f:expr) => {
        #[doc = concat!("TA-Lib `", $alias, "` over a whole series: one output per bar, NaN in the warm-up (see the module docs and [`", stringify!($ty), "`]).")]
        ///
        /// # Errors
        /// [`IndicatorError::PeriodTooSmall`](crate::indicators::IndicatorError::PeriodTooSmall)
        /// for `period == 0`, [`IndicatorError::PeriodTooLong`](crate::indicators::IndicatorError::PeriodTooLong)
        /// when the period exceeds the input.
        #[doc(alias = $alias)]
        pub fn $name(input: &[f64], period: usize) -> Result<Vec<f64>, $crate::indicators::IndicatorError> {
            let mut out = vec![0.0; input.len()];
            $into(input, period, &mut out)?;
            Ok(out)
        }

        #[doc = concat!("[`", stringify!($name), "`] into `out` (one slot per bar), without allocating.")]
        ///
        /// # Errors
        #[doc = concat!("As [`", stringify!($name), "`], plus [`IndicatorError::OutputLength`](crate::indicators::IndicatorError::OutputLength) when `out` has the wrong length.")]
        #[doc(alias = $alias)]
        pub fn $into(input: &[f64], period: usize, out: &mut [f64]) -> Result<(), $crate::indicators::IndicatorError> {
            $crate::indicators::util::check_period("period", period, 1)?;
            $crate::indicators::util::check_fits("period", period, input.len())?;
            $crate::indicators::util::check_out("out", out.len(), input.len())?;
            $crate::indicators::util::fill_warmup(out, period);
            let f = $f;
            for ((o, &now), &then) in out[period..].iter_mut().zip(&input[period..]).zip(input) {
                *o = f(now, then);
            }
            Ok(())
        }
    };
}
pub(crate) use batch_lagged;
