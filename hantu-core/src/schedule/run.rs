//! The record of one job run, as kept in the store (`job_runs`): every fire time the scheduler
//! decided about, run or not, with when it started and ended and how it went.

use serde::{Deserialize, Serialize};

use crate::domain::Timestamp;

/// How a run ended (or that it has not yet).
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum JobOutcome {
    /// Started, not yet ended (or the process died mid-run: a crash leaves this for `history`).
    Running,
    /// Ended well.
    Succeeded,
    /// Ended with an error (kept in `error`).
    Failed,
    /// Not run: its inputs were missing or the step is not available (the reason is in `error`).
    Skipped,
    /// Not run: its fire time passed beyond the misfire grace.
    Misfired,
    /// Not run: the job was already running at its instance limit.
    Refused,
    /// Stopped by shutdown before it ended.
    Cancelled,
}

impl JobOutcome {
    /// The stored name.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            JobOutcome::Running => "running",
            JobOutcome::Succeeded => "succeeded",
            JobOutcome::Failed => "failed",
            JobOutcome::Skipped => "skipped",
            JobOutcome::Misfired => "misfired",
            JobOutcome::Refused => "refused",
            JobOutcome::Cancelled => "cancelled",
        }
    }

    /// Parses [`JobOutcome::as_str`].
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "running" => JobOutcome::Running,
            "succeeded" => JobOutcome::Succeeded,
            "failed" => JobOutcome::Failed,
            "skipped" => JobOutcome::Skipped,
            "misfired" => JobOutcome::Misfired,
            "refused" => JobOutcome::Refused,
            "cancelled" => JobOutcome::Cancelled,
            _ => return None,
        })
    }
}

/// One run (or decided non-run) of a job.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct JobRun {
    /// Job name.
    pub job: String,
    /// The fire time it stands for (the request time for a manual run).
    pub scheduled: Timestamp,
    /// When it started (`None` if it never did).
    pub started: Option<Timestamp>,
    /// When it ended.
    pub finished: Option<Timestamp>,
    /// How it went.
    pub outcome: JobOutcome,
    /// The error or the reason it did not run.
    pub error: Option<String>,
}
