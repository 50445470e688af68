//! The scheduler service: asks `hantu_core::schedule::Scheduler` what is due, runs each due job
//! ([`super::job_runner`]) as a child process on the shutdown's task tracker, and records every decision (runs, misfires,
//! refusals, skips) in the store's `job_runs`. A job holds a lock file while it runs, so a manual
//! `hantu schedule run` and the service never run the same job at once.
//!
//! On shutdown, running jobs get SIGTERM and the grace to finish; each is recorded as it ended
//! (`cancelled` if it was stopped). A run left `running` by a scheduler that was killed is marked
//! interrupted at the next start.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use hantu_core::clock::{Clock, LiveClock};
use hantu_core::domain::Timestamp;
use hantu_core::schedule::{Decision, JobOutcome, JobRun, Scheduler};
use hantu_core::store::Store;

use super::job_runner::store_err;
use super::job_runner::{attach_notifications, runner};
use super::registry::Health;
use super::shutdown::Shutdown;
use super::status::StatusHandle;
use crate::commands::Ctx;

/// A clock for tests and demos: starts at `start` (KST) and runs `speed` times faster than real time.
#[derive(Clone, Debug)]
pub struct ClockSpec {
    /// Where it starts.
    pub start: Timestamp,
    /// How much faster than real time.
    pub speed: f64,
}

/// The clock of a [`ClockSpec`].
#[derive(Debug)]
pub struct ScaledClock {
    start: Timestamp,
    speed: f64,
    origin: Instant,
}

impl ScaledClock {
    /// Starts now.
    pub fn new(spec: &ClockSpec) -> Self {
        Self { start: spec.start, speed: spec.speed.max(0.001), origin: Instant::now() }
    }
}

impl Clock for ScaledClock {
    fn now(&self) -> Timestamp {
        let ms = self.origin.elapsed().as_secs_f64() * 1000.0 * self.speed;
        Timestamp::from_millis(self.start.millis() + ms as i64)
    }
}

/// Marks runs left `running` by a scheduler that died as interrupted.
fn close_interrupted(store: &dyn Store, now: Timestamp) -> anyhow::Result<usize> {
    let mut n = 0;
    for (id, mut run) in store.job_runs(None, 500).map_err(store_err)? {
        if run.outcome == JobOutcome::Running {
            run.outcome = JobOutcome::Cancelled;
            run.finished = Some(now);
            run.error = Some("interrupted: the process running it died".into());
            store.update_job_run(id, &run).map_err(store_err)?;
            n += 1;
        }
    }
    Ok(n)
}

/// The scheduler service.
///
/// # Errors
/// If the jobs are misconfigured or the store cannot be opened.
pub async fn serve(
    ctx: &Ctx,
    shutdown: &Shutdown,
    status: &StatusHandle,
    clock: Option<ClockSpec>,
) -> anyhow::Result<()> {
    let jobs = super::jobs::load(&ctx.cfg)?;
    let speed = clock.as_ref().map_or(1.0, |c| c.speed.max(0.001));
    let clock: Arc<dyn Clock> = match &clock {
        Some(spec) => Arc::new(ScaledClock::new(spec)),
        None => Arc::new(LiveClock),
    };
    let mut runner = runner(ctx, clock.clone())?;
    // Jobs run on their own tracker too, so delivery closes only after the last one has told its end.
    let job_tasks = tokio_util::task::TaskTracker::new();
    attach_notifications(ctx, &mut runner, shutdown, job_tasks.clone())?;
    let interrupted = close_interrupted(&*runner.store, clock.now())?;
    if interrupted > 0 {
        tracing::warn!(runs = interrupted, "Marked runs of a previous scheduler as interrupted");
    }
    let sched = Arc::new(Mutex::new(Scheduler::new(jobs.iter().map(|j| j.spec.clone()).collect(), clock.now())));
    let lock = |s: &Arc<Mutex<Scheduler>>| -> Vec<(String, Option<Timestamp>)> {
        let g = s.lock().unwrap_or_else(PoisonError::into_inner);
        g.specs().map(|j| (j.name.clone(), g.next_fire(&j.name))).collect()
    };
    status.detail("jobs", serde_json::json!(jobs.len()));
    status.set_health(Health::Ok);
    status.write();
    tracing::info!(jobs = jobs.len(), "Scheduler running");
    loop {
        let now = clock.now();
        let decisions = sched.lock().unwrap_or_else(PoisonError::into_inner).poll(now);
        for d in decisions {
            match d {
                Decision::Run { job, scheduled, coalesced } => {
                    let Some(j) = jobs.iter().find(|x| x.spec.name == job).cloned() else { continue };
                    if coalesced > 0 {
                        tracing::info!(job = %job, coalesced, "Coalesced missed fire times into one run");
                    }
                    let (r, s, t, st) = (runner.clone(), sched.clone(), shutdown.token.clone(), status.clone());
                    shutdown.tracker.spawn(job_tasks.track_future(async move {
                        if let Err(e) = r.run_job(&j, scheduled, t).await {
                            st.error(format!("job {}: {e:#}", j.spec.name));
                        }
                        s.lock().unwrap_or_else(PoisonError::into_inner).finished(&j.spec.name);
                    }));
                }
                Decision::Misfired { job, scheduled, count } => {
                    let grace = jobs.iter().find(|x| x.spec.name == job).map_or(0, |j| j.spec.misfire_grace_ms);
                    let late = (now.millis() - scheduled.millis()) / 1000;
                    let run = JobRun {
                        job: job.clone(),
                        scheduled,
                        started: None,
                        finished: None,
                        outcome: JobOutcome::Misfired,
                        error: Some(format!(
                            "{count} fire time(s) missed; the latest by {late}s, beyond the {}s grace",
                            grace / 1000
                        )),
                    };
                    tracing::warn!(job = %job, %scheduled, count, "Misfired");
                    runner.store.record_job_run(&run).map_err(store_err)?;
                }
                Decision::Refused { job, scheduled } => {
                    let run = JobRun {
                        job: job.clone(),
                        scheduled,
                        started: None,
                        finished: None,
                        outcome: JobOutcome::Refused,
                        error: Some("the previous run is still going (max instances reached)".into()),
                    };
                    tracing::warn!(job = %job, %scheduled, "Refused: still running");
                    runner.store.record_job_run(&run).map_err(store_err)?;
                }
            }
        }
        let next: Vec<_> = lock(&sched);
        if let Some((name, at)) = next.iter().filter_map(|(n, t)| t.map(|t| (n, t))).min_by_key(|(_, t)| *t) {
            status.detail("next", serde_json::json!({ "job": name, "at": at.to_string() }));
        }
        // Sleep until the next fire time, at most a second of real time (the clock may be scaled).
        let wake = sched.lock().unwrap_or_else(PoisonError::into_inner).wake_at();
        let real_ms = wake.map_or(1000.0, |w| ((w.millis() - now.millis()).max(0) as f64 / speed).min(1000.0));
        tokio::select! {
            () = shutdown.token.cancelled() => break,
            () = tokio::time::sleep(Duration::from_millis(real_ms.max(5.0) as u64)) => {}
        }
    }
    tracing::info!(running = shutdown.tracker.len(), "Scheduler stopping; waiting for running jobs");
    Ok(())
}
