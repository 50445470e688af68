//! TA-Lib's moving-average types (`MA_Type`) and the indicators that take one: MACDEXT, MACDFIX,
//! and BBANDS and STOCH with a moving average other than the SMA.
//!
//! - [`MaType`]: TA-Lib's codes 0–8. SMA, EMA, WMA, DEMA, TEMA and KAMA are computed; TRIMA,
//!   MAMA and T3 are refused with [`IndicatorError::Param`].
//! - [`macdext`]: MACD with a moving average of each kind per line; [`macdfix`]: MACD 12/26 with
//!   TA-Lib's fixed factors 0.15 and 0.075.
//! - [`bbands_ma`] and [`stoch_ma`]: BBANDS and STOCH with the moving-average types given; with
//!   SMA they are [`bbands`](super::bbands) and [`stoch`](super::stoch).
//!
//! **TA-Lib quirks kept.** A moving average of period 1 is its input, whatever its type. MACDEXT
//! starts both moving averages on the bar where the longer one has its first value, so a
//! recursive one (EMA, DEMA...) is seeded there, not at its own lookback (as in MACD); BBANDS with
//! another type puts the SMA-based standard deviation around that type's middle band.
//!
//! These are batch functions only; each output has one value per bar, NaN in the warm-up.

use super::bbands::check_params as bbands_params;
use super::ema::ema_factors;
use super::util::{check_fits, check_out, check_period, fill_warmup};
use super::{Bands, Macd, Stoch};
use super::{
    IndicatorError, bbands_into, dema_into, ema_into, kama_into, sma_into, stddev_into, stoch_into, stochf_into,
    tema_into, wma_into,
};
use super::{dema_lookback, kama_lookback, tema_lookback};

/// A moving-average type, with TA-Lib's numbering (`talib.MA_Type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum MaType {
    /// Simple (0).
    #[default]
    Sma,
    /// Exponential (1).
    Ema,
    /// Weighted (2).
    Wma,
    /// Double exponential (3).
    Dema,
    /// Triple exponential (4).
    Tema,
    /// Kaufman adaptive (6).
    Kama,
}

impl MaType {
    /// The type for TA-Lib's code.
    ///
    /// # Errors
    /// [`IndicatorError::Param`] naming `param` for a code that is not 0–8, or for TRIMA (5),
    /// MAMA (7) and T3 (8), which are not computed here.
    pub fn from_code(param: &'static str, code: u32) -> Result<Self, IndicatorError> {
        Ok(match code {
            0 => Self::Sma,
            1 => Self::Ema,
            2 => Self::Wma,
            3 => Self::Dema,
            4 => Self::Tema,
            6 => Self::Kama,
            5 | 7 | 8 => {
                let name = match code {
                    5 => "TRIMA",
                    7 => "MAMA",
                    _ => "T3",
                };
                return Err(IndicatorError::Param {
                    param,
                    reason: format!("moving-average type {code} ({name}) is not supported; use 0-4 or 6"),
                });
            }
            _ => {
                return Err(IndicatorError::Param {
                    param,
                    reason: format!("{code} is not a moving-average type (0-8)"),
                });
            }
        })
    }

    /// TA-Lib's code.
    #[must_use]
    pub fn code(self) -> u32 {
        match self {
            Self::Sma => 0,
            Self::Ema => 1,
            Self::Wma => 2,
            Self::Dema => 3,
            Self::Tema => 4,
            Self::Kama => 6,
        }
    }
}

/// Leading NaN outputs of a moving average of `period` bars of type `t` (`TA_MA_Lookback`).
#[must_use]
pub fn ma_lookback(period: usize, t: MaType) -> usize {
    if period <= 1 {
        return 0;
    }
    match t {
        MaType::Sma | MaType::Ema | MaType::Wma => period - 1,
        MaType::Dema => dema_lookback(period),
        MaType::Tema => tema_lookback(period),
        MaType::Kama => kama_lookback(period),
    }
}

/// A moving average of type `t` into `out`; NaN everywhere when the input is too short for
/// one value (as TA-Lib returns no output then).
fn ma_fill(input: &[f64], period: usize, t: MaType, out: &mut [f64]) -> Result<(), IndicatorError> {
    if input.len() <= ma_lookback(period, t) {
        out.fill(f64::NAN);
        return Ok(());
    }
    if period == 1 {
        out.copy_from_slice(input);
        return Ok(());
    }
    match t {
        MaType::Sma => sma_into(input, period, out),
        MaType::Ema => ema_into(input, period, out),
        MaType::Wma => wma_into(input, period, out),
        MaType::Dema => dema_into(input, period, out),
        MaType::Tema => tema_into(input, period, out),
        MaType::Kama => kama_into(input, period, out),
    }
}

/// Leading NaN outputs of [`macdext`].
#[must_use]
pub fn macdext_lookback(
    fast: usize,
    fast_ma: MaType,
    slow: usize,
    slow_ma: MaType,
    signal: usize,
    signal_ma: MaType,
) -> usize {
    ma_lookback(fast, fast_ma).max(ma_lookback(slow, slow_ma)) + ma_lookback(signal, signal_ma)
}

/// TA-Lib `MACDEXT`: MACD whose fast, slow and signal lines are moving averages of the types
/// given (periods swapped, with their types, when `slow < fast`, as TA-Lib does).
///
/// # Errors
/// [`IndicatorError::PeriodTooSmall`] for `fast` or `slow` below 2 or `signal` below 1,
/// [`IndicatorError::PeriodTooLong`] when the slow period exceeds the input.
#[doc(alias = "MACDEXT")]
pub fn macdext(
    close: &[f64],
    fast: usize,
    fast_ma: MaType,
    slow: usize,
    slow_ma: MaType,
    signal: usize,
    signal_ma: MaType,
) -> Result<Macd, IndicatorError> {
    let n = close.len();
    let mut m = Macd { macd: vec![0.0; n], signal: vec![0.0; n], hist: vec![0.0; n] };
    macdext_into(close, fast, fast_ma, slow, slow_ma, signal, signal_ma, &mut m.macd, &mut m.signal, &mut m.hist)?;
    Ok(m)
}

/// [`macdext`] into three output slices (one slot per bar), without allocating: the outputs
/// hold the moving averages while they are computed.
///
/// # Errors
/// As [`macdext`], plus [`IndicatorError::OutputLength`] when an output has the wrong length.
#[doc(alias = "MACDEXT")]
#[allow(clippy::too_many_arguments, reason = "TA-Lib's signature: a period and a type per line")]
pub fn macdext_into(
    close: &[f64],
    fast: usize,
    fast_ma: MaType,
    slow: usize,
    slow_ma: MaType,
    signal: usize,
    signal_ma: MaType,
    out_macd: &mut [f64],
    out_signal: &mut [f64],
    out_hist: &mut [f64],
) -> Result<(), IndicatorError> {
    check_period("fast", fast, 2)?;
    check_period("slow", slow, 2)?;
    check_period("signal", signal, 1)?;
    let ((fast, fast_ma), (slow, slow_ma)) =
        if slow < fast { ((slow, slow_ma), (fast, fast_ma)) } else { ((fast, fast_ma), (slow, slow_ma)) };
    let n = close.len();
    check_fits("slow", slow, n)?;
    check_out("out_macd", out_macd.len(), n)?;
    check_out("out_signal", out_signal.len(), n)?;
    check_out("out_hist", out_hist.len(), n)?;
    let (lb_fast, lb_slow) = (ma_lookback(fast, fast_ma), ma_lookback(slow, slow_ma));
    let lb_lines = lb_fast.max(lb_slow);
    let total = lb_lines + ma_lookback(signal, signal_ma);
    if n <= total {
        out_macd.fill(f64::NAN);
        out_signal.fill(f64::NAN);
        out_hist.fill(f64::NAN);
        return Ok(());
    }
    // Both lines start where the longer one has its first value (TA-Lib computes them from
    // there), so each is computed on the input from that bar minus its own lookback.
    let (of, os) = (lb_lines - lb_fast, lb_lines - lb_slow);
    ma_fill(&close[of..], fast, fast_ma, &mut out_macd[of..])?;
    ma_fill(&close[os..], slow, slow_ma, &mut out_hist[os..])?;
    for (m, s) in out_macd[lb_lines..].iter_mut().zip(&out_hist[lb_lines..]) {
        *m -= s;
    }
    ma_fill(&out_macd[lb_lines..], signal, signal_ma, &mut out_signal[lb_lines..])?;
    for ((h, m), s) in out_hist[total..].iter_mut().zip(&out_macd[total..]).zip(&out_signal[total..]) {
        *h = m - s;
    }
    fill_warmup(out_macd, total);
    fill_warmup(out_signal, total);
    fill_warmup(out_hist, total);
    Ok(())
}

/// Leading NaN outputs of [`macdfix`].
#[must_use]
pub fn macdfix_lookback(signal: usize) -> usize {
    25 + signal.saturating_sub(1)
}

/// TA-Lib `MACDFIX`: MACD 12/26 with the fixed smoothing factors 0.15 and 0.075 (TA-Lib's
/// "classic" MACD), the signal an EMA of `signal` bars.
///
/// # Errors
/// [`IndicatorError::PeriodTooSmall`] for `signal == 0`, [`IndicatorError::PeriodTooLong`] for
/// an input shorter than 26 bars.
#[doc(alias = "MACDFIX")]
pub fn macdfix(close: &[f64], signal: usize) -> Result<Macd, IndicatorError> {
    let n = close.len();
    let mut m = Macd { macd: vec![0.0; n], signal: vec![0.0; n], hist: vec![0.0; n] };
    macdfix_into(close, signal, &mut m.macd, &mut m.signal, &mut m.hist)?;
    Ok(m)
}

/// [`macdfix`] into three output slices (one slot per bar), without allocating.
///
/// # Errors
/// As [`macdfix`], plus [`IndicatorError::OutputLength`] when an output has the wrong length.
#[doc(alias = "MACDFIX")]
pub fn macdfix_into(
    close: &[f64],
    signal: usize,
    out_macd: &mut [f64],
    out_signal: &mut [f64],
    out_hist: &mut [f64],
) -> Result<(), IndicatorError> {
    check_period("signal", signal, 1)?;
    let n = close.len();
    check_fits("slow", 26, n)?;
    check_out("out_macd", out_macd.len(), n)?;
    check_out("out_signal", out_signal.len(), n)?;
    check_out("out_hist", out_hist.len(), n)?;
    let total = macdfix_lookback(signal);
    fill_warmup(out_macd, total.min(n));
    fill_warmup(out_signal, total.min(n));
    fill_warmup(out_hist, total.min(n));
    if n <= total {
        return Ok(());
    }
    // TA-Lib seeds both with the SMA of their periods ending on bar 25, then smooths with
    // k = 0.15 and 0.075 instead of 2/13 and 2/27.
    let (kf, ks) = (0.15, 0.075);
    let seed = |w: &[f64]| w.iter().sum::<f64>() / w.len() as f64;
    let (mut yf, mut ys) = (seed(&close[26 - 12..26]), seed(&close[..26]));
    let (kg, _) = ema_factors(signal);
    let mut line = Vec::with_capacity(signal);
    line.push(yf - ys);
    for &x in &close[26..=total] {
        yf += (x - yf) * kf;
        ys += (x - ys) * ks;
        line.push(yf - ys);
    }
    let mut sg = seed(&line);
    let m = yf - ys;
    (out_macd[total], out_signal[total], out_hist[total]) = (m, sg, m - sg);
    for (i, &x) in close.iter().enumerate().skip(total + 1) {
        yf += (x - yf) * kf;
        ys += (x - ys) * ks;
        let m = yf - ys;
        sg += (m - sg) * kg;
        (out_macd[i], out_signal[i], out_hist[i]) = (m, sg, m - sg);
    }
    Ok(())
}

/// TA-Lib `BBANDS` with the middle band a moving average of type `t`; the bands are
/// `nbdev_up`/`nbdev_dn` population standard deviations (of the SMA window) away from it.
///
/// # Errors
/// As [`bbands`](super::bbands), and [`IndicatorError::PeriodTooLong`] when the type's lookback
/// leaves no bar.
#[doc(alias = "BBANDS")]
pub fn bbands_ma(
    close: &[f64],
    period: usize,
    nbdev_up: f64,
    nbdev_dn: f64,
    t: MaType,
) -> Result<Bands, IndicatorError> {
    let n = close.len();
    let mut b = Bands { upper: vec![0.0; n], middle: vec![0.0; n], lower: vec![0.0; n] };
    bbands_ma_into(close, period, nbdev_up, nbdev_dn, t, &mut b.upper, &mut b.middle, &mut b.lower)?;
    Ok(b)
}

/// [`bbands_ma`] into three output slices (one slot per bar), without allocating.
///
/// # Errors
/// As [`bbands_ma`], plus [`IndicatorError::OutputLength`] when an output has the wrong length.
#[doc(alias = "BBANDS")]
#[allow(clippy::too_many_arguments, reason = "TA-Lib's signature plus the three outputs")]
pub fn bbands_ma_into(
    close: &[f64],
    period: usize,
    nbdev_up: f64,
    nbdev_dn: f64,
    t: MaType,
    upper: &mut [f64],
    middle: &mut [f64],
    lower: &mut [f64],
) -> Result<(), IndicatorError> {
    if t == MaType::Sma {
        return bbands_into(close, period, nbdev_up, nbdev_dn, upper, middle, lower);
    }
    bbands_params(period, nbdev_up, nbdev_dn)?;
    let n = close.len();
    check_fits("period", period, n)?;
    check_out("upper", upper.len(), n)?;
    check_out("middle", middle.len(), n)?;
    check_out("lower", lower.len(), n)?;
    ma_fill(close, period, t, middle)?;
    // The deviation goes through `lower` on its way.
    stddev_into(close, period, 1.0, lower)?;
    let lb = ma_lookback(period, t).max(period - 1).min(n);
    for ((u, m), l) in upper[lb..].iter_mut().zip(&middle[lb..]).zip(lower[lb..].iter_mut()) {
        let sd = *l;
        (*u, *l) = (m + sd * nbdev_up, m - sd * nbdev_dn);
    }
    fill_warmup(upper, lb);
    fill_warmup(middle, lb);
    fill_warmup(lower, lb);
    Ok(())
}

/// Leading NaN outputs of [`stoch_ma`].
#[must_use]
pub fn stoch_ma_lookback(fastk: usize, slowk: usize, slowd: usize, slowk_ma: MaType, slowd_ma: MaType) -> usize {
    fastk.saturating_sub(1) + ma_lookback(slowk, slowk_ma) + ma_lookback(slowd, slowd_ma)
}

/// TA-Lib `STOCH` with the slow %K and %D moving averages of the types given (the periods in
/// [`stoch`](super::stoch)'s order, the types after them).
///
/// # Errors
/// As [`stoch`](super::stoch).
#[doc(alias = "STOCH")]
#[allow(clippy::too_many_arguments, reason = "TA-Lib's signature: a period and a type per line")]
pub fn stoch_ma(
    high: &[f64],
    low: &[f64],
    close: &[f64],
    fastk: usize,
    slowk: usize,
    slowd: usize,
    slowk_ma: MaType,
    slowd_ma: MaType,
) -> Result<Stoch, IndicatorError> {
    let n = close.len();
    let mut s = Stoch { k: vec![0.0; n], d: vec![0.0; n] };
    stoch_ma_into(high, low, close, fastk, slowk, slowd, slowk_ma, slowd_ma, &mut s.k, &mut s.d)?;
    Ok(s)
}

/// [`stoch_ma`] into two output slices (one slot per bar); the outputs hold the raw %K on the way.
///
/// # Errors
/// As [`stoch_ma`], plus [`IndicatorError::OutputLength`] when an output has the wrong length.
#[doc(alias = "STOCH")]
#[allow(clippy::too_many_arguments, reason = "TA-Lib's signature plus the two outputs")]
pub fn stoch_ma_into(
    high: &[f64],
    low: &[f64],
    close: &[f64],
    fastk: usize,
    slowk: usize,
    slowd: usize,
    slowk_ma: MaType,
    slowd_ma: MaType,
    out_k: &mut [f64],
    out_d: &mut [f64],
) -> Result<(), IndicatorError> {
    if slowk_ma == MaType::Sma && slowd_ma == MaType::Sma {
        return stoch_into(high, low, close, fastk, slowk, slowd, out_k, out_d);
    }
    check_period("slowk", slowk, 1)?;
    check_period("slowd", slowd, 1)?;
    let n = close.len();
    check_out("out_k", out_k.len(), n)?;
    check_out("out_d", out_d.len(), n)?;
    // The raw %K (a fast stochastic with a 1-bar %D) lands in `out_d`.
    stochf_into(high, low, close, fastk, 1, out_d, out_k)?;
    let lb_raw = fastk - 1;
    let lb_k = lb_raw + ma_lookback(slowk, slowk_ma);
    let total = lb_k + ma_lookback(slowd, slowd_ma);
    if n <= total {
        out_k.fill(f64::NAN);
        out_d.fill(f64::NAN);
        return Ok(());
    }
    ma_fill(&out_d[lb_raw..], slowk, slowk_ma, &mut out_k[lb_raw..])?;
    ma_fill(&out_k[lb_k..], slowd, slowd_ma, &mut out_d[lb_k..])?;
    fill_warmup(out_k, total);
    fill_warmup(out_d, total);
    Ok(())
}
