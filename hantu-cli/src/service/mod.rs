//! Services: long-running entry points of the `hantu` binary, each its own process, started
//! detached (`hantu start NAME` re-executes `hantu start NAME --foreground` in a new session with
//! its output in the service's log) or in the foreground (systemd, containers).
//!
//! | module | holds |
//! |---|---|
//! | [`api`] | the HTTP API, its metrics and dashboard |
//! | [`api_service`] | the HTTP API as a service (`hantu start api`) |
//! | [`bot_service`] | the Telegram control bot as a service (`hantu start bot`) |
//! | [`registry`] | lock, PID file (0600, atomic), state file (heartbeat, health, last error), stale detection |
//! | [`shutdown`] | one shutdown signal per process, tracked tasks, bounded grace, a second signal forces |
//! | [`run`] | running one service in this process: lock, logs, heartbeat, shutdown |
//! | [`health`] | dependency checks for `hantu health` and `/health`: the KIS WebSocket, the notifiers |
//! | [`daemon`] | starting a service detached and waiting until it is up; stopping one and waiting for the exit |
//! | [`sandbox`] | the local KIS server as a service, its state persisted across restarts |
//! | [`scheduler`] | the job runner over `hantu_core::schedule` |
//! | [`supervise`] | a service whose work is another `hantu` command, run as its child |
//! | [`trader`] | the trader (`hantu trade start`) as a service, on paper against the sandbox without credentials |
//! | [`jobs`] | the configured jobs and the default day plan |
//! | [`job_runner`] | running one job: its lock, its record, its child process, its notifications |
//! | [`job_alerts`] | what the scheduler tells people: failed and skipped steps, learning alerts |
//! | [`logs`] | the services' JSON log files: writing (daily rotation, retention) and reading (merge, filter) |
//! | [`notify`] | notification transports (Telegram, Slack, SMTP, console), the delivery queue, the Telegram control bot |

pub mod api;
pub mod api_service;
pub mod bot_service;
pub mod daemon;
pub mod health;
pub mod job_alerts;
pub mod job_runner;
pub mod jobs;
pub mod logs;
pub mod notify;
pub mod registry;
pub mod run;
pub mod sandbox;
pub mod scheduler;
pub mod shutdown;
pub mod status;
pub mod supervise;
pub mod trader;

use std::path::PathBuf;

use crate::config::Config;

/// A service: a named long-running entry point of `hantu`. Adding one is one variant here and one
/// arm in [`run::serve`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, clap::ValueEnum)]
pub enum Service {
    /// The local KIS server (REST) on a fixed port with its state persisted.
    Sandbox,
    /// The job scheduler on the KRX calendar.
    Scheduler,
    /// The trader (`hantu trade start`), for the session.
    Trader,
    /// The HTTP API, metrics and dashboard (needs `HANTU_API_KEYS`).
    Api,
    /// The Telegram control bot (needs `HANTU_TELEGRAM_TOKEN` and `notify.bot.allowed_chat_ids`).
    Bot,
}

impl Service {
    /// Every service, in start order (stop goes in reverse).
    pub const ALL: &'static [Service] =
        &[Service::Sandbox, Service::Scheduler, Service::Trader, Service::Api, Service::Bot];

    /// Its name (`sandbox`, `scheduler`).
    pub const fn name(self) -> &'static str {
        match self {
            Service::Sandbox => "sandbox",
            Service::Scheduler => "scheduler",
            Service::Trader => "trader",
            Service::Api => "api",
            Service::Bot => "bot",
        }
    }

    /// Parses [`Service::name`].
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|x| x.name() == s)
    }
}

/// Which services a command acts on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Target {
    /// The local KIS server.
    Sandbox,
    /// The job scheduler.
    Scheduler,
    /// The trader.
    Trader,
    /// The HTTP API.
    Api,
    /// The Telegram control bot.
    Bot,
    /// Every service (the API only when `HANTU_API_KEYS` is set, the bot only when it has a token
    /// and an allowlist).
    All,
}

impl Target {
    /// The services, in start order.
    pub fn services(self) -> Vec<Service> {
        match self {
            Target::Sandbox => vec![Service::Sandbox],
            Target::Scheduler => vec![Service::Scheduler],
            Target::Trader => vec![Service::Trader],
            Target::Api => vec![Service::Api],
            Target::Bot => vec![Service::Bot],
            Target::All => Service::ALL.to_vec(),
        }
    }
}

/// The registry directory: `service.dir`, else `~/.hantu/services`, else `data.dir/services`.
pub fn service_dir(cfg: &Config) -> PathBuf {
    if let Some(d) = &cfg.service.dir {
        return d.clone();
    }
    match std::env::var_os("HOME").filter(|h| !h.is_empty()) {
        Some(home) => PathBuf::from(home).join(".hantu").join("services"),
        None => cfg.data.dir.join("services"),
    }
}

/// The registry of this configuration.
pub fn registry(cfg: &Config) -> registry::Registry {
    registry::Registry::new(service_dir(cfg))
}
