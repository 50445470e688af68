//! Two cores for one long series: a batch kernel run on pieces of its input at once.
//!
//! Every batch indicator is causal — its output at bar `t` depends on bars `..=t` only — and
//! all but the cumulative ones (OBV, AD) and SAR forget old bars: a window kernel (SMA, WILLR,
//! AROON…) sees only its last `lookback` bars, and a recursive smoother (EMA, Wilder's RSI/ATR,
//! KAMA…) keeps an old bar's influence only in a weight that shrinks geometrically. So a piece
//! of a long series can be computed from its own start while the piece before is computed on
//! another core, provided the values near each seam are recomputed from enough history:
//! [`pieces`] cuts the series in four pieces, which the calling thread and one helper thread
//! take in turn, then reruns the kernel on `[b - settle, b + settle)` around each seam `b` and
//! keeps that run's second half for `[b, b + settle)`.
//!
//! What this changes in the output:
//! - window extremes and per-bar formulas (MOM, ROC, TRANGE, WILLR, MIDPRICE, AROON, STOCHF's
//!   %K): nothing, bit for bit;
//! - running window sums (SMA, WMA, VAR, ULTOSC…): the last bits, as each piece's sums start
//!   afresh instead of carrying the rounding of the pieces before;
//! - recursive smoothers: their seed's influence, below `1e-17` of the value once `settle` bars
//!   have passed (see [`fading`]).
//!
//! Both stay within TA-Lib's 1e-9 relative. A NaN that poisons a running sum or smoother (every
//! later output NaN, as in TA-Lib) is seen at the next seam and the whole series is then
//! computed in one pass, so NaN spreads exactly as in one run. Series shorter than
//! [`MIN_SPLIT`], or with one thread in rayon's pool (`RAYON_NUM_THREADS=1`: the same knob as
//! the rest of hantu's parallel work), run in one piece.

use std::ops::Range;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError};

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

/// Pieces a long series is cut into. More than two, so that when the second core comes late
/// (on a virtual machine an idle CPU can take milliseconds to be scheduled again) the caller
/// takes the pieces the helper has not reached: a call is then never slower than on one core by
/// more than a thread's start and the seams.
const PIECES: usize = 4;

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
pub fn pieces<const K: usize, F>(
    n: usize,
    settle: usize,
    mut outs: [&mut [f64]; K],
    run: F,
) -> Result<(), IndicatorError>
where
    F: Fn(Range<usize>, [&mut [f64]; K]) -> Result<(), IndicatorError> + Sync,
{
    if n < MIN_SPLIT || settle >= n / PIECES / 2 || rayon::current_num_threads() < 2 {
        return run(0..n, outs);
    }
    let bounds: [usize; PIECES + 1] = std::array::from_fn(|i| i * n / PIECES);
    // A NaN at a seam means the piece before may have poisoned its state (a NaN in a running
    // sum or smoother reaches every later bar): the pieces after must then see it, so the whole
    // runs again in one piece.
    if in_pieces(&bounds, &mut outs, &run).is_err() || seams_poisoned(&bounds, &outs) {
        return run(0..n, outs);
    }
    let mut seam: [Vec<f64>; K] = std::array::from_fn(|_| vec![0.0; 2 * settle + 1]);
    for &b in &bounds[1..PIECES] {
        // The seam is run one bar past what it replaces, to compare that bar with the piece's.
        let (lo, hi, end) = (b - settle, b + settle, b + settle + 1);
        let mut parts = seam.iter_mut().map(|s| &mut s[..end - lo]);
        let seam_outs: [&mut [f64]; K] = std::array::from_fn(|_| parts.next().unwrap_or_default());
        if run(lo..end, seam_outs).is_err() {
            return run(0..n, outs);
        }
        // Where the seam and the piece disagree on NaN past it, the piece's start hid one (a NaN
        // on its first bars, inside its warm-up, never reached its running sums): the whole
        // runs again in one piece.
        if outs.iter().zip(&seam).any(|(o, s)| o[hi].is_nan() != s[hi - lo].is_nan()) {
            return run(0..n, outs);
        }
        for (o, s) in outs.iter_mut().zip(&seam) {
            o[b..hi].copy_from_slice(&s[b - lo..hi - lo]);
        }
    }
    Ok(())
}

/// [`pieces`] for a running total (AD): each piece is summed from zero beside the others, then
/// the total before it is added to each of its values, which then differ from one core's in
/// the last bits of the total. `run` is as in [`pieces`].
///
/// # Errors
/// As [`pieces`].
pub fn totals<const K: usize, F>(n: usize, mut outs: [&mut [f64]; K], run: F) -> Result<(), IndicatorError>
where
    F: Fn(Range<usize>, [&mut [f64]; K]) -> Result<(), IndicatorError> + Sync,
{
    if n < MIN_SPLIT || rayon::current_num_threads() < 2 {
        return run(0..n, outs);
    }
    let bounds: [usize; PIECES + 1] = std::array::from_fn(|i| i * n / PIECES);
    if in_pieces(&bounds, &mut outs, &run).is_err() {
        return run(0..n, outs);
    }
    for w in bounds[1..].windows(2) {
        let (b, end) = (w[0], w[1]);
        // A total poisoned before this piece: one piece, as without a split.
        if outs.iter().any(|o| !o[b - 1].is_finite()) {
            return run(0..n, outs);
        }
        for o in &mut outs {
            let base = o[b - 1];
            for v in &mut o[b..end] {
                *v += base;
            }
        }
    }
    Ok(())
}

/// Whether a value just before a seam is NaN or infinite.
fn seams_poisoned<const K: usize>(bounds: &[usize], outs: &[&mut [f64]; K]) -> bool {
    bounds[1..bounds.len() - 1].iter().any(|&b| outs.iter().any(|o| !o[b - 1].is_finite()))
}

/// Runs `run` on each piece `bounds[i]..bounds[i + 1]`, into the matching parts of `outs`, on
/// the calling thread and a helper thread at once: each takes the next piece not yet taken, so
/// a helper that starts late takes fewer (none, if it starts after the caller has taken all).
fn in_pieces<const K: usize, F>(bounds: &[usize], outs: &mut [&mut [f64]; K], run: &F) -> Result<(), IndicatorError>
where
    F: Fn(Range<usize>, [&mut [f64]; K]) -> Result<(), IndicatorError> + Sync,
{
    let count = bounds.len() - 1;
    let mut parts: Vec<[&mut [f64]; K]> =
        (0..count).map(|_| std::array::from_fn(|_| <&mut [f64]>::default())).collect();
    for (k, o) in outs.iter_mut().enumerate() {
        let mut rest: &mut [f64] = o;
        for (i, part) in parts.iter_mut().enumerate() {
            let (piece, after) = std::mem::take(&mut rest).split_at_mut(bounds[i + 1] - bounds[i]);
            part[k] = piece;
            rest = after;
        }
    }
    let slots: Vec<Mutex<Option<[&mut [f64]; K]>>> = parts.into_iter().map(|p| Mutex::new(Some(p))).collect();
    let next = AtomicUsize::new(0);
    let failed = AtomicBool::new(false);
    let work = || {
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            let Some(slot) = slots.get(i) else { break };
            let taken = slot.lock().unwrap_or_else(PoisonError::into_inner).take();
            if let Some(piece) = taken {
                if run(bounds[i]..bounds[i + 1], piece).is_err() {
                    failed.store(true, Ordering::Relaxed);
                }
            }
        }
    };
    std::thread::scope(|s| {
        // No thread to be had: the caller takes every piece.
        let helper = std::thread::Builder::new().name("hantu-split".into()).spawn_scoped(s, work);
        work();
        if let Ok(h) = helper {
            if h.join().is_err() {
                failed.store(true, Ordering::Relaxed);
            }
        }
    });
    if failed.load(Ordering::Relaxed) { Err(failed_piece()) } else { Ok(()) }
}

/// What a failed piece reports (the whole is then run in one piece, which gives the error).
fn failed_piece() -> IndicatorError {
    IndicatorError::Param { param: "split", reason: "a piece of the series failed".into() }
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
        two_threads(|| pieces(x.len(), settle, [&mut out], |r, [o]| f(&x[r], o))).unwrap();
        out
    }

    /// Runs `f` on a pool of two threads, so the series splits on any machine.
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
            pieces(x.len(), 14, [&mut out], |r, [o]| {
                crate::indicators::willr_into(&h[r.clone()], &l[r.clone()], &x[r], 14, o)
            })
        });
        assert!(matches!(e, Err(IndicatorError::HighBelowLow { index, .. }) if index == 2 * MIN_SPLIT));
    }

    #[test]
    fn a_running_total_is_summed_in_pieces() {
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
        assert_ne!(got, want, "the pieces really were summed apart");
        let mut poisoned = v.clone();
        poisoned[10] = f64::NAN;
        let ad = |r: Range<usize>, o: &mut [f64]| {
            crate::indicators::ad_into(&h[r.clone()], &l[r.clone()], &x[r.clone()], &poisoned[r], o)
        };
        two_threads(|| totals(x.len(), [&mut got], |r, [o]| ad(r, o))).unwrap();
        assert!(got[10..].iter().all(|v| v.is_nan()));
    }

    #[test]
    fn a_nan_on_a_pieces_first_bar_spreads_as_in_one_run() {
        // The NaN sits on the first bar of a piece: the piece's own run keeps it in its warm-up,
        // the recomputed seam does not.
        let mut x = walk(4 * MIN_SPLIT);
        x[2 * MIN_SPLIT] = f64::NAN;
        let got = split(&x, 30, |x, o| sma_into(x, 30, o));
        assert!(got[2 * MIN_SPLIT..].iter().all(|v| v.is_nan()));
    }

    #[test]
    fn fading_is_generous_and_never_overflows() {
        assert!(fading(29, ema_keep(30), 1) > 700);
        assert!(fading(90, ema_keep(30), 3) > 3000);
        assert_eq!(fading(5, 1.0, 1), usize::MAX);
        assert_eq!(fading(5, f64::NAN, 1), usize::MAX);
    }
}
