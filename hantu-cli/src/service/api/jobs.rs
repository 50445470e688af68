//! `POST /jobs/{name}/run`: runs a configured job now, exactly as `hantu schedule run NAME` does —
//! the same job lock (at most one running instance, whoever started it: the scheduler, the CLI or
//! the API), the same record in the store's job runs (so `GET /jobs` shows it), the same
//! notifications of a failure or a skip. It answers as soon as the run is recorded: 202 with the
//! run's id; 409 when the job is already running; 404 for a job that is not configured.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::{Extension, Json};
use serde::Serialize;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use utoipa::ToSchema;

use super::AppState;
use super::error::ApiError;
use super::guard::Caller;
use super::read::now;
use super::views::iso;
use crate::service::job_runner::{Runner, Start};
use crate::service::jobs::Job;

/// The configured jobs and how to run them, when the API was started with a configuration.
#[derive(Clone)]
pub struct JobControl {
    /// The configured jobs (the default day plan and `[[schedule.jobs]]`).
    pub jobs: Arc<Vec<Job>>,
    /// Runs them, as the scheduler does.
    pub runner: Runner,
    /// Cancelled when the API shuts down: a job it started is asked to stop and recorded so.
    pub token: CancellationToken,
    /// The process's tasks (waited for, with a grace, at shutdown).
    pub tracker: TaskTracker,
    /// The runs in flight (delivery of their notifications closes after them).
    pub runs: TaskTracker,
}

/// The answer to a run request.
#[derive(Serialize, ToSchema)]
pub struct JobStarted {
    /// The job.
    pub name: String,
    /// The run's id in the store (`GET /jobs` lists it).
    pub id: i64,
    /// When it started.
    pub started: String,
    /// `running`.
    pub outcome: String,
}

/// Run a job now, as `hantu schedule run NAME` does; 202 once it is recorded as running.
#[utoipa::path(post, path = "/jobs/{name}/run", tag = "control",
    params(("name" = String, Path, description = "job name")),
    responses((status = 202, body = JobStarted), (status = 404, body = super::error::ErrorBody),
        (status = 409, body = super::error::ErrorBody), (status = 501, body = super::error::ErrorBody)))]
pub async fn run_job(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    Path(name): Path<String>,
) -> Result<(StatusCode, Json<JobStarted>), ApiError> {
    let Some(ctl) = state.jobs.clone() else {
        return Err(ApiError::new(
            StatusCode::NOT_IMPLEMENTED,
            "not_implemented",
            format!("cannot run job {name:?}: this API was started without the scheduler's configuration"),
        ));
    };
    let Some(job) = ctl.jobs.iter().find(|j| j.spec.name == name).cloned() else {
        let known: Vec<&str> = ctl.jobs.iter().map(|j| j.spec.name.as_str()).collect();
        return Err(ApiError::not_found(format!("no job named {name:?}; configured: {}", known.join(", "))));
    };
    let (runner, j) = (ctl.runner.clone(), job.clone());
    let start = tokio::task::spawn_blocking(move || runner.begin(&j, now()))
        .await
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", format!("job task failed: {e}")))?
        .map_err(|e| {
            tracing::error!(job = %name, error = %format!("{e:#}"), "Could not start a job");
            ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "could not record the run")
        })?;
    match start {
        Start::Refused(id, _) => Err(ApiError::new(
            StatusCode::CONFLICT,
            "already_running",
            format!("job {name:?} is already running; the refusal is recorded as run {id}"),
        )),
        Start::Began(begun) => {
            let id = begun.id;
            let started = now();
            tracing::info!(job = %name, run = id, by = %caller.name, "Job started through the API");
            let (runner, token) = (ctl.runner.clone(), ctl.token.clone());
            ctl.tracker.spawn(ctl.runs.track_future(async move {
                if let Err(e) = runner.finish(&job, begun, token).await {
                    tracing::error!(job = %job.spec.name, error = %format!("{e:#}"), "Could not record a job's end");
                }
            }));
            Ok((StatusCode::ACCEPTED, Json(JobStarted { name, id, started: iso(started), outcome: "running".into() })))
        }
    }
}

/// The jobs of this configuration for the API: run on `shutdown`'s tasks (a shutdown asks a job
/// in flight to stop and records it), failures and skips told through the configured channels.
///
/// # Errors
/// If the jobs are misconfigured, the store cannot be opened, or a channel's secret is missing.
pub fn job_control(
    ctx: &crate::commands::Ctx,
    shutdown: &crate::service::shutdown::Shutdown,
) -> anyhow::Result<JobControl> {
    let jobs = crate::service::jobs::load(&ctx.cfg)?;
    let mut runner = crate::service::job_runner::runner(ctx, Arc::new(hantu_core::clock::LiveClock))?;
    let runs = TaskTracker::new();
    crate::service::job_runner::attach_notifications(ctx, &mut runner, shutdown, runs.clone())?;
    Ok(JobControl {
        jobs: Arc::new(jobs),
        runner,
        token: shutdown.token.clone(),
        tracker: shutdown.tracker.clone(),
        runs,
    })
}
