//! Clocks. Core code never reads the wall clock directly: it asks a [`Clock`], so a backtest
//! runs on simulated time and a live session on real time, with the same code.

use std::sync::atomic::{AtomicI64, Ordering};

use crate::domain::Timestamp;

/// A source of the current time.
pub trait Clock: Send + Sync {
    /// Now.
    fn now(&self) -> Timestamp;
}

/// A clock that only moves when told to (backtests, tests).
#[derive(Debug, Default)]
pub struct SimClock(AtomicI64);

impl SimClock {
    /// A clock stopped at `ts`.
    #[must_use]
    pub fn new(ts: Timestamp) -> Self {
        Self(AtomicI64::new(ts.millis()))
    }

    /// Moves the clock to `ts`.
    pub fn set(&self, ts: Timestamp) {
        self.0.store(ts.millis(), Ordering::Relaxed);
    }
}

impl Clock for SimClock {
    fn now(&self) -> Timestamp {
        Timestamp::from_millis(self.0.load(Ordering::Relaxed))
    }
}

/// The system clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct LiveClock;

impl Clock for LiveClock {
    #[allow(clippy::disallowed_methods, reason = "the one place that reads the wall clock")]
    fn now(&self) -> Timestamp {
        let ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
        Timestamp::from_millis(ms)
    }
}
