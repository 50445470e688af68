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
