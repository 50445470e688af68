//! The generator's random numbers: xoshiro256** seeded through SplitMix64.
//!
//! Both algorithms are fixed here (Blackman and Vigna, public domain reference code), so the
//! stream for a seed never changes with a dependency upgrade. Every consumer derives its own
//! stream from `(seed, purpose, index...)`, which keeps results independent of thread count and
//! evaluation order.

use super::{math, ziggurat};

const GOLDEN: u64 = 0x9e37_79b9_7f4a_7c15;

/// One SplitMix64 step: a strong 64-bit mixer.
fn splitmix(state: &mut u64) -> u64 {
    *state = state.wrapping_add(GOLDEN);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// What a stream is for; part of its key so that streams never overlap by accident.
#[derive(Clone, Copy, Debug)]
#[repr(u64)]
pub(super) enum Purpose {
    /// Market and sector factors.
    Factors = 1,
    /// A stock's static attributes (market, sector, style, start price...).
    Profile = 2,
    /// A stock's daily path.
    Daily = 3,
    /// A stock's fundamentals.
    Fundamentals = 4,
    /// One stock-day of minute bars.
    Minute = 5,
    /// Company names, drawn in listing order.
    Names = 6,
}

/// xoshiro256**.
#[derive(Clone, Debug)]
pub(super) struct SimRng {
    s: [u64; 4],
}

impl SimRng {
    /// The stream keyed by `seed`, `purpose` and `keys`.
    pub(super) fn stream(seed: u64, purpose: Purpose, keys: &[u64]) -> Self {
        let mut h = seed ^ (purpose as u64).wrapping_mul(GOLDEN);
        let mut mix = splitmix(&mut h);
        for &k in keys {
            let mut t = mix ^ k.wrapping_mul(0xd605_bbb5_8c8a_bd63);
            mix = splitmix(&mut t) ^ splitmix(&mut h);
        }
        let mut st = mix;
        let s = [splitmix(&mut st), splitmix(&mut st), splitmix(&mut st), splitmix(&mut st)];
        Self { s }
    }

    /// The next 64 random bits.
    #[inline]
    pub(super) fn next_u64(&mut self) -> u64 {
        let result = self.s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = self.s[1] << 17;
        self.s[2] ^= self.s[0];
        self.s[3] ^= self.s[1];
        self.s[1] ^= self.s[2];
        self.s[0] ^= self.s[3];
        self.s[2] ^= t;
        self.s[3] = self.s[3].rotate_left(45);
        result
    }

    /// Uniform in `[0, 1)`, 53 bits.
    #[inline]
    pub(super) fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / 9_007_199_254_740_992.0)
    }

    /// Uniform in `[lo, hi)`.
    #[inline]
    pub(super) fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.uniform()
    }

    /// Uniform integer in `0..n` (`n > 0`), by Lemire's multiply-shift (bias below 2^-40 for our `n`).
    #[inline]
    pub(super) fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// `true` with probability `p`.
    #[inline]
    pub(super) fn chance(&mut self, p: f64) -> bool {
        self.uniform() < p
    }

    /// Uniform in `(0, 1)`, never 0 (for logarithms).
    #[inline]
    pub(super) fn open01(&mut self) -> f64 {
        ((self.next_u64() >> 11) as f64 + 0.5) * (1.0 / 9_007_199_254_740_992.0)
    }

    /// A standard normal deviate (256-layer ziggurat).
    #[inline]
    pub(super) fn normal(&mut self) -> f64 {
        ziggurat::normal(self)
    }

    /// `exp(mu + sigma × N(0,1))`.
    #[inline]
    pub(super) fn log_normal(&mut self, median: f64, sigma: f64) -> f64 {
        median * math::exp(sigma * self.normal())
    }

    /// An index drawn with the given non-negative integer weights (at least one positive).
    pub(super) fn weighted(&mut self, weights: impl Iterator<Item = u32> + Clone) -> usize {
        let total: u64 = weights.clone().map(u64::from).sum();
        let mut pick = self.below(total.max(1));
        let mut last = 0;
        for (i, w) in weights.enumerate() {
            if w == 0 {
                continue;
            }
            last = i;
            if pick < u64::from(w) {
                return i;
            }
            pick -= u64::from(w);
        }
        last
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_are_reproducible_and_distinct() {
        let a: Vec<u64> = (0..4).map(|_| SimRng::stream(7, Purpose::Daily, &[3]).next_u64()).collect();
        assert!(a.windows(2).all(|w| w[0] == w[1]));
        let mut seen = std::collections::BTreeSet::new();
        for purpose in
            [Purpose::Factors, Purpose::Profile, Purpose::Daily, Purpose::Fundamentals, Purpose::Minute, Purpose::Names]
        {
            for seed in 0..3 {
                for k in 0..50 {
                    assert!(seen.insert(SimRng::stream(seed, purpose, &[k]).next_u64()));
                }
            }
        }
        assert_ne!(
            SimRng::stream(1, Purpose::Minute, &[1, 2]).next_u64(),
            SimRng::stream(1, Purpose::Minute, &[2, 1]).next_u64()
        );
    }

    #[test]
    fn algorithms_match_the_reference_vectors() {
        let mut sm = 1_234_567u64;
        assert_eq!([splitmix(&mut sm), splitmix(&mut sm)], [6_457_827_717_110_365_317, 3_203_168_211_198_807_973]);
        let mut x = SimRng { s: [1, 2, 3, 4] };
        let got = [x.next_u64(), x.next_u64(), x.next_u64(), x.next_u64()];
        assert_eq!(got, [11_520, 0, 1_509_978_240, 1_215_971_899_390_074_240]);
    }

    #[test]
    fn normal_moments_and_tails_are_right() {
        let mut r = SimRng::stream(42, Purpose::Daily, &[0]);
        let n = 1_000_000;
        let (mut s1, mut s2, mut s4, mut beyond2, mut beyond3, mut beyond4) = (0.0, 0.0, 0.0, 0, 0, 0);
        for _ in 0..n {
            let z = r.normal();
            s1 += z;
            s2 += z * z;
            s4 += z * z * z * z;
            beyond2 += usize::from(z.abs() > 2.0);
            beyond3 += usize::from(z.abs() > 3.0);
            beyond4 += usize::from(z.abs() > 4.0);
        }
        let (m, v, k) = (s1 / n as f64, s2 / n as f64, s4 / n as f64);
        assert!(m.abs() < 0.005 && (v - 1.0).abs() < 0.005 && (k - 3.0).abs() < 0.03, "{m} {v} {k}");
        // Two-sided normal tail masses: 4.550%, 0.270%, 0.00633%.
        let share = |c: usize| c as f64 / n as f64;
        assert!((share(beyond2) - 0.045_50).abs() < 0.001, "{beyond2}");
        assert!((share(beyond3) - 0.002_70).abs() < 0.000_2, "{beyond3}");
        assert!((20..110).contains(&beyond4), "{beyond4}");
    }

    #[test]
    fn below_and_weighted_stay_in_range() {
        let mut r = SimRng::stream(1, Purpose::Profile, &[9]);
        let mut counts = [0u32; 4];
        for _ in 0..40_000 {
            assert!(r.below(10) < 10);
            counts[r.weighted([1u32, 0, 3, 0].into_iter())] += 1;
        }
        assert_eq!(counts[1] + counts[3], 0);
        let share = f64::from(counts[2]) / 40_000.0;
        assert!((share - 0.75).abs() < 0.01, "{share}");
    }
}
