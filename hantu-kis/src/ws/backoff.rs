//! Reconnect delays: exponential with jitter, so many clients dropped at once do not return at once.

use std::time::Duration;

/// Exponential backoff with "equal jitter": attempt `n` waits between `(1 - jitter)` and 1 times
/// `min(max, initial × factor^n)`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Backoff {
    /// Delay before the first retry.
    pub initial: Duration,
    /// Longest delay.
    pub max: Duration,
    /// Growth per attempt (≥ 1).
    pub factor: f64,
    /// Share of the delay that is random, `0..=1`.
    pub jitter: f64,
}

impl Default for Backoff {
    /// 0.5 s doubling to 30 s, half of it random.
    fn default() -> Self {
        Self { initial: Duration::from_millis(500), max: Duration::from_secs(30), factor: 2.0, jitter: 0.5 }
    }
}

impl Backoff {
    /// The delay before retry `attempt` (0 = the first retry), with `unit` a uniform draw in `0..1`.
    #[must_use]
    pub fn delay(&self, attempt: u32, unit: f64) -> Duration {
        let cap = self.max.as_secs_f64();
        let base = (self.initial.as_secs_f64() * self.factor.max(1.0).powi(attempt.min(64) as i32)).min(cap);
        let jitter = self.jitter.clamp(0.0, 1.0) * unit.clamp(0.0, 1.0);
        Duration::from_secs_f64((base * (1.0 - jitter)).max(0.0))
    }

    /// [`delay`](Self::delay) with a fresh random draw.
    #[must_use]
    pub fn next_delay(&self, attempt: u32) -> Duration {
        self.delay(attempt, fastrand::f64())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_grow_to_the_cap_and_jitter_stays_within_bounds() {
        let b = Backoff::default();
        assert_eq!(b.delay(0, 0.0), Duration::from_millis(500));
        assert_eq!(b.delay(1, 0.0), Duration::from_secs(1));
        assert_eq!(b.delay(3, 0.0), Duration::from_secs(4));
        assert_eq!(b.delay(20, 0.0), Duration::from_secs(30));
        assert_eq!(b.delay(u32::MAX, 0.0), Duration::from_secs(30));
        assert_eq!(b.delay(1, 1.0), Duration::from_millis(500));
        for attempt in 0..10 {
            let d = b.next_delay(attempt);
            let full = b.delay(attempt, 0.0);
            assert!(d <= full && d >= full / 2, "{d:?} vs {full:?}");
        }
    }
}
