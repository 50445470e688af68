//! Standard normal deviates by the ziggurat method (Marsaglia and Tsang, 2000; 256 layers).
//!
//! About 99% of draws cost one random word, a table lookup and a multiply; the rest fall back
//! to an exact test or the tail algorithm. The tables are computed once from this module's own
//! `exp`/`ln`, so they, and every draw, are the same bits on every machine.

use std::sync::LazyLock;

use super::math;
use super::rng::SimRng;

/// Start of the tail (x of layer 1).
const R: f64 = 3.654_152_885_361_009;
/// Area of each layer (and of the base strip with the tail).
const V: f64 = 0.004_928_673_233_99;
const LAYERS: usize = 256;

struct Tables {
    /// Right edge of each layer, `x[0] = V / f(R)` (the base strip) down to `x[256] = 0`.
    x: [f64; LAYERS + 1],
    /// `f(x[i])` with `f(x) = exp(-x²/2)`.
    f: [f64; LAYERS + 1],
}

fn pdf(x: f64) -> f64 {
    math::exp(-0.5 * x * x)
}

static TABLES: LazyLock<Tables> = LazyLock::new(|| {
    let mut x = [0.0; LAYERS + 1];
    x[0] = V / pdf(R);
    x[1] = R;
    for i in 2..LAYERS {
        x[i] = (-2.0 * math::ln(V / x[i - 1] + pdf(x[i - 1]))).sqrt();
    }
    x[LAYERS] = 0.0;
    let mut f = [0.0; LAYERS + 1];
    for i in 0..=LAYERS {
        f[i] = pdf(x[i]);
    }
    Tables { x, f }
});

/// One standard normal deviate.
#[inline]
pub(super) fn normal(rng: &mut SimRng) -> f64 {
    let t = &*TABLES;
    loop {
        let bits = rng.next_u64();
        let i = (bits & 0xff) as usize;
        // Symmetric uniform in (-1, 1) from the top 53 bits, which the layer index does not use.
        let u = ((bits >> 11) as f64 + 0.5) * (2.0 / 9_007_199_254_740_992.0) - 1.0;
        let x = u * t.x[i];
        if x.abs() < t.x[i + 1] {
            return x;
        }
        if i == 0 {
            // The tail beyond R (Marsaglia 1964).
            loop {
                let a = math::ln(rng.open01()) / R;
                let b = math::ln(rng.open01());
                if -2.0 * b >= a * a {
                    return if u < 0.0 { a - R } else { R - a };
                }
            }
        }
        if t.f[i + 1] + (t.f[i] - t.f[i + 1]) * rng.open01() < pdf(x) {
            return x;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_close_the_ziggurat() {
        let t = &*TABLES;
        assert!(t.x.windows(2).all(|w| w[0] > w[1]), "edges descend");
        // The top layer must end at (nearly) the peak: that is what R and V were solved for.
        let top = t.x[LAYERS - 1] * (1.0 - pdf(t.x[LAYERS - 1]));
        assert!((top - V).abs() < 1e-9, "{top}");
    }
}
