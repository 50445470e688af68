//! Bounded retries with jittered exponential backoff, for reads only.

use std::cell::Cell;
use std::time::Duration;

/// How often and how patiently reads are retried.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in total (1 = no retry).
    pub max_attempts: u32,
    /// Backoff before the second attempt.
    pub base: Duration,
    /// Upper bound of one backoff.
    pub max: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self { max_attempts: 4, base: Duration::from_millis(100), max: Duration::from_secs(2) }
    }
}

impl RetryPolicy {
    /// No retries.
    #[must_use]
    pub const fn none() -> Self {
        Self { max_attempts: 1, base: Duration::ZERO, max: Duration::ZERO }
    }

    /// Backoff after failed attempt number `attempt` (1-based): uniformly drawn from
    /// `[cap / 2, cap]` with `cap = min(max, base * 2^(attempt-1))` ("equal jitter").
    #[must_use]
    pub fn backoff(&self, attempt: u32) -> Duration {
        let exp = self.base.saturating_mul(1u32 << attempt.saturating_sub(1).min(16));
        let cap = exp.min(self.max);
        let half = cap / 2;
        half + half.mul_f64(jitter())
    }
}

thread_local! {
    static RNG: Cell<u64> = Cell::new({
        use std::hash::{BuildHasher, Hasher};
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u64(0x9e37_79b9_7f4a_7c15);
        h.finish() | 1
    });
}

/// A number in `[0, 1)` from a per-thread xorshift generator (jitter only; not for secrets).
fn jitter() -> f64 {
    RNG.with(|c| {
        let mut x = c.get();
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        c.set(x);
        (x >> 11) as f64 / (1u64 << 53) as f64
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_within_bounds() {
        let p = RetryPolicy { max_attempts: 5, base: Duration::from_millis(100), max: Duration::from_millis(500) };
        for _ in 0..100 {
            let b1 = p.backoff(1);
            assert!(b1 >= Duration::from_millis(50) && b1 <= Duration::from_millis(100), "{b1:?}");
            let b3 = p.backoff(3);
            assert!(b3 >= Duration::from_millis(200) && b3 <= Duration::from_millis(400), "{b3:?}");
            let b9 = p.backoff(9);
            assert!(b9 >= Duration::from_millis(250) && b9 <= Duration::from_millis(500), "{b9:?}");
        }
    }
}
