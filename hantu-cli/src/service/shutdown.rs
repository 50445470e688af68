//! One shutdown signal per process. SIGTERM or SIGINT cancels one [`CancellationToken`] that every
//! task watches; the tasks were spawned on one [`TaskTracker`], so the service can wait for all of
//! them, for a bounded grace, before it returns (and the runtime, dropped, cancels what is left).
//! A second signal does not wait: it kills the process groups of running jobs, runs the `on_force`
//! hook (which records the forced end and removes the PID file) and exits at once.

use std::time::Duration;

use tokio::signal::unix::{SignalKind, signal};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// Process groups this process started (scheduler jobs), killed on a forced exit so none outlives it.
static CHILD_GROUPS: std::sync::Mutex<Vec<u32>> = std::sync::Mutex::new(Vec::new());

/// Remembers the process group led by `pid` until [`untrack_group`].
pub fn track_group(pid: u32) {
    CHILD_GROUPS.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push(pid);
}

/// Forgets the process group led by `pid`.
pub fn untrack_group(pid: u32) {
    CHILD_GROUPS.lock().unwrap_or_else(std::sync::PoisonError::into_inner).retain(|p| *p != pid);
}

/// SIGKILLs every tracked process group.
fn kill_groups() {
    for pid in CHILD_GROUPS.lock().unwrap_or_else(std::sync::PoisonError::into_inner).drain(..) {
        if let Some(p) = i32::try_from(pid).ok().and_then(rustix::process::Pid::from_raw) {
            let _ = rustix::process::kill_process_group(p, rustix::process::Signal::KILL);
        }
    }
}

/// The exit code of a forced shutdown (128 + SIGTERM, as a shell reports a process killed by it).
pub const FORCED_EXIT: i32 = 143;

/// The process's shutdown signal and its tasks.
#[derive(Clone, Debug)]
pub struct Shutdown {
    /// Cancelled when the process should stop.
    pub token: CancellationToken,
    /// Every task of the service.
    pub tracker: TaskTracker,
}

/// How the tasks ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ending {
    /// Every task finished within the grace.
    Clean,
    /// Some did not; they were cancelled.
    Cancelled,
}

impl Shutdown {
    /// Listens for SIGTERM and SIGINT on the current runtime. `on_force` runs on the second
    /// signal, just before the process exits with [`FORCED_EXIT`].
    ///
    /// # Errors
    /// If the signal handlers cannot be installed.
    pub fn install(on_force: impl FnOnce() + Send + 'static) -> std::io::Result<Self> {
        let token = CancellationToken::new();
        let mut term = signal(SignalKind::terminate())?;
        let mut int = signal(SignalKind::interrupt())?;
        let t = token.clone();
        tokio::spawn(async move {
            tokio::select! {
                _ = term.recv() => tracing::info!(signal = "SIGTERM", "Shutting down"),
                _ = int.recv() => tracing::info!(signal = "SIGINT", "Shutting down"),
            }
            t.cancel();
            tokio::select! {
                _ = term.recv() => {}
                _ = int.recv() => {}
            }
            tracing::warn!("Second signal: exiting now without waiting for tasks");
            kill_groups();
            on_force();
            std::process::exit(FORCED_EXIT);
        });
        Ok(Self { token, tracker: TaskTracker::new() })
    }

    /// Asks every task to stop, then waits up to `grace` for them.
    pub async fn finish(&self, grace: Duration) -> Ending {
        self.token.cancel();
        self.tracker.close();
        match tokio::time::timeout(grace, self.tracker.wait()).await {
            Ok(()) => Ending::Clean,
            Err(_) => {
                tracing::warn!(
                    grace_s = grace.as_secs_f64(),
                    tasks = self.tracker.len(),
                    "Tasks did not finish within the grace; cancelling them"
                );
                Ending::Cancelled
            }
        }
    }
}
