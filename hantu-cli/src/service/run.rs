//! Running one service in this process: take its lock and PID file, install the shutdown signal,
//! beat, run it until shutdown, give its tasks the grace, record how it ended, clean up.

use std::time::Duration;

use anyhow::Context as _;

use super::registry::Health;
use super::shutdown::{Ending, Shutdown};
use super::status::StatusHandle;
use super::{Service, registry};
use crate::commands::{Ctx, ExitStatus};

/// Options of a service process.
#[derive(Clone, Debug, Default)]
pub struct RunOpts {
    /// Started by `hantu start` in the background: leave the terminal's session first.
    pub detached: bool,
    /// The scheduler's clock (tests): start at this KST time and run this many times faster.
    pub clock: Option<super::scheduler::ClockSpec>,
}

/// Runs `svc` in this process until SIGTERM/SIGINT (or a fatal error).
///
/// # Errors
/// If another instance runs, or the service fails to start or ends with an error.
pub fn run(svc: Service, ctx: &Ctx, opts: &RunOpts) -> anyhow::Result<ExitStatus> {
    if opts.detached {
        // A new session: no controlling terminal, and a terminal's hang-up does not reach us.
        let _ = rustix::process::setsid();
    }
    let reg = registry(&ctx.cfg.config);
    let held = reg.acquire(svc)?;
    if let Some((p, reason)) = &held.cleaned {
        eprintln!("cleaned a stale PID file of {} (pid {}: {reason})", svc.name(), p.pid);
    }
    let status = StatusHandle::new(reg.clone(), svc, held.pid.pid, held.pid.started_at);
    status.write();
    let grace = Duration::from_secs(ctx.cfg.config.service.grace_secs);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let (result, ending) = rt.block_on(async {
        let forced = status.clone();
        let pid_path = reg.pid_path(svc);
        let shutdown = match Shutdown::install(move || {
            forced.set_health(Health::Failed);
            forced.error("forced to exit by a second signal");
            forced.write();
            let _ = std::fs::remove_file(pid_path);
        }) {
            Ok(s) => s,
            Err(e) => return (Err(anyhow::Error::from(e).context("installing signal handlers")), Ending::Clean),
        };
        shutdown.tracker.spawn(status.clone().beat(shutdown.token.clone()));
        tracing::info!(service = svc.name(), pid = held.pid.pid, "Service started");
        let result = serve(svc, ctx, &shutdown, &status, opts).await;
        if let Err(e) = &result {
            tracing::error!(service = svc.name(), error = %format!("{e:#}"), "Service failed");
            status.error(format!("{e:#}"));
        }
        status.set_health(Health::Stopping);
        status.write();
        let ending = shutdown.finish(grace).await;
        (result, ending)
    });
    rt.shutdown_timeout(Duration::from_secs(1));
    let clean = result.is_ok() && ending == Ending::Clean;
    status.set_health(if clean { Health::Stopped } else { Health::Failed });
    if ending == Ending::Cancelled {
        status.error(format!("tasks did not finish within the {}s grace and were cancelled", grace.as_secs()));
    }
    status.write();
    tracing::info!(service = svc.name(), clean, "Service stopped");
    drop(held);
    result.map(|()| if clean { ExitStatus::Success } else { ExitStatus::Failure })
}

/// The body of each service; returns once `shutdown` is requested.
async fn serve(
    svc: Service,
    ctx: &Ctx,
    shutdown: &Shutdown,
    status: &StatusHandle,
    opts: &RunOpts,
) -> anyhow::Result<()> {
    match svc {
        Service::Sandbox => super::sandbox::serve(ctx, shutdown, status).await,
        Service::Scheduler => super::scheduler::serve(ctx, shutdown, status, opts.clock.clone()).await,
        Service::Trader => super::trader::serve(ctx, shutdown, status).await,
        Service::Api => super::api_service::serve(ctx, shutdown, status).await,
        Service::Bot => super::bot_service::serve(ctx, shutdown, status).await,
    }
}
