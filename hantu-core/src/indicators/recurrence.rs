//! Four-at-a-time evaluation of the first-order recurrences behind EMA, Wilder smoothing and
//! their relatives: `y[i] = a·y[i-1] + c[i]`.
//!
//! Evaluated one bar at a time, every bar waits for the multiply and add of the previous one,
//! so the loop runs at the latency of that chain (about 6 cycles per bar), not at the machine's
//! throughput. Unrolled by four,
//! `y[i+4] = a⁴·y[i] + (a³c[i+1] + a²c[i+2] + a·c[i+3] + c[i+4])`, the chain advances four bars
//! per multiply-add and the other terms are computed off the chain, in parallel.
//!
//! The result differs from the bar-at-a-time value only in the last bits (the recurrences are
//! contracting, `|a| < 1`, so rounding differences do not grow); batch functions that use this
//! agree with their streaming types to 1e-12 relative rather than bit for bit.

/// `a`, `a²`, `a³`, `a⁴` for one recurrence.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Powers {
    a1: f64,
    a2: f64,
    a3: f64,
    a4: f64,
}

impl Powers {
    pub(crate) fn new(a: f64) -> Self {
        let a2 = a * a;
        Self { a1: a, a2, a3: a2 * a, a4: a2 * a2 }
    }

    /// `[y1, y2, y3, y4]` from `y0` and the inputs `c1..c4`.
    #[inline(always)]
    pub(crate) fn step4(&self, y0: f64, c: [f64; 4]) -> [f64; 4] {
        let d2 = self.a1 * c[0] + c[1];
        let d3 = self.a1 * d2 + c[2];
        let d4 = self.a1 * d3 + c[3];
        [self.a1 * y0 + c[0], self.a2 * y0 + d2, self.a3 * y0 + d3, self.a4 * y0 + d4]
    }

    /// One bar: `a·y0 + c`.
    #[inline(always)]
    pub(crate) fn step(&self, y0: f64, c: f64) -> f64 {
        self.a1 * y0 + c
    }
}

/// Runs `y = a·y + c(x)` over `input`, writing every `y` to `out` (same length); returns the
/// last `y`.
#[inline(always)]
pub(crate) fn run(pw: Powers, mut y: f64, input: &[f64], out: &mut [f64], c: impl Fn(f64) -> f64) -> f64 {
    let mut oc = out.chunks_exact_mut(4);
    let mut ic = input.chunks_exact(4);
    for (o, x) in (&mut oc).zip(&mut ic) {
        let ys = pw.step4(y, [c(x[0]), c(x[1]), c(x[2]), c(x[3])]);
        o.copy_from_slice(&ys);
        y = ys[3];
    }
    for (o, &x) in oc.into_remainder().iter_mut().zip(ic.remainder()) {
        y = pw.step(y, c(x));
        *o = y;
    }
    y
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn four_steps_equal_four_single_steps() {
        let p = Powers::new(0.9);
        let c = [1.0, -2.0, 0.5, 3.0];
        let mut y = 10.0;
        let mut want = [0.0; 4];
        for (w, &ci) in want.iter_mut().zip(&c) {
            y = p.step(y, ci);
            *w = y;
        }
        for (got, want) in p.step4(10.0, c).iter().zip(want) {
            assert!((got - want).abs() <= 1e-12 * want.abs());
        }
    }
}
