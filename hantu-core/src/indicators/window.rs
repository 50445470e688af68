//! Fixed-capacity windows shared by the streaming types and the windowed-extreme kernels.

/// The last `cap` values, oldest first out.
#[derive(Debug, Clone)]
pub(crate) struct Ring {
    buf: Vec<f64>,
    head: usize,
    len: usize,
}

impl Ring {
    /// An empty ring holding up to `cap` (>= 1) values.
    pub(crate) fn new(cap: usize) -> Self {
        Self { buf: vec![0.0; cap.max(1)], head: 0, len: 0 }
    }

    /// Appends `x`; returns the value that fell out when the ring was already full.
    #[inline(always)]
    pub(crate) fn push(&mut self, x: f64) -> Option<f64> {
        let cap = self.buf.len();
        let old = self.buf[self.head];
        self.buf[self.head] = x;
        self.head += 1;
        if self.head == cap {
            self.head = 0;
        }
        if self.len == cap {
            Some(old)
        } else {
            self.len += 1;
            None
        }
    }

    /// The value pushed `back` updates ago (0 = the latest), if held.
    #[inline]
    pub(crate) fn get_back(&self, back: usize) -> Option<f64> {
        if back >= self.len {
            return None;
        }
        let cap = self.buf.len();
        let idx = if self.head > back { self.head - 1 - back } else { self.head + cap - 1 - back };
        Some(self.buf[idx])
    }

    /// Number of values held.
    #[inline]
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Whether the ring holds `cap` values.
    #[inline]
    pub(crate) fn is_full(&self) -> bool {
        self.len == self.buf.len()
    }

    /// Forgets every value.
    pub(crate) fn clear(&mut self) {
        self.head = 0;
        self.len = 0;
    }
}

/// Sliding-window maximum (or minimum) over the last `window` positions: a monotonic deque
/// in a power-of-two ring, so each position is pushed and popped at most once (O(1) amortised).
///
/// Among equal values the latest position wins, which is what TA-Lib's scans pick
/// (`>=` / `<=`), and matters for AROON. A NaN is never stored: while one is inside the window
/// [`MonoDeque::front`] reports NaN.
#[derive(Debug, Clone)]
pub(crate) struct MonoDeque {
    pos: Vec<usize>,
    val: Vec<f64>,
    mask: usize,
    head: usize,
    tail: usize,
    window: usize,
    nan_until: usize,
    is_max: bool,
}

impl MonoDeque {
    /// A deque for the max (`is_max`) or min over `window` (>= 1) positions.
    pub(crate) fn new(window: usize, is_max: bool) -> Self {
        let window = window.max(1);
        let cap = (window + 1).next_power_of_two();
        Self { pos: vec![0; cap], val: vec![0.0; cap], mask: cap - 1, head: 0, tail: 0, window, nan_until: 0, is_max }
    }

    /// Adds value `x` at position `i` (positions increase by one per call, from 0) and drops
    /// positions that left the window `i + 1 - window ..= i`.
    #[inline(always)]
    pub(crate) fn push(&mut self, i: usize, x: f64) {
        if self.head != self.tail && self.pos[self.head & self.mask] + self.window <= i {
            self.head = self.head.wrapping_add(1);
        }
        if x.is_nan() {
            self.nan_until = i + self.window;
            return;
        }
        if self.is_max {
            while self.head != self.tail && self.val[self.tail.wrapping_sub(1) & self.mask] <= x {
                self.tail = self.tail.wrapping_sub(1);
            }
        } else {
            while self.head != self.tail && self.val[self.tail.wrapping_sub(1) & self.mask] >= x {
                self.tail = self.tail.wrapping_sub(1);
            }
        }
        let slot = self.tail & self.mask;
        self.pos[slot] = i;
        self.val[slot] = x;
        self.tail = self.tail.wrapping_add(1);
    }

    /// Value and position of the extreme of the window ending at position `i` (the last
    /// pushed); NaN when a NaN is in the window.
    #[inline(always)]
    pub(crate) fn front(&self, i: usize) -> (f64, usize) {
        if i < self.nan_until || self.head == self.tail {
            (f64::NAN, i)
        } else {
            let slot = self.head & self.mask;
            (self.val[slot], self.pos[slot])
        }
    }

    /// Forgets every value.
    pub(crate) fn clear(&mut self) {
        self.head = 0;
        self.tail = 0;
        self.nan_until = 0;
    }
}

/// The position of a window's extreme, kept the way TA-Lib's batch loops keep it: compare each
/// new value with the current extreme, and rescan the window only when the extreme leaves it.
/// On varied data a rescan is rare, so a bar costs one comparison; there is no ring to update,
/// which is what makes it faster than a [`MonoDeque`] in batch (O(p) per bar only on a series
/// that moves one way for the whole window, as in TA-Lib).
///
/// Ties go to the latest position, as with [`MonoDeque`]; NaN values are never the extreme
/// (the caller tracks them), so the two agree on every window without a NaN.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ScanExtreme {
    at: usize,
    value: f64,
    is_max: bool,
}

impl ScanExtreme {
    /// A scan for the max (`is_max`) or min, with no extreme yet.
    pub(crate) fn new(is_max: bool) -> Self {
        Self { at: usize::MAX, value: f64::NAN, is_max }
    }

    /// The extreme's position in the window `x[start..=i]`, given the one of the window ending
    /// at `i - 1` (calls go through `i` in order, `start` never decreasing). `usize::MAX` when
    /// the window holds only NaN.
    #[inline(always)]
    pub(crate) fn update(&mut self, x: &[f64], start: usize, i: usize) -> usize {
        let v = x[i];
        if self.at == usize::MAX || self.at < start {
            let (mut best, mut at) = (if self.is_max { f64::NEG_INFINITY } else { f64::INFINITY }, usize::MAX);
            for (k, &y) in x[start..=i].iter().enumerate() {
                if (self.is_max && y >= best) || (!self.is_max && y <= best) {
                    (best, at) = (y, start + k);
                }
            }
            (self.value, self.at) = (best, at);
        } else if (self.is_max && v >= self.value) || (!self.is_max && v <= self.value) {
            (self.value, self.at) = (v, i);
        }
        self.at
    }
}

/// Outputs per segment of [`sliding_extremes`]: the scratch stays in L1/L2.
const SEGMENT: usize = 2048;

/// Calls `f(t, hh, ll)` for consecutive runs of bars `t..t + hh.len()` from `w - 1` to `n`, in
/// order, where `hh[k]` is `max(high[i+1-w..=i])` and `ll[k]` is `min(low[i+1-w..=i])` for bar
/// `i = t + k`: a run at a time, so the caller's loop over it can vectorise too.
///
/// The van Herk / Gil-Werman scheme: split the series into blocks of `w`; inside each block keep
/// running maxima from its start (prefix) and to its end (suffix); the window ending at `i` is
/// then `max(suffix[i+1-w], prefix[i])`. That is three comparisons per bar and per extreme
/// whatever `w` is (O(1) worst case, not only amortised) and none of them is a branch, which is
/// what makes it faster than a monotonic deque in batch. The work goes by segments so the
/// scratch is O(w + 2048) values.
///
/// Returns `(any high < low, any NaN)` over every bar when `n >= w` (and `(false, false)`
/// without looking otherwise): the check rides along instead of costing a pass over memory.
/// With a NaN the extremes are unspecified and the caller must fall back to [`MonoDeque`].
///
/// Windows of up to [`DOUBLING_MAX`] bars go by doubling instead ([`doubled_extremes`]).
#[inline(always)]
pub(crate) fn sliding_extremes(
    high: &[f64],
    low: &[f64],
    w: usize,
    mut f: impl FnMut(usize, &[f64], &[f64]),
) -> (bool, bool) {
    let n = high.len().min(low.len());
    if w == 0 || n < w {
        return (false, false);
    }
    if w <= DOUBLING_MAX {
        return doubled_extremes(&high[..n], &low[..n], w, f);
    }
    let (mut bad, mut nan) = (false, false);
    let cap = SEGMENT.max(w) + w;
    let (mut pmax, mut pmin, mut smax, mut smin) = (vec![0.0; cap], vec![0.0; cap], vec![0.0; cap], vec![0.0; cap]);
    let mut t0 = w - 1;
    while t0 < n {
        let t1 = (t0 + SEGMENT.max(w)).min(n);
        let u0 = t0 + 1 - w;
        let mut p = u0;
        while p < t1 {
            let end = ((p / w + 1) * w).min(t1);
            let (mut mx, mut mn) = (high[p], low[p]);
            for q in p..end {
                let (h, l) = (high[q], low[q]);
                bad |= h < l;
                nan |= h.is_nan() | l.is_nan();
                mx = if h > mx { h } else { mx };
                mn = if l < mn { l } else { mn };
                pmax[q - u0] = mx;
                pmin[q - u0] = mn;
            }
            let (mut mx, mut mn) = (high[end - 1], low[end - 1]);
            for q in (p..end).rev() {
                let (h, l) = (high[q], low[q]);
                mx = if h > mx { h } else { mx };
                mn = if l < mn { l } else { mn };
                smax[q - u0] = mx;
                smin[q - u0] = mn;
            }
            p = end;
        }
        let len = t1 - t0;
        let (pmax, pmin) = (&pmax[w - 1..w - 1 + len], &pmin[w - 1..w - 1 + len]);
        // The suffix maxima are not needed past this segment: the window's extremes go there.
        let (smax, smin) = (&mut smax[..len], &mut smin[..len]);
        for (s, &p) in smax.iter_mut().zip(pmax) {
            *s = if *s > p { *s } else { p };
        }
        for (s, &p) in smin.iter_mut().zip(pmin) {
            *s = if *s < p { *s } else { p };
        }
        f(t0, smax, smin);
        t0 = t1;
    }
    (bad, nan)
}

/// Longest window [`sliding_extremes`] finds by doubling: up to 32 bars that is at most six
/// passes of vector compares (two to four values each), fewer instructions than van Herk's
/// three dependent compares per bar; beyond, van Herk's fixed cost wins.
const DOUBLING_MAX: usize = 32;

/// [`sliding_extremes`] by doubling, a segment at a time: the max of every pair of neighbours,
/// then of every pair of those pairs (windows of 4), and so on while the window fits in `w`;
/// the window of `w` is then two such windows that overlap. Each pass is one loop of
/// independent compares over values in cache, which vectorises; the scan's compares in van
/// Herk's scheme depend on each other.
#[inline(always)]
fn doubled_extremes(high: &[f64], low: &[f64], w: usize, mut f: impl FnMut(usize, &[f64], &[f64])) -> (bool, bool) {
    let n = high.len();
    let (mut bad, mut nan) = (false, false);
    let cap = SEGMENT + w;
    let mut scratch: [Vec<f64>; 4] = std::array::from_fn(|_| vec![0.0; cap]);
    let [hi_a, hi_b, lo_a, lo_b] = &mut scratch;
    let mut t0 = w - 1;
    while t0 < n {
        let t1 = (t0 + SEGMENT).min(n);
        // Windows ending at t0..t1 start at u0..: the segment reads bars u0..t1.
        let u0 = t0 + 1 - w;
        let (h, l) = (&high[u0..t1], &low[u0..t1]);
        for (&h, &l) in h.iter().zip(l) {
            bad |= h < l;
            nan |= h.is_nan() | l.is_nan();
        }
        let hh = doubled::<true>(h, w, hi_a, hi_b);
        let ll = doubled::<false>(l, w, lo_a, lo_b);
        f(t0, hh, ll);
        t0 = t1;
    }
    (bad, nan)
}

/// The max (`MAX`) or min of each window of `w` values of `x`, in order (`x.len() - w + 1` of
/// them), in `a` or `b` (scratch of `x.len()` values at least). With NaN the values are
/// unspecified.
#[inline(always)]
fn doubled<'a, const MAX: bool>(x: &'a [f64], w: usize, a: &'a mut [f64], b: &'a mut [f64]) -> &'a [f64] {
    let pick = |p: f64, q: f64| if (p > q) == MAX { p } else { q };
    let n = x.len();
    if w == 1 {
        return x;
    }
    // Windows of 2.
    for (o, (&p, &q)) in a.iter_mut().zip(x.iter().zip(&x[1..])) {
        *o = pick(p, q);
    }
    let (mut cur, mut next, mut span) = (a, b, 2);
    // `cur[i]` is the extreme of `x[i..i + span]`, for `i` in `0..=n - span`.
    while 2 * span <= w {
        let m = n + 1 - 2 * span;
        for (o, (&p, &q)) in next[..m].iter_mut().zip(cur[..m].iter().zip(&cur[span..span + m])) {
            *o = pick(p, q);
        }
        std::mem::swap(&mut cur, &mut next);
        span *= 2;
    }
    // Two windows of `span` (span <= w < 2 span) cover the window of `w`, overlapping.
    let (m, shift) = (n + 1 - w, w - span);
    for (o, (&p, &q)) in next[..m].iter_mut().zip(cur[..m].iter().zip(&cur[shift..shift + m])) {
        *o = pick(p, q);
    }
    &next[..m]
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn prop_sliding_extremes_match_a_rescan(x in prop::collection::vec(-50i32..50, 1..5000), w in 1usize..70) {
            let high: Vec<f64> = x.iter().map(|&v| f64::from(v)).collect();
            let low: Vec<f64> = high.iter().map(|v| v - 3.0).collect();
            let mut got = Vec::new();
            sliding_extremes(&high, &low, w, |t, hh, ll| {
                got.extend(hh.iter().zip(ll).enumerate().map(|(k, (&hh, &ll))| (t + k, hh, ll)));
            });
            let mut deque_hi = MonoDeque::new(w, true);
            let mut deque_lo = MonoDeque::new(w, false);
            let mut want = Vec::new();
            for i in 0..high.len() {
                deque_hi.push(i, high[i]);
                deque_lo.push(i, low[i]);
                if i + 1 >= w {
                    let hh = high[i + 1 - w..=i].iter().copied().fold(f64::MIN, f64::max);
                    let ll = low[i + 1 - w..=i].iter().copied().fold(f64::MAX, f64::min);
                    prop_assert_eq!(deque_hi.front(i).0, hh);
                    prop_assert_eq!(deque_lo.front(i).0, ll);
                    want.push((i, hh, ll));
                }
            }
            prop_assert_eq!(got, want);
        }
    }
}
