//! Scheduling on the KRX calendar, pure and clock-injected: triggers (intervals and five-field
//! cron in KST, trading days only, a window of the day), and a scheduler that decides, for an
//! injected `now`, which jobs run, which fire times were coalesced, which misfired beyond their
//! grace, and which were refused because the job was still running. Nothing here sleeps, spawns or
//! reads the wall clock; the runner in the `hantu` binary does, and records every decision as a
//! [`JobRun`] in the store.
//!
//! | type | holds |
//! |---|---|
//! | [`CronExpr`] | a parsed cron expression |
//! | [`Trigger`], [`When`], [`Window`] | when a job fires |
//! | [`JobSpec`] | a job's timing rules: coalesce, max instances, misfire grace, jitter |
//! | [`Scheduler`], [`Decision`] | the state machine and its answers |
//! | [`JobRun`], [`JobOutcome`] | the record of a run |
//!
//! ```
//! use hantu_core::domain::Timestamp;
//! use hantu_core::schedule::{Decision, JobSpec, Scheduler, Trigger, When};
//! let d = chrono::NaiveDate::from_ymd_opt(2025, 7, 25).unwrap();
//! let mut when = When::new(Trigger::Cron("30 8 * * *".parse()?));
//! when.trading_days_only = true;
//! let mut s = Scheduler::new(vec![JobSpec::new("screen", when)], Timestamp::kst(d, 8, 0));
//! assert!(s.poll(Timestamp::kst(d, 8, 29)).is_empty());
//! assert!(matches!(&s.poll(Timestamp::kst(d, 8, 30))[..], [Decision::Run { .. }]));
//! // Saturday and Sunday are skipped: the next run is Monday.
//! assert_eq!(s.next_fire("screen"), Some(Timestamp::kst(d + chrono::Duration::days(3), 8, 30)));
//! # Ok::<(), hantu_core::schedule::ScheduleError>(())
//! ```

mod cron;
mod run;
mod scheduler;
#[cfg(test)]
mod tests;
mod trigger;

pub use cron::CronExpr;
pub use run::{JobOutcome, JobRun};
pub use scheduler::{Decision, JobSpec, Scheduler};
pub use trigger::{Trigger, When, Window};

/// A schedule that cannot be built.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum ScheduleError {
    /// A cron expression that does not parse.
    #[error("cron expression {expr:?}: {message}")]
    Cron {
        /// The expression.
        expr: String,
        /// What is wrong.
        message: String,
    },
    /// A duration such as `10m` that does not parse.
    #[error("duration {0:?}: expected a number with a unit s, m, h or d (e.g. 30s, 10m, 1h)")]
    Duration(String),
    /// A window such as `09:00-15:30` that does not parse.
    #[error("window {0:?}: expected HH:MM-HH:MM (KST), or \"market\"")]
    Window(String),
}

/// Parses `30s`, `10m`, `2h`, `1d` (also `500ms`) into milliseconds.
///
/// # Errors
/// [`ScheduleError::Duration`] if the text is not a positive number with a unit.
pub fn parse_duration_ms(s: &str) -> Result<i64, ScheduleError> {
    let t = s.trim();
    let bad = || ScheduleError::Duration(s.to_owned());
    let split = t.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?;
    let (num, unit) = t.split_at(split);
    let n: i64 = num.parse().map_err(|_| bad())?;
    let mul = match unit.trim() {
        "ms" => 1,
        "s" => 1000,
        "m" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        _ => return Err(bad()),
    };
    n.checked_mul(mul).ok_or_else(bad)
}

/// Parses a window: `HH:MM-HH:MM` (KST), or `market` for the KRX regular session.
///
/// # Errors
/// [`ScheduleError::Window`] if it does not parse or runs backwards.
pub fn parse_window(s: &str) -> Result<Window, ScheduleError> {
    if s.trim().eq_ignore_ascii_case("market") {
        return Ok(Window::Market);
    }
    let bad = || ScheduleError::Window(s.to_owned());
    let (a, b) = s.split_once('-').ok_or_else(bad)?;
    let t = |x: &str| chrono::NaiveTime::parse_from_str(x.trim(), "%H:%M").map_err(|_| bad());
    let (a, b) = (t(a)?, t(b)?);
    if a > b {
        return Err(bad());
    }
    Ok(Window::Hours(a, b))
}
