//! One rate limiter per app key, shared by every request of the process.
//!
//! A GCRA pacer: each request reserves the next free slot, `1 / rate` after the previous one,
//! with an optional burst. The core ([`RateLimiter::reserve_at`]) takes the current instant as
//! an argument, so it is tested with made-up instants; [`RateLimiter::acquire`] uses tokio's
//! clock. [`shared`] hands out the process-wide limiter of an app key, so two clients built
//! from the same key never add up to more than the quota.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use crate::env::Environment;

/// Paces requests at a fixed rate.
#[derive(Debug)]
pub struct RateLimiter {
    interval: Duration,
    tolerance: Duration,
    tat: Mutex<Option<Instant>>,
}

impl RateLimiter {
    /// A limiter for `rate_per_sec` requests per second allowing `burst` back-to-back requests.
    /// `rate_per_sec` must be positive and finite; other values are clamped to one per hour.
    #[must_use]
    pub fn new(rate_per_sec: f64, burst: u32) -> Self {
        let rate = if rate_per_sec.is_finite() && rate_per_sec > 0.0 { rate_per_sec } else { 1.0 / 3600.0 };
        let interval = Duration::from_secs_f64(1.0 / rate);
        Self { interval, tolerance: interval * burst.saturating_sub(1), tat: Mutex::new(None) }
    }

    /// The environment's documented quota with the safety margin, no burst.
    #[must_use]
    pub fn for_env(env: Environment) -> Self {
        Self::new(env.client_rate(), 1)
    }

    /// Time between two requests.
    #[must_use]
    pub fn interval(&self) -> Duration {
        self.interval
    }

    /// Reserves a slot for a request wanting to go at `now`; returns how long to wait first.
    pub fn reserve_at(&self, now: Instant) -> Duration {
        let mut tat = self.tat.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let start = tat.map_or(now, |t| t.max(now));
        *tat = Some(start + self.interval);
        (start.checked_sub(self.tolerance).unwrap_or(start)).saturating_duration_since(now)
    }

    /// Pushes the next free slot to at least `now + pause` (after the server said "too many").
    pub fn pause_at(&self, now: Instant, pause: Duration) {
        let mut tat = self.tat.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let until = now + pause;
        *tat = Some(tat.map_or(until, |t| t.max(until)));
    }

    /// Waits for a slot.
    pub async fn acquire(&self) {
        let wait = self.reserve_at(Instant::now());
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
        }
    }

    /// [`RateLimiter::pause_at`] now.
    pub fn pause(&self, pause: Duration) {
        self.pause_at(Instant::now(), pause);
    }
}

type Registry = Mutex<HashMap<(String, Environment), Arc<RateLimiter>>>;

/// The process-wide limiter of the app key with fingerprint `key_fingerprint`; created at
/// `rate_per_sec` on first use (later calls get the existing one whatever rate they pass).
pub fn shared(key_fingerprint: &str, env: Environment, rate_per_sec: f64) -> Arc<RateLimiter> {
    static REGISTRY: OnceLock<Registry> = OnceLock::new();
    let mut map = REGISTRY.get_or_init(Registry::default).lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    map.entry((key_fingerprint.to_owned(), env)).or_insert_with(|| Arc::new(RateLimiter::new(rate_per_sec, 1))).clone()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_spaced_by_the_interval() {
        let l = RateLimiter::new(20.0, 1);
        let t0 = Instant::now();
        let waits: Vec<_> = (0..5).map(|_| l.reserve_at(t0)).collect();
        assert_eq!(waits, (0..5).map(|i| Duration::from_millis(50) * i).collect::<Vec<_>>());
        // Idle time is not banked beyond the burst.
        let later = t0 + Duration::from_secs(10);
        assert_eq!(l.reserve_at(later), Duration::ZERO);
        assert_eq!(l.reserve_at(later), Duration::from_millis(50));
    }

    #[test]
    fn burst_allows_back_to_back_requests() {
        let l = RateLimiter::new(10.0, 3);
        let t0 = Instant::now();
        let waits: Vec<_> = (0..5).map(|_| l.reserve_at(t0)).collect();
        assert_eq!(waits[..3], [Duration::ZERO; 3]);
        assert_eq!(waits[3], Duration::from_millis(100));
        assert_eq!(waits[4], Duration::from_millis(200));
    }

    #[test]
    fn any_window_of_one_second_holds_at_most_the_rate() {
        let l = RateLimiter::for_env(Environment::Real);
        let t0 = Instant::now();
        let sends: Vec<Instant> = (0..200).map(|_| t0 + l.reserve_at(t0)).collect();
        for (i, s) in sends.iter().enumerate() {
            let in_window = sends[i..].iter().take_while(|t| t.duration_since(*s) < Duration::from_secs(1)).count();
            assert!(in_window <= 20, "{in_window} requests within 1 s");
        }
    }

    #[test]
    fn pause_pushes_the_next_slot() {
        let l = RateLimiter::new(20.0, 1);
        let t0 = Instant::now();
        l.pause_at(t0, Duration::from_secs(1));
        assert_eq!(l.reserve_at(t0), Duration::from_secs(1));
    }

    #[test]
    fn shared_limiter_is_one_per_key_and_env() {
        let a = shared("fp-test-shared", Environment::Real, 20.0);
        let b = shared("fp-test-shared", Environment::Real, 5.0);
        let c = shared("fp-test-shared", Environment::Paper, 2.0);
        assert!(Arc::ptr_eq(&a, &b));
        assert!(!Arc::ptr_eq(&a, &c));
    }
}
