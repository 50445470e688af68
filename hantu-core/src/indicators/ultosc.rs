//! Ultimate oscillator (TA-Lib `ULTOSC`).
//!
//! Buying pressure `bp = close - min(low, prev close)`, true range `tr`; over three windows
//! `avg_k = Σbp / Σtr`; `ULTOSC = 100·(4·avg_1 + 2·avg_2 + avg_3) / 7` (a window whose `Σtr` is
//! within 1e-8 of zero contributes 0).
//!
//! - **Parameters**: three periods ≥ 1 (TA-Lib's defaults 7, 14, 28); sorted ascending first,
//!   as TA-Lib does, so the weight 4 always goes to the shortest.
//! - **Warm-up**: the longest period, in bars of NaN.
//! - **Complexity**: O(1) per bar (running sums), O(longest period) memory for streaming, none
//!   for batch. One division per bar: the three ratios are summed over a common denominator
//!   (TA-Lib divides four times); the values agree with TA-Lib's to the last few bits.
//!
//! ```
//! # fn main() -> Result<(), hantu_core::indicators::IndicatorError> {
//! let h = [10.0, 11.0, 12.0];
//! let out = hantu_core::indicators::ultosc(&h, &[9.0, 10.0, 11.0], &h, 1, 1, 2)?;
//! assert_eq!(out[2], 100.0); // every close at the high
//! # Ok(()) }
//! ```

use super::IndicatorError;
use super::trange::true_range;
use super::util::{check_fits, check_hlc_lengths, check_out, check_period, fill_warmup, high_below_low, is_zero};
use super::window::Ring;

/// Number of leading NaN outputs of [`ultosc`].
#[must_use]
pub fn ultosc_lookback(period1: usize, period2: usize, period3: usize) -> usize {
    period1.max(period2).max(period3)
}

/// TA-Lib `ULTOSC` over a whole series: one output per bar, NaN in the warm-up (see the module
/// docs and [`UltOsc`]).
///
/// # Errors
/// The parameter errors of [`UltOsc::new`]; [`IndicatorError::PeriodTooLong`] when the longest
/// period exceeds the input; [`IndicatorError::LengthMismatch`] or
/// [`IndicatorError::HighBelowLow`] for inconsistent bars.
#[doc(alias = "ULTOSC")]
pub fn ultosc(
    high: &[f64],
    low: &[f64],
    close: &[f64],
    period1: usize,
    period2: usize,
    period3: usize,
) -> Result<Vec<f64>, IndicatorError> {
    let mut out = vec![0.0; close.len()];
    ultosc_into(high, low, close, period1, period2, period3, &mut out)?;
    Ok(out)
}

/// [`ultosc`] into `out` (one slot per bar).
///
/// Does the streaming type's arithmetic in its order, so the two agree bit for bit; allocates
/// two scratch rows of `longest period + 64` values.
///
/// # Errors
/// As [`ultosc`], plus [`IndicatorError::OutputLength`] when `out` has the wrong length.
#[doc(alias = "ULTOSC")]
pub fn ultosc_into(
    high: &[f64],
    low: &[f64],
    close: &[f64],
    period1: usize,
    period2: usize,
    period3: usize,
    out: &mut [f64],
) -> Result<(), IndicatorError> {
    let periods = UltOsc::new(period1, period2, period3)?.periods;
    let n = close.len();
    check_hlc_lengths(high, low, close)?;
    let longest = periods[2];
    check_fits("period", longest, n)?;
    check_out("out", out.len(), n)?;
    let (high, low, close) = (&high[..n], &low[..n], &close[..n]);
    let bp = |j: usize| close[j] - true_low(low[j], close[j - 1]);
    let tr = |j: usize| true_range(high[j], low[j], close[j - 1]);
    let mut sums = [(0.0, 0.0); 3];
    fill_warmup(out, longest.min(n));
    // `high >= low` is checked as the bars are read, which saves a pass over memory.
    let mut bad = high[0] < low[0];
    // The warm-up, where a window may not be full yet.
    for i in 1..n.min(longest + 1) {
        let (b, t) = (bp(i), tr(i));
        bad |= high[i] < low[i];
        for (k, &p) in periods.iter().enumerate() {
            let (sb, st) = &mut sums[k];
            if i > p {
                *sb += b - bp(i - p);
                *st += t - tr(i - p);
            } else {
                *sb += b;
                *st += t;
            }
        }
        if i == longest {
            out[i] = combine(sums);
        }
    }
    // The rest in blocks of bars, in three loops: the block's buying pressures and true ranges
    // (no carried value: vectorised), the running sums (each depends on the one before, so bar
    // by bar, but only adds), and the outputs (vectorised, so the division — the costly part —
    // runs two bars at a time). `hb`/`ht` hold the block's values after the `longest` before
    // them, which the windows drop.
    let mut i = longest + 1;
    if i >= n {
        return if bad { Err(high_below_low(high, low)) } else { Ok(()) };
    }
    let mut hb = vec![0.0; longest + BLOCK];
    let mut ht = vec![0.0; longest + BLOCK];
    for s in 0..longest {
        (hb[s], ht[s]) = (bp(i - longest + s), tr(i - longest + s));
    }
    let mut block = [[0.0; BLOCK]; 6];
    while i < n {
        let len = BLOCK.min(n - i);
        for j in 0..len {
            (hb[longest + j], ht[longest + j]) = (bp(i + j), tr(i + j));
            bad |= high[i + j] < low[i + j];
        }
        for j in 0..len {
            let (b, t) = (hb[longest + j], ht[longest + j]);
            for (k, &p) in periods.iter().enumerate() {
                let (sb, st) = &mut sums[k];
                *sb += b - hb[longest + j - p];
                *st += t - ht[longest + j - p];
                block[2 * k][j] = *sb;
                block[2 * k + 1][j] = *st;
            }
        }
        let [b1, t1, b2, t2, b3, t3] = &block;
        let o = &mut out[i..i + len];
        let mut odd = false;
        for j in 0..len {
            let (v, fast) = common_denominator([(b1[j], t1[j]), (b2[j], t2[j]), (b3[j], t3[j])]);
            o[j] = v;
            odd |= !fast;
        }
        if odd {
            for j in 0..len {
                o[j] = combine([(b1[j], t1[j]), (b2[j], t2[j]), (b3[j], t3[j])]);
            }
        }
        hb.copy_within(len..len + longest, 0);
        ht.copy_within(len..len + longest, 0);
        i += len;
    }
    if bad { Err(high_below_low(high, low)) } else { Ok(()) }
}

/// Bars whose outputs are formed together (see [`ultosc_into`]).
const BLOCK: usize = 64;

/// The lower of the bar's low and the previous close: where buying pressure is measured from.
#[inline(always)]
fn true_low(low: f64, prev_close: f64) -> f64 {
    if low < prev_close { low } else { prev_close }
}

/// `100·(4·b1/t1 + 2·b2/t2 + b3/t3) / 7` from the three windows' (Σbp, Σtr), shortest first.
///
/// Written over one common denominator — one division per bar instead of TA-Lib's four, which
/// bound its speed — and so equal to TA-Lib's value to the last few bits. A window whose `Σtr`
/// is within 1e-8 of zero contributes 0, as in TA-Lib; then (and if the product of the three
/// sums is not a normal number) the terms are taken one by one.
#[inline(always)]
fn combine(sums: [(f64, f64); 3]) -> f64 {
    let (v, fast) = common_denominator(sums);
    if fast {
        return v;
    }
    let mut total = 0.0;
    for (w, (b, t)) in [4.0, 2.0, 1.0].into_iter().zip(sums) {
        if !is_zero(t) {
            total += w * (b / t);
        }
    }
    100.0 * (total / 7.0)
}

/// The oscillator over one common denominator, and whether that form applies (no window's
/// `Σtr` within 1e-8 of zero, and a normal product of the three); written without branches.
#[inline(always)]
fn common_denominator(sums: [(f64, f64); 3]) -> (f64, bool) {
    let [(b1, t1), (b2, t2), (b3, t3)] = sums;
    let d = t1 * t2 * t3;
    let fast = (d.abs() >= f64::MIN_POSITIVE) & (d.abs() < f64::INFINITY) & !is_zero(t1) & !is_zero(t2) & !is_zero(t3);
    ((4.0 * b1 * (t2 * t3) + 2.0 * b2 * (t1 * t3) + b3 * (t1 * t2)) * (100.0 / 7.0) / d, fast)
}

/// Streaming [`ultosc`].
#[doc(alias = "ULTOSC")]
#[derive(Debug, Clone)]
pub struct UltOsc {
    periods: [usize; 3],
    bp: Ring,
    tr: Ring,
    sums: [(f64, f64); 3],
    prev_close: Option<f64>,
}

impl UltOsc {
    /// An ultimate oscillator over three periods.
    ///
    /// # Errors
    /// [`IndicatorError::PeriodTooSmall`] for a zero period.
    pub fn new(period1: usize, period2: usize, period3: usize) -> Result<Self, IndicatorError> {
        check_period("period1", period1, 1)?;
        check_period("period2", period2, 1)?;
        check_period("period3", period3, 1)?;
        let mut periods = [period1, period2, period3];
        periods.sort_unstable();
        let longest = periods[2];
        Ok(Self {
            periods,
            bp: Ring::new(longest + 1),
            tr: Ring::new(longest + 1),
            sums: [(0.0, 0.0); 3],
            prev_close: None,
        })
    }

    /// Feeds one bar; NaN until the longest period has full windows.
    #[inline]
    pub fn next(&mut self, high: f64, low: f64, close: f64) -> f64 {
        let Some(pc) = self.prev_close.replace(close) else { return f64::NAN };
        let (bp, tr) = (close - true_low(low, pc), true_range(high, low, pc));
        self.bp.push(bp);
        self.tr.push(tr);
        let held = self.bp.len();
        for (k, &p) in self.periods.iter().enumerate() {
            let (sb, st) = &mut self.sums[k];
            // Past `p` bars, the value `p` bars back leaves this window: one add of the
            // difference (as batch does), so each sum's chain is one add long per bar.
            match (held > p).then(|| (self.bp.get_back(p), self.tr.get_back(p))) {
                Some((Some(ob), Some(ot))) => {
                    *sb += bp - ob;
                    *st += tr - ot;
                }
                _ => {
                    *sb += bp;
                    *st += tr;
                }
            }
        }
        if held < self.periods[2] {
            return f64::NAN;
        }
        combine(self.sums)
    }

    /// Forgets all bars.
    pub fn reset(&mut self) {
        self.bp.clear();
        self.tr.clear();
        self.sums = [(0.0, 0.0); 3];
        self.prev_close = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::indicators::testing::{assert_same, assert_warmup, bars};
    use proptest::prelude::*;

    #[test]
    fn series_about_as_long_as_the_longest_period() {
        // The warm-up ends on the last bar, or one or two before it: the edges of the blocks.
        let c: Vec<f64> = (0..40).map(|i| 1000.0 + f64::from(i % 7) * 10.0).collect();
        let (h, l): (Vec<f64>, Vec<f64>) = c.iter().map(|v| (v + 5.0, v - 5.0)).unzip();
        for n in [28, 29, 30, 40] {
            let out = ultosc(&h[..n], &l[..n], &c[..n], 7, 14, 28).unwrap();
            let mut s = UltOsc::new(7, 14, 28).unwrap();
            assert_same(&out, &(0..n).map(|i| s.next(h[i], l[i], c[i])).collect::<Vec<_>>());
        }
    }

    proptest! {
        #[test]
        fn prop_streaming_matches_batch((h, l, c, _v) in bars(), a in 1usize..8, b in 1usize..15, d in 1usize..30) {
            prop_assume!(a.max(b).max(d) <= h.len());
            let out = ultosc(&h, &l, &c, a, b, d).unwrap();
            assert_warmup(&out, ultosc_lookback(a, b, d).min(h.len()));
            prop_assert!(out.iter().skip(a.max(b).max(d)).all(|x| (-1e-9..=100.0 + 1e-9).contains(x)));
            let mut s = UltOsc::new(a, b, d).unwrap();
            s.next(2.0, 1.0, 1.5);
            s.reset();
            assert_same(&out, &(0..h.len()).map(|i| s.next(h[i], l[i], c[i])).collect::<Vec<_>>());
        }
    }
}
