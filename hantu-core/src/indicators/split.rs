//! Two cores for one long series: a batch kernel run on both halves of its input at once.
//!
//! Every batch indicator is causal — its output at bar `t` depends on bars `..=t` only — and
//! all but the cumulative ones (OBV, AD) and SAR forget old bars: a window kernel (SMA, WILLR,
//! AROON…) sees only its last `lookback` bars, and a recursive smoother (EMA, Wilder's RSI/ATR,
//! KAMA…) keeps an old bar's influence only in a weight that shrinks geometrically. So the
//! second half of a long series can be computed from its own start while the first half is
//! computed on another core, provided the values near the seam are recomputed from enough
//! history: [`halves`] runs the kernel on `[0, m)` and `[m, n)` in parallel, then reruns it on
//! `[m - settle, m + settle)` and keeps that run's second half for `[m, m + settle)`.
//!
//! What this changes in the output:
//! - window extremes and per-bar formulas (MOM, ROC, TRANGE, WILLR, MIDPRICE, AROON, STOCHF's
//!   %K): nothing, bit for bit;
//! - running window sums (SMA, WMA, VAR, ULTOSC…): the last bits, as the second half's sums
//!   start afresh instead of carrying the first half's rounding;
//! - recursive smoothers: their seed's influence, below `1e-17` of the value once `settle` bars
//!   have passed (see [`fading`]).
//!
//! Both stay within TA-Lib's 1e-9 relative. A NaN that poisons a running sum or smoother in the
//! first half (every later output NaN, as in TA-Lib) is seen at the seam and the second half is
//! then computed in the same pass as the first, so NaN spreads exactly as in one run. Series
//! shorter than [`MIN_SPLIT`], or with one thread in rayon's pool (`RAYON_NUM_THREADS=1`: the
//! same knob as the rest of hantu's parallel work), run in one piece.

use std::ops::Range;

use super::{IndicatorError, MaType};

/// Series shorter than this run on one core: below it, waking a second thread costs more than
/// half the work saves.
pub const MIN_SPLIT: usize = 1 << 16;

/// Bars of history after which a smoother with per-bar retention `keep` (`1 - alpha`; Wilder's
/// `(p - 1) / p`) has forgotten its seed to below `1e-17` of the value, for `depth` smoothers
/// in a row (DEMA 2, TEMA and TRIX 3), plus the kernel's own `lookback`.
///
/// The difference two seeds make shrinks by `keep` each bar, and after `depth` cascaded stages
/// by at most `k^(depth-1) · keep^k`; `(40 + 10·depth)·depth / -ln(keep)` bars bring that
/// below `e^-40 ≈ 4e-18` for every `keep < 1` and `depth ≤ 3`.
#[must_use]
pub fn fading(lookback: usize, keep: f64, depth: u32) -> usize {
    if keep <= 0.0 {
        return lookback; // no memory at all (a period of 1)
    }
    let rate = -keep.ln();
    if !(rate.is_finite() && rate > 0.0) {
        return usize::MAX;
    }
    let d = f64::from(depth.max(1));
    let bars = ((40.0 + 10.0 * d) * d / rate).ceil();
    // A retention so close to 1 that the count overflows means "never settles": run in one piece.
    if bars >= 1e15 { usize::MAX } else { lookback.saturating_add(bars as usize) }
}

/// The per-bar retention of an EMA over `period` bars, `1 - 2 / (period + 1)`.
#[must_use]
pub fn ema_keep(period: usize) -> f64 {
    1.0 - 2.0 / (period as f64 + 1.0)
}

/// The per-bar retention of Wilder's smoothing over `period` bars, `1 - 1 / period`.
#[must_use]
pub fn wilder_keep(period: usize) -> f64 {
    1.0 - 1.0 / period as f64
}

/// The slowest per-bar retention of KAMA, whose smoothing constant is at least `(2/31)²`.
#[must_use]
pub fn kama_keep() -> f64 {
    1.0 - (2.0_f64 / 31.0).powi(2)
}

/// The settling length of a moving average of type `t` over `period` bars.
#[must_use]
pub fn ma_settle(period: usize, t: MaType) -> usize {
    match t {
        MaType::Sma | MaType::Wma => period,
        MaType::Ema => fading(period, ema_keep(period), 1),
        MaType::Dema => fading(period.saturating_mul(2), ema_keep(period), 2),
        MaType::Tema => fading(period.saturating_mul(3), ema_keep(period), 3),
        MaType::Kama => fading(period, kama_keep(), 1),
    }
}

/// Runs `run(range, outs)` — the kernel on the inputs `range` into `outs`, one slice per output,
/// each `range.len()` long — over `0..n`, on two cores when the series is long enough.
///
/// `settle` is how many bars of history make the kernel's output independent of where it
/// started (its lookback for a window kernel, [`fading`] for a smoother; `usize::MAX` for a
/// kernel that never forgets). `outs` are the outputs for the whole series, each `n` long.
///
/// # Errors
/// The kernel's error for the whole series: when a piece fails, the whole series is run again
/// in one piece, so an error names the same bar it would have.
pub fn halves<const K: usize, F>(
    n: usize,
    settle: usize,
    mut outs: [&mut [f64]; K],
    run: F,
) -> Result<(), IndicatorError>
where
    F: Fn(Range<usize>, [&mut [f64]; K]) -> Result<(), IndicatorError> + Sync,
{
    let m = n / 2;
    if n < MIN_SPLIT || settle >= m / 2 || rayon::current_num_threads() < 2 {
        return run(0..n, outs);
    }
    let (a, b) = {
        let mut firsts: [&mut [f64]; K] = std::array::from_fn(|_| <&mut [f64]>::default());
        let mut seconds: [&mut [f64]; K] = std::array::from_fn(|_| <&mut [f64]>::default());
        for ((o, first), second) in outs.iter_mut().zip(&mut firsts).zip(&mut seconds) {
            (*first, *second) = o.split_at_mut(m);
        }
        both(|| run(0..m, firsts), || run(m..n, seconds))
    };
    // A NaN at the seam means the first half's state may be poisoned (a NaN in a running sum
    // or smoother reaches every later bar): the second half must then see it, so it runs again
    // as part of the whole.
    let poisoned = outs.iter().any(|o| !o[m - 1].is_finite());
    if a.is_err() || b.is_err() || poisoned {
        return run(0..n, outs);
    }
    let lo = m - settle;
    let hi = (m + settle).min(n);
    let mut seam: Vec<Vec<f64>> = (0..K).map(|_| vec![0.0; hi - lo]).collect();
    let mut parts = seam.iter_mut().map(Vec::as_mut_slice);
    let seam_outs: [&mut [f64]; K] = std::array::from_fn(|_| parts.next().unwrap_or_default());
    if run(lo..hi, seam_outs).is_err() {
        return run(0..n, outs);
    }
    for (o, s) in outs.iter_mut().zip(&seam) {
        o[m..hi].copy_from_slice(&s[m - lo..]);
    }
    Ok(())
}

/// [`halves`] for a running total (AD): the second half is summed from zero beside the first,
/// then the first half's total is added to each of its values, which then differ from one
/// core's in the last bits of the total. `run` is as in [`halves`].
///
/// # Errors
/// As [`halves`].
pub fn totals<const K: usize, F>(n: usize, mut outs: [&mut [f64]; K], run: F) -> Result<(), IndicatorError>
where
    F: Fn(Range<usize>, [&mut [f64]; K]) -> Result<(), IndicatorError> + Sync,
{
    let m = n / 2;
    if n < MIN_SPLIT || rayon::current_num_threads() < 2 {
        return run(0..n, outs);
    }
    let (a, b) = {
        let mut firsts: [&mut [f64]; K] = std::array::from_fn(|_| <&mut [f64]>::default());
        let mut seconds: [&mut [f64]; K] = std::array::from_fn(|_| <&mut [f64]>::default());
        for ((o, first), second) in outs.iter_mut().zip(&mut firsts).zip(&mut seconds) {
            (*first, *second) = o.split_at_mut(m);
        }
        both(|| run(0..m, firsts), || run(m..n, seconds))
    };
    // A failed piece, or a total the first half has poisoned: one piece, as without a split.
    if a.is_err() || b.is_err() || outs.iter().any(|o| !o[m - 1].is_finite()) {
        return run(0..n, outs);
    }
    for o in &mut outs {
        let base = o[m - 1];
        for v in &mut o[m..] {
            *v += base;
        }
    }
    Ok(())
}

/// Runs `a` on the calling thread and `b` on a thread of its own, at once.
///
/// The caller is usually not one of rayon's workers, and a join from outside the pool hands
/// both halves to workers that may be asleep (measured: half the calls then ran on one core);
/// spawning costs tens of microseconds, a few percent of a split's smallest job. When no thread
/// can be had, both report failure and the caller runs the whole in one piece.
fn both<A, B>(a: A, b: B) -> (Result<(), IndicatorError>, Result<(), IndicatorError>)
where
    A: FnOnce() -> Result<(), IndicatorError>,
    B: FnOnce() -> Result<(), IndicatorError> + Send,
{
    std::thread::scope(|s| match std::thread::Builder::new().name("hantu-split".into()).spawn_scoped(s, b) {
        Ok(second) => (a(), second.join().unwrap_or_else(|_| Err(failed()))),
        Err(_) => (Err(failed()), Err(failed())),
    })
}

/// What a piece reports when its thread could not run it (the whole is then run in one piece).
fn failed() -> IndicatorError {
    IndicatorError::Param { param: "split", reason: "the second half's thread did not run".into() }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::indicators::{ema_into, mom_into, sma_into};

    fn walk(n: usize) -> Vec<f64> {
        let mut x = 50_000.0;
        (0..n)
            .map(|i| {
                x += ((i * 7919 % 101) as f64 - 50.0) * 3.0;
                x
            })
            .collect()
    }

    fn whole(x: &[f64], f: impl Fn(&[f64], &mut [f64]) -> Result<(), IndicatorError>) -> Vec<f64> {
        let mut out = vec![0.0; x.len()];
        f(x, &mut out).unwrap();
        out
    }

    fn split(
        x: &[f64],
        settle: usize,
        f: impl Fn(&[f64], &mut [f64]) -> Result<(), IndicatorError> + Sync,
    ) -> Vec<f64> {
        let mut out = vec![f64::INFINITY; x.len()];
        two_threads(|| halves(x.len(), settle, [&mut out], |r, [o]| f(&x[r], o))).unwrap();
        out
    }

    /// Runs `f` on a pool of two threads, so the halves split on any machine.
    fn two_threads<T: Send>(f: impl FnOnce() -> T + Send) -> T {
        rayon::ThreadPoolBuilder::new().num_threads(2).build().unwrap().install(f)
    }

    fn same_within(a: &[f64], b: &[f64], rel: f64) {
        for (i, (x, y)) in a.iter().zip(b).enumerate() {
            assert!(
                x.to_bits() == y.to_bits() || (x - y).abs() <= rel * x.abs().max(y.abs()).max(1.0),
                "bar {i}: {x} vs {y}"
            );
        }
    }

    #[test]
    fn a_window_kernel_is_bit_identical() {
        let x = walk(3 * MIN_SPLIT);
        let got = split(&x, 10, |x, o| mom_into(x, 10, o));
        let want = whole(&x, |x, o| mom_into(x, 10, o));
        assert!(got.iter().zip(&want).all(|(a, b)| a.to_bits() == b.to_bits()));
    }

    #[test]
    fn running_sums_and_smoothers_agree_to_the_last_bits() {
        let x = walk(3 * MIN_SPLIT);
        same_within(&split(&x, 30, |x, o| sma_into(x, 30, o)), &whole(&x, |x, o| sma_into(x, 30, o)), 1e-13);
        let settle = fading(29, ema_keep(30), 1);
        same_within(&split(&x, settle, |x, o| ema_into(x, 30, o)), &whole(&x, |x, o| ema_into(x, 30, o)), 1e-13);
    }

    #[test]
    fn too_little_settling_is_caught_by_the_test_above() {
        // The seam really is recomputed: with no settling the EMA's second half starts from a
        // fresh seed and differs visibly, so the test above can fail.
        let x = walk(3 * MIN_SPLIT);
        let got = split(&x, 29, |x, o| ema_into(x, 30, o));
        let want = whole(&x, |x, o| ema_into(x, 30, o));
        let m = x.len() / 2;
        assert!((got[m + 40] - want[m + 40]).abs() > 1e-6);
    }

    #[test]
    fn a_nan_in_the_first_half_spreads_as_in_one_run() {
        let mut x = walk(3 * MIN_SPLIT);
        x[1000] = f64::NAN;
        let got = split(&x, fading(29, ema_keep(30), 1), |x, o| ema_into(x, 30, o));
        assert!(got[1000..].iter().all(|v| v.is_nan()));
    }

    #[test]
    fn errors_name_the_bar_of_the_whole_series() {
        let x = walk(3 * MIN_SPLIT);
        let (mut h, l) = (x.clone(), x.clone());
        h[2 * MIN_SPLIT] -= 1.0;
        let mut out = vec![0.0; x.len()];
        let e = two_threads(|| {
            halves(x.len(), 14, [&mut out], |r, [o]| {
                crate::indicators::willr_into(&h[r.clone()], &l[r.clone()], &x[r], 14, o)
            })
        });
        assert!(matches!(e, Err(IndicatorError::HighBelowLow { index, .. }) if index == 2 * MIN_SPLIT));
    }

    #[test]
    fn a_running_total_is_summed_in_two_halves() {
        let x = walk(3 * MIN_SPLIT);
        let v: Vec<f64> = x.iter().map(|p| p * 0.01).collect();
        let (h, l): (Vec<f64>, Vec<f64>) = x.iter().map(|p| (p + 40.0, p - 60.0)).unzip();
        let ad = |r: Range<usize>, o: &mut [f64]| {
            crate::indicators::ad_into(&h[r.clone()], &l[r.clone()], &x[r.clone()], &v[r], o)
        };
        let mut got = vec![0.0; x.len()];
        two_threads(|| totals(x.len(), [&mut got], |r, [o]| ad(r, o))).unwrap();
        let mut want = vec![0.0; x.len()];
        ad(0..x.len(), &mut want).unwrap();
        let scale = want.iter().fold(0.0_f64, |m, v| m.max(v.abs()));
        // A long sum is off by up to ~n·ε of its size in either order; 1e-10 of the largest total.
        assert!(got.iter().zip(&want).all(|(a, b)| (a - b).abs() <= 1e-10 * scale));
        assert_ne!(got, want, "the halves really were summed apart");
        let mut poisoned = v.clone();
        poisoned[10] = f64::NAN;
        let ad = |r: Range<usize>, o: &mut [f64]| {
            crate::indicators::ad_into(&h[r.clone()], &l[r.clone()], &x[r.clone()], &poisoned[r], o)
        };
        two_threads(|| totals(x.len(), [&mut got], |r, [o]| ad(r, o))).unwrap();
        assert!(got[10..].iter().all(|v| v.is_nan()));
    }

    #[test]
    fn fading_is_generous_and_never_overflows() {
        assert!(fading(29, ema_keep(30), 1) > 700);
        assert!(fading(90, ema_keep(30), 3) > 3000);
        assert_eq!(fading(5, 1.0, 1), usize::MAX);
        assert_eq!(fading(5, f64::NAN, 1), usize::MAX);
    }
}
