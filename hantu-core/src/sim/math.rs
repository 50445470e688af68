//! `exp` and `ln` built from `+ − × ÷` only.
//!
//! The platform's `f64::exp`/`f64::ln` come from the system maths library and may differ in the
//! last bit between glibc, musl, macOS and Windows. The generator must be bit-identical on every
//! machine, so it uses these instead: IEEE 754 guarantees correctly rounded basic operations and
//! `sqrt`, and Rust never fuses a multiply-add on its own. Accuracy is within a few ulp, far below
//! anything the tick grid can see.

// ln 2 split as in fdlibm: the high part has 32 trailing zero bits, so `k × LN2_HI` is exact.
const LN2_HI: f64 = f64::from_bits(0x3fe6_2e42_fee0_0000);
const LN2_LO: f64 = f64::from_bits(0x3dea_39ef_3579_3c76);
const LN2: f64 = std::f64::consts::LN_2;
const LOG2_E: f64 = std::f64::consts::LOG2_E;

/// `e^x`, clamped to `[-700, 700]` (the generator never needs more).
pub(super) fn exp(x: f64) -> f64 {
    if x.is_nan() {
        return x;
    }
    let x = x.clamp(-700.0, 700.0);
    let k = round(x * LOG2_E) as f64;
    // Cody–Waite reduction keeps r exact enough that |r| <= ln2/2 carries no cancellation error.
    let r = (x - k * LN2_HI) - k * LN2_LO;
    // Taylor series to r^13: the next term is below 2^-60 for |r| <= 0.35.
    let mut p = 1.0 / 6_227_020_800.0;
    for d in
        [479_001_600.0, 39_916_800.0, 3_628_800.0, 362_880.0, 40_320.0, 5_040.0, 720.0, 120.0, 24.0, 6.0, 2.0, 1.0, 1.0]
    {
        p = p * r + 1.0 / d;
    }
    p * pow2(k as i32)
}

/// `ln x` for positive finite `x`; NaN for `x <= 0` or NaN.
pub(super) fn ln(x: f64) -> f64 {
    if x.is_nan() || x <= 0.0 {
        return f64::NAN;
    }
    if x.is_infinite() {
        return x;
    }
    let (mut x, mut e) = (x, 0i32);
    if x < f64::MIN_POSITIVE {
        x *= 18_014_398_509_481_984.0; // 2^54, lifts subnormals into the normal range
        e -= 54;
    }
    let bits = x.to_bits();
    e += ((bits >> 52) & 0x7ff) as i32 - 1023;
    let mut m = f64::from_bits((bits & 0x000f_ffff_ffff_ffff) | 0x3ff0_0000_0000_0000);
    if m > std::f64::consts::SQRT_2 {
        m *= 0.5;
        e += 1;
    }
    // ln m = 2 atanh(s), s = (m-1)/(m+1), |s| <= 0.172: the series to s^25 is exact to 1e-19.
    let s = (m - 1.0) / (m + 1.0);
    let s2 = s * s;
    let mut p = 1.0 / 25.0;
    for d in [23.0, 21.0, 19.0, 17.0, 15.0, 13.0, 11.0, 9.0, 7.0, 5.0, 3.0, 1.0] {
        p = p * s2 + 1.0 / d;
    }
    f64::from(e) * LN2 + 2.0 * s * p
}

/// Nearest integer (halves away from zero), saturating; NaN gives 0. A plain conversion
/// instead of `f64::round`, which is a library call on x86-64 CPUs without SSE4.1 and was a
/// tenth of the generator's time. (Just below a half, `v + 0.5` may round up to the next
/// integer where `f64::round` would not; both are deterministic.)
#[inline]
pub(super) fn round(v: f64) -> i64 {
    if v >= 0.0 { (v + 0.5) as i64 } else { (v - 0.5) as i64 }
}

/// `2^k`, exactly; `k` stays within `-1010..=1010` because [`exp`] clamps its argument.
fn pow2(k: i32) -> f64 {
    f64::from_bits(((k.clamp(-1022, 1023) + 1023) as u64) << 52)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rel(a: f64, b: f64) -> f64 {
        ((a - b) / b).abs()
    }

    #[test]
    fn exp_matches_the_platform_closely() {
        let mut x: f64 = -50.0;
        while x < 50.0 {
            assert!(rel(exp(x), x.exp()) < 4e-16, "exp({x}) = {} vs {}", exp(x), x.exp());
            x += 0.013_7;
        }
        assert_eq!(exp(0.0), 1.0);
        assert!(rel(exp(-700.0), (-700.0f64).exp()) < 1e-15);
        assert!(exp(f64::NAN).is_nan());
    }

    #[test]
    fn ln_matches_the_platform_closely() {
        let mut x: f64 = 1e-300;
        while x < 1e300 {
            let want = x.ln();
            assert!((ln(x) - want).abs() <= 4e-16 * want.abs().max(1.0), "ln({x}) = {} vs {want}", ln(x));
            x *= 1.37;
        }
        assert_eq!(ln(1.0), 0.0);
        assert!((ln(5e-324) - 5e-324f64.ln()).abs() < 1e-12);
        assert!(ln(0.0).is_nan() && ln(-1.0).is_nan());
    }
}
