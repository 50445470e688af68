//! `hantu api serve`: the HTTP API, metrics and dashboard in the foreground.

use std::io::Write as _;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use anyhow::Context as _;
use clap::{Args, Subcommand};

use super::{Ctx, ExitStatus};
use crate::service::api::{ApiConfig, ApiServer, KeyRing};

/// The HTTP API.
#[derive(Debug, Subcommand)]
pub enum ApiCommand {
    /// Serve the API, /metrics and the dashboard until Ctrl-C or SIGTERM
    Serve(ServeArgs),
}

/// Where to listen.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to bind [default: api.addr, 127.0.0.1]
    #[arg(long)]
    pub addr: Option<IpAddr>,
    /// Port (0: any free port) [default: api.port, 8787]
    #[arg(long)]
    pub port: Option<u16>,
}

/// The API's configuration from `[api]`, `HANTU_API_KEYS` and the command line.
///
/// # Errors
/// When `HANTU_API_KEYS` is missing or malformed.
pub fn api_config(ctx: &Ctx, addr: Option<IpAddr>, port: Option<u16>) -> anyhow::Result<ApiConfig> {
    let c = &ctx.cfg.config.api;
    let keys = ctx.cfg.secret("HANTU_API_KEYS")?;
    let keys = KeyRing::parse(keys.expose()).context("HANTU_API_KEYS")?;
    let ip: IpAddr = match addr {
        Some(a) => a,
        None => c.addr.parse().with_context(|| format!("api.addr {:?}", c.addr))?,
    };
    Ok(ApiConfig {
        addr: SocketAddr::new(ip, port.unwrap_or(c.port)),
        keys,
        rate_per_minute: c.rate_per_minute,
        burst: c.burst,
        log_dir: ctx.cfg.config.log.file.then(|| crate::logging::log_dir(&ctx.cfg.config)),
    })
}

/// Runs `hantu api …`.
pub fn run(cmd: &ApiCommand, ctx: &Ctx) -> anyhow::Result<ExitStatus> {
    let ApiCommand::Serve(a) = cmd;
    let config = api_config(ctx, a.addr, a.port)?;
    tracing::info!(keys = config.keys.len(), "API keys loaded");
    let store: Arc<dyn hantu_core::store::Store> = Arc::new(super::open_store(ctx)?);
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().context("starting the runtime")?;
    rt.block_on(async {
        // Jobs run through `POST /jobs/{name}/run` are asked to stop, and waited for, on exit.
        let shutdown = crate::service::shutdown::Shutdown {
            token: tokio_util::sync::CancellationToken::new(),
            tracker: tokio_util::task::TaskTracker::new(),
        };
        let jobs = crate::service::api::jobs::job_control(ctx, &shutdown)?;
        let probes = crate::service::health::Probes::new(ctx).await?;
        let server = ApiServer::bind(config, store).await?.with_jobs(jobs).with_probes(probes);
        let addr = server.local_addr()?;
        if ctx.out.json {
            // One line, so a supervisor or a test can read the address as soon as it is printed.
            writeln!(std::io::stdout(), "{}", serde_json::json!({ "listening": format!("http://{addr}") }))?;
        } else {
            ctx.out.line(format!("hantu API listening on http://{addr} (dashboard at /, OpenAPI at /openapi.json)"))?;
        }
        std::io::stdout().flush()?;
        let served = server.serve(shutdown_signal()).await;
        shutdown.token.cancel();
        shutdown.tracker.close();
        let grace = std::time::Duration::from_secs(ctx.cfg.config.service.grace_secs);
        if tokio::time::timeout(grace, shutdown.tracker.wait()).await.is_err() {
            tracing::warn!("Jobs started through the API did not finish within the grace");
        }
        served
    })?;
    Ok(ExitStatus::Success)
}

/// Completes on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
}
