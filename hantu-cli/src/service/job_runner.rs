//! Running one job, as the scheduler, `hantu schedule run` and the API's `POST /jobs/{name}/run`
//! all do: take the job's lock file (at most one running instance, whichever process starts it),
//! record the run, check its inputs, run it as a child process in its own process group (stopped
//! with SIGTERM, then SIGKILL, on shutdown or timeout), record how it ended, and tell the
//! notifiers about a failure or a skip (see [`super::job_alerts`]).

use std::fs::{File, OpenOptions};
use std::os::unix::fs::OpenOptionsExt as _;
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use hantu_core::clock::Clock;
use hantu_core::domain::Timestamp;
use hantu_core::notify::Notifier;
use hantu_core::schedule::{JobOutcome, JobRun};
use hantu_core::store::{EventKind, EventRecord, Store};
use rustix::fs::{FlockOperation, flock};
use tokio::io::AsyncReadExt as _;
use tokio_util::sync::CancellationToken;

use super::jobs::{Action, Job};
use super::registry::Registry;
use super::shutdown::Shutdown;
use crate::commands::Ctx;

/// Everything a run needs, shared by the service's tasks.
#[derive(Clone)]
pub struct Runner {
    /// The store.
    pub store: Arc<dyn Store>,
    /// The clock.
    pub clock: Arc<dyn Clock>,
    /// Where the job locks live.
    pub registry: Registry,
    /// `hantu` and its `--config`/`--db` arguments, for child commands.
    pub hantu: (std::path::PathBuf, Vec<std::ffi::OsString>),
    /// How long a job's process gets to exit after SIGTERM before it is killed; shorter than the
    /// service's grace, so the run is recorded before the service's tasks are cancelled.
    pub stop_wait: Duration,
    /// Where failures, skips and learning alerts are told (the configured channels), if anywhere.
    pub notifier: Option<Arc<dyn Notifier>>,
}

/// Holds a job's lock file while it runs.
struct JobLock(#[allow(dead_code, reason = "held for its lock")] File);

fn job_lock(reg: &Registry, job: &str) -> anyhow::Result<Option<JobLock>> {
    let dir = reg.dir().join("jobs");
    std::fs::create_dir_all(&dir)?;
    let f = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .open(dir.join(format!("{job}.lock")))?;
    Ok(flock(&f, FlockOperation::NonBlockingLockExclusive).is_ok().then_some(JobLock(f)))
}

/// A store error as an `anyhow` error.
pub(crate) fn store_err(e: impl std::fmt::Display) -> anyhow::Error {
    anyhow::anyhow!("{e}")
}

/// The last few lines of a child's output, for the run's error.
fn last_lines(bytes: &[u8], n: usize) -> String {
    let text = String::from_utf8_lossy(bytes);
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    lines[lines.len().saturating_sub(n)..].join(" | ")
}

/// A run that has begun: recorded `running`, its lock held until it is finished.
pub struct Begun {
    /// The run's id in the store.
    pub id: i64,
    run: JobRun,
    _lock: JobLock,
}

/// How an attempt to begin a run went.
pub enum Start {
    /// It is recorded as running; finish it with [`Runner::finish`].
    Began(Begun),
    /// It was refused (already running in another process) and recorded so.
    Refused(i64, JobRun),
}

impl Runner {
    /// Runs `job` for fire time `scheduled` (recording it), unless it is already running or its
    /// inputs are missing. Returns the run's id and outcome.
    ///
    /// # Errors
    /// If the store cannot be written.
    pub async fn run_job(
        &self,
        job: &Job,
        scheduled: Timestamp,
        token: CancellationToken,
    ) -> anyhow::Result<(i64, JobRun)> {
        match self.begin(job, scheduled)? {
            Start::Refused(id, run) => Ok((id, run)),
            Start::Began(b) => self.finish(job, b, token).await,
        }
    }

    /// Takes the job's lock and records the run as running; or records it refused when another
    /// process holds the lock (at most one running instance, whoever started it).
    ///
    /// # Errors
    /// If the lock file or the store cannot be written.
    pub fn begin(&self, job: &Job, scheduled: Timestamp) -> anyhow::Result<Start> {
        let name = job.spec.name.clone();
        let mut run = JobRun {
            job: name.clone(),
            scheduled,
            started: Some(self.clock.now()),
            finished: None,
            outcome: JobOutcome::Running,
            error: None,
        };
        let Some(lock) = job_lock(&self.registry, &name)? else {
            run.started = None;
            run.outcome = JobOutcome::Refused;
            run.error = Some("already running (in another process)".into());
            let id = self.store.record_job_run(&run).map_err(store_err)?;
            return Ok(Start::Refused(id, run));
        };
        let id = self.store.record_job_run(&run).map_err(store_err)?;
        Ok(Start::Began(Begun { id, run, _lock: lock }))
    }

    /// Runs a begun job (unless its inputs are missing), records how it ended, and tells people
    /// about a failure or a skip; then forwards the learning alerts not yet delivered.
    ///
    /// # Errors
    /// If the store cannot be written.
    pub async fn finish(&self, job: &Job, begun: Begun, token: CancellationToken) -> anyhow::Result<(i64, JobRun)> {
        let Begun { id, mut run, _lock: lock } = begun;
        let name = job.spec.name.clone();
        let started = run.started.unwrap_or_else(|| self.clock.now());
        let (outcome, error) = match super::jobs::missing_inputs(job.needs, &*self.store, started.kst_date()) {
            Err(e) => (JobOutcome::Failed, Some(format!("checking inputs: {e:#}"))),
            Ok(Some(missing)) => (JobOutcome::Skipped, Some(missing)),
            Ok(None) => self.execute(job, &token).await,
        };
        let now = self.clock.now();
        run.finished = Some(now);
        run.outcome = outcome;
        run.error = error;
        self.store.update_job_run(id, &run).map_err(store_err)?;
        drop(lock);
        if matches!(outcome, JobOutcome::Failed) {
            tracing::warn!(job = %name, error = run.error.as_deref().unwrap_or(""), "Job failed");
            let _ = self.store.record_event(&EventRecord {
                ts: now,
                kind: EventKind::Error,
                source: "scheduler".into(),
                message: format!("job {name} failed: {}", run.error.as_deref().unwrap_or("")),
                detail: serde_json::json!({ "job": name, "run": id, "scheduled": run.scheduled }),
            });
        } else {
            tracing::info!(job = %name, outcome = outcome.as_str(), "Job ended");
        }
        if let Some(n) = &self.notifier {
            super::job_alerts::notify_outcome(&**n, &run, now);
            super::job_alerts::forward_learn_alerts(&self.store, &**n, now);
        }
        Ok((id, run))
    }

    async fn execute(&self, job: &Job, token: &CancellationToken) -> (JobOutcome, Option<String>) {
        let mut cmd = match &job.action {
            Action::Hantu(args) => {
                let mut c = tokio::process::Command::new(&self.hantu.0);
                c.args(&self.hantu.1).args(args);
                c
            }
            Action::Exec(argv) => {
                let Some((prog, rest)) = argv.split_first() else {
                    return (JobOutcome::Failed, Some("exec is empty".into()));
                };
                let mut c = tokio::process::Command::new(prog);
                c.args(rest);
                c
            }
        };
        // Its own process group, so stopping a job stops everything it started.
        cmd.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).kill_on_drop(true).process_group(0);
        let mut child = match cmd.spawn() {
            Ok(c) => c,
            Err(e) => return (JobOutcome::Failed, Some(format!("cannot start {}: {e}", job.action.display()))),
        };
        tracing::info!(job = %job.spec.name, pid = child.id(), command = %job.action.display(), "Job started");
        let group = child.id();
        if let Some(g) = group {
            super::shutdown::track_group(g);
        }
        let mut out = child.stdout.take();
        let mut err = child.stderr.take();
        let read_out = async move {
            let mut b = Vec::new();
            if let Some(o) = out.as_mut() {
                let _ = o.read_to_end(&mut b).await;
            }
            b
        };
        let read_err = async move {
            let mut b = Vec::new();
            if let Some(e) = err.as_mut() {
                let _ = e.read_to_end(&mut b).await;
            }
            b
        };
        let output = tokio::spawn(async move { tokio::join!(read_out, read_err) });
        let timeout = job.timeout.unwrap_or(Duration::from_secs(86_400));
        let (status, cancelled, timed_out) = tokio::select! {
            s = child.wait() => (s.ok(), false, false),
            () = token.cancelled() => {
                // Ask the step to stop as the scheduler was asked; kill it if it does not in time.
                signal_group(child.id(), rustix::process::Signal::TERM);
                match tokio::time::timeout(self.stop_wait, child.wait()).await {
                    Ok(s) => (s.ok(), true, false),
                    Err(_) => {
                        tracing::warn!(job = %job.spec.name, "Job ignored SIGTERM; killing it");
                        signal_group(child.id(), rustix::process::Signal::KILL);
                        let _ = child.kill().await;
                        (None, true, false)
                    }
                }
            }
            () = tokio::time::sleep(timeout) => {
                signal_group(child.id(), rustix::process::Signal::KILL);
                let _ = child.kill().await;
                (None, false, true)
            }
        };
        if let Some(g) = group {
            super::shutdown::untrack_group(g);
        }
        // A grandchild may still hold the pipes; the output is only for the error message.
        let (stdout, stderr) =
            tokio::time::timeout(Duration::from_secs(1), output).await.ok().and_then(Result::ok).unwrap_or_default();
        let tail = if stderr.is_empty() { last_lines(&stdout, 3) } else { last_lines(&stderr, 3) };
        match status {
            _ if timed_out => (JobOutcome::Failed, Some(format!("timed out after {}s", timeout.as_secs()))),
            _ if cancelled => (
                JobOutcome::Cancelled,
                Some(match status {
                    Some(s) => format!("stopped by shutdown ({s})"),
                    None => format!("killed: still running {}s after SIGTERM", self.stop_wait.as_secs_f64()),
                }),
            ),
            Some(s) if s.success() => (JobOutcome::Succeeded, None),
            Some(s) => (JobOutcome::Failed, Some(format!("{s}: {tail}"))),
            None => (JobOutcome::Failed, Some("lost the child process".into())),
        }
    }
}

/// Signals the process group led by `pid` (a job and everything it started).
fn signal_group(pid: Option<u32>, sig: rustix::process::Signal) {
    if let Some(p) = pid.and_then(|p| i32::try_from(p).ok()).and_then(rustix::process::Pid::from_raw) {
        let _ = rustix::process::kill_process_group(p, sig);
    }
}

/// The runner for this configuration.
///
/// # Errors
/// If the store cannot be opened or the hantu binary located.
pub fn runner(ctx: &Ctx, clock: Arc<dyn Clock>) -> anyhow::Result<Runner> {
    let store: Arc<dyn Store> = Arc::new(crate::commands::open_store(ctx)?);
    let exe = std::env::current_exe().context("locating the hantu binary")?;
    let grace = Duration::from_secs(ctx.cfg.config.service.grace_secs);
    Ok(Runner {
        store,
        clock,
        registry: super::registry(&ctx.cfg.config),
        hantu: (exe, super::daemon::child_args(ctx)),
        stop_wait: grace.mul_f64(0.7),
        notifier: None,
    })
}

/// Starts delivery to the configured channels (if any) as `runner`'s notifier, and closes it once
/// `shutdown` is requested and every task on `jobs` has ended (so a job stopped by the shutdown
/// still tells its end).
///
/// # Errors
/// If a channel cannot be built (its secret is missing).
pub fn attach_notifications(
    ctx: &Ctx,
    runner: &mut Runner,
    shutdown: &Shutdown,
    jobs: tokio_util::task::TaskTracker,
) -> anyhow::Result<()> {
    let Some(delivery) = super::notify::start(&ctx.cfg, Arc::clone(&runner.store))? else { return Ok(()) };
    runner.notifier = Some(Arc::clone(&delivery.notifier) as Arc<dyn Notifier>);
    let token = shutdown.token.clone();
    shutdown.tracker.spawn(async move {
        token.cancelled().await;
        jobs.close();
        jobs.wait().await;
        if !delivery.close(Duration::from_secs(3)).await {
            tracing::warn!("Notifications still queued at shutdown were not all delivered");
        }
    });
    Ok(())
}
