//! A clock for demos: real time flowing from a chosen start (e.g. 09:30 KST of a trading day),
//! so a sandbox trades "during market hours" whenever it runs.

use std::time::Instant;

use hantu_core::clock::Clock;
use hantu_core::domain::Timestamp;

/// Wall-clock time elapsed since creation, added to a fixed start.
#[derive(Debug)]
pub struct ShiftedClock {
    start: Timestamp,
    origin: Instant,
}

impl ShiftedClock {
    /// A clock reading `start` now and advancing in real time.
    #[must_use]
    pub fn starting_at(start: Timestamp) -> Self {
        Self { start, origin: Instant::now() }
    }
}

impl Clock for ShiftedClock {
    fn now(&self) -> Timestamp {
        let elapsed = i64::try_from(self.origin.elapsed().as_millis()).unwrap_or(i64::MAX);
        Timestamp::from_millis(self.start.millis().saturating_add(elapsed))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn starts_at_the_start_and_never_goes_back() {
        let start = Timestamp::from_millis(1_000_000);
        let c = ShiftedClock::starting_at(start);
        let a = c.now();
        let b = c.now();
        assert!(a >= start && b >= a);
    }
}
