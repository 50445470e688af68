//! A circuit breaker: after `threshold` consecutive transient failures it opens and every call
//! fails fast for `cooldown`; then one probe is let through, whose outcome closes or reopens it.

use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Breaker settings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BreakerConfig {
    /// Consecutive transient failures that open the circuit.
    pub threshold: u32,
    /// How long it stays open before a probe.
    pub cooldown: Duration,
}

impl Default for BreakerConfig {
    fn default() -> Self {
        Self { threshold: 8, cooldown: Duration::from_secs(10) }
    }
}

#[derive(Debug, Default)]
struct State {
    failures: u32,
    open_until: Option<Instant>,
    probing: bool,
}

/// The breaker. Methods take the current instant so tests control time.
#[derive(Debug)]
pub struct CircuitBreaker {
    config: BreakerConfig,
    state: Mutex<State>,
}

impl CircuitBreaker {
    /// A closed breaker.
    #[must_use]
    pub fn new(config: BreakerConfig) -> Self {
        Self { config, state: Mutex::new(State::default()) }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Whether a call may go now.
    ///
    /// # Errors
    /// The time left until a probe is allowed, while open (or while a probe is in flight).
    pub fn check_at(&self, now: Instant) -> Result<(), Duration> {
        let mut s = self.lock();
        match s.open_until {
            None => Ok(()),
            Some(until) if now < until => Err(until - now),
            Some(_) if s.probing => Err(self.config.cooldown),
            Some(_) => {
                s.probing = true;
                Ok(())
            }
        }
    }

    /// Records a success: closes the circuit.
    pub fn success(&self) {
        *self.lock() = State::default();
    }

    /// Records a transient failure at `now`.
    pub fn failure_at(&self, now: Instant) {
        let mut s = self.lock();
        s.failures += 1;
        if s.probing || s.failures >= self.config.threshold {
            if s.open_until.is_none() || s.probing {
                tracing::warn!(failures = s.failures, cooldown = ?self.config.cooldown, "KIS circuit opened");
            }
            s.open_until = Some(now + self.config.cooldown);
            s.probing = false;
        }
    }

    /// Records an outcome that says nothing about the server's health (a business rejection):
    /// ends a probe without changing the failure count.
    pub fn neutral(&self) {
        let mut s = self.lock();
        if s.probing {
            *s = State::default();
        }
    }

    /// Whether the circuit is open at `now`.
    #[must_use]
    pub fn is_open_at(&self, now: Instant) -> bool {
        self.lock().open_until.is_some_and(|u| now < u)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opens_after_threshold_then_probes() {
        let b = CircuitBreaker::new(BreakerConfig { threshold: 3, cooldown: Duration::from_secs(5) });
        let t0 = Instant::now();
        for _ in 0..2 {
            b.failure_at(t0);
        }
        assert!(b.check_at(t0).is_ok());
        b.failure_at(t0);
        assert_eq!(b.check_at(t0 + Duration::from_secs(1)), Err(Duration::from_secs(4)));
        let later = t0 + Duration::from_secs(6);
        assert!(b.check_at(later).is_ok(), "one probe");
        assert!(b.check_at(later).is_err(), "only one probe at a time");
        b.failure_at(later);
        assert!(b.is_open_at(later + Duration::from_secs(4)));
        let again = later + Duration::from_secs(6);
        assert!(b.check_at(again).is_ok());
        b.success();
        assert!(b.check_at(again).is_ok() && b.check_at(again).is_ok());
    }

    #[test]
    fn success_resets_the_count() {
        let b = CircuitBreaker::new(BreakerConfig { threshold: 2, cooldown: Duration::from_secs(5) });
        let t0 = Instant::now();
        b.failure_at(t0);
        b.success();
        b.failure_at(t0);
        assert!(!b.is_open_at(t0));
    }
}
