//! `hantu start | stop | restart | status`: the services.

use std::time::Duration;

use anyhow::bail;
use clap::Args;
use hantu_core::clock::{Clock as _, LiveClock};
use hantu_core::domain::Timestamp;
use serde_json::json;

use super::{Ctx, ExitStatus};
use crate::service::registry::{Presence, Registry};
use crate::service::run::RunOpts;
use crate::service::scheduler::ClockSpec;
use crate::service::status::STALE_AFTER;
use crate::service::{Service, Target, daemon, registry};

/// `hantu start`.
#[derive(Debug, Args)]
pub struct StartArgs {
    /// Which service [default: all]
    #[arg(value_enum)]
    pub service: Option<Target>,
    /// Run in this process, logging to stderr too, until SIGTERM/SIGINT (for systemd and containers)
    #[arg(long)]
    pub foreground: bool,
    /// Started by `hantu start` in the background (internal)
    #[arg(long, hide = true)]
    pub detached: bool,
    /// Scheduler clock start, KST `YYYY-MM-DDTHH:MM:SS` (tests and demos)
    #[arg(long, hide = true, value_name = "KST")]
    pub clock_start: Option<chrono::NaiveDateTime>,
    /// Scheduler clock speed, times real time (tests and demos)
    #[arg(long, hide = true, default_value_t = 1.0)]
    pub clock_speed: f64,
}

/// `hantu stop`.
#[derive(Debug, Args)]
pub struct StopArgs {
    /// Which service [default: all]
    #[arg(value_enum)]
    pub service: Option<Target>,
    /// Seconds to wait for a clean exit before forcing [default: service.grace_secs + 5]
    #[arg(long, value_name = "SECS")]
    pub timeout: Option<u64>,
}

/// `hantu status`.
#[derive(Debug, Args)]
pub struct StatusArgs {
    /// Which service [default: all]
    #[arg(value_enum)]
    pub service: Option<Target>,
}

fn clock(a: &StartArgs) -> Option<ClockSpec> {
    a.clock_start.map(|t| ClockSpec { start: Timestamp::from_kst(t), speed: a.clock_speed })
}

fn extra(a: &StartArgs) -> Vec<String> {
    let mut v = Vec::new();
    if let Some(t) = a.clock_start {
        v.extend(["--clock-start".to_owned(), t.format("%Y-%m-%dT%H:%M:%S").to_string()]);
        v.extend(["--clock-speed".to_owned(), a.clock_speed.to_string()]);
    }
    v
}

/// Starts services (detached) or runs one in the foreground.
///
/// # Errors
/// If a service cannot be started.
pub fn start(a: &StartArgs, ctx: &Ctx) -> anyhow::Result<ExitStatus> {
    let target = a.service.unwrap_or(Target::All);
    if a.foreground {
        let [svc] = target.services()[..] else {
            bail!("--foreground runs one service: name it (sandbox, scheduler, trader, api or bot)");
        };
        return crate::service::run::run(svc, ctx, &RunOpts { detached: a.detached, clock: clock(a) });
    }
    let reg = registry(&ctx.cfg.config);
    let mut ok = true;
    let mut rows = Vec::new();
    for svc in target.services() {
        if svc == Service::Api && target == Target::All && !crate::service::api_service::configured(ctx) {
            eprintln!("api skipped: set HANTU_API_KEYS to start it");
            rows.push(json!({ "service": "api", "started": false, "reason": "HANTU_API_KEYS is not set" }));
            continue;
        }
        if svc == Service::Bot && target == Target::All && !crate::service::bot_service::configured(ctx) {
            eprintln!("bot skipped: set HANTU_TELEGRAM_TOKEN and notify.bot.allowed_chat_ids to start it");
            rows.push(json!({ "service": "bot", "started": false, "reason": "no bot token or allowed chats" }));
            continue;
        }
        let mut presence = reg.inspect(svc)?;
        // A lock held without a PID file is a service starting or exiting: give it a moment.
        for _ in 0..20 {
            if !matches!(presence, Presence::Running { pid: None }) {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
            presence = reg.inspect(svc)?;
        }
        match presence {
            Presence::Running { pid } => {
                let pid = pid.map_or_else(|| "?".to_owned(), |p| p.pid.to_string());
                // Asked for by name, a second start is refused; `all` just skips what runs.
                if target != Target::All {
                    ok = false;
                }
                eprintln!("{} is already running (pid {pid})", svc.name());
                rows.push(json!({ "service": svc.name(), "started": false, "pid": pid, "reason": "already running" }));
                continue;
            }
            Presence::Stale { pid, reason } => {
                eprintln!("cleaned a stale PID file of {} (pid {}: {reason})", svc.name(), pid.pid);
            }
            Presence::Stopped => {}
        }
        match daemon::start(svc, ctx, &reg, &extra(a)) {
            Ok(pid) => {
                if !ctx.out.json {
                    println!("started {} (pid {pid})", svc.name());
                }
                rows.push(json!({ "service": svc.name(), "started": true, "pid": pid }));
            }
            Err(e) => {
                ok = false;
                eprintln!("error: {e:#}");
                rows.push(json!({ "service": svc.name(), "started": false, "reason": format!("{e:#}") }));
            }
        }
    }
    if ctx.out.json {
        ctx.out.print_json(&json!({ "ok": ok, "services": rows }))?;
    }
    Ok(if ok { ExitStatus::Success } else { ExitStatus::Failure })
}

fn stop_one(svc: Service, ctx: &Ctx, reg: &Registry, timeout: Duration) -> anyhow::Result<serde_json::Value> {
    match reg.inspect(svc)? {
        Presence::Running { pid: Some(pid) } => {
            let s = daemon::stop(svc, reg, &pid, timeout)?;
            if !ctx.out.json {
                let how = if s.forced { "forced after the timeout" } else { "cleanly" };
                println!(
                    "stopped {} (pid {}) {how} in {:.1}s{}",
                    svc.name(),
                    s.pid,
                    s.seconds,
                    s.last_error.as_ref().map_or_else(String::new, |e| format!("; last error: {e}"))
                );
            }
            Ok(json!({ "service": svc.name(), "stopped": true, "detail": s }))
        }
        Presence::Running { pid: None } => bail!("{} is starting; try again in a moment", svc.name()),
        Presence::Stale { pid, reason } => {
            if !ctx.out.json {
                println!("{} was not running (cleaned a stale PID file of pid {}: {reason})", svc.name(), pid.pid);
            }
            Ok(json!({ "service": svc.name(), "stopped": false, "stale_pid": pid.pid, "reason": reason }))
        }
        Presence::Stopped => {
            if !ctx.out.json {
                println!("{} is not running", svc.name());
            }
            Ok(json!({ "service": svc.name(), "stopped": false }))
        }
    }
}

/// Stops services (in reverse start order) and waits for each to exit.
///
/// # Errors
/// If a process cannot be signalled.
pub fn stop(a: &StopArgs, ctx: &Ctx) -> anyhow::Result<ExitStatus> {
    let reg = registry(&ctx.cfg.config);
    let timeout = Duration::from_secs(a.timeout.unwrap_or(ctx.cfg.config.service.grace_secs + 5));
    let mut rows = Vec::new();
    for svc in a.service.unwrap_or(Target::All).services().into_iter().rev() {
        rows.push(stop_one(svc, ctx, &reg, timeout)?);
    }
    if ctx.out.json {
        ctx.out.print_json(&json!({ "services": rows }))?;
    }
    Ok(ExitStatus::Success)
}

/// Stops, then starts.
///
/// # Errors
/// As [`stop`] and [`start`].
pub fn restart(a: &StartArgs, ctx: &Ctx) -> anyhow::Result<ExitStatus> {
    if a.foreground {
        bail!("restart starts services in the background; use stop, then start --foreground");
    }
    let reg = registry(&ctx.cfg.config);
    let timeout = Duration::from_secs(ctx.cfg.config.service.grace_secs + 5);
    for svc in a.service.unwrap_or(Target::All).services().into_iter().rev() {
        stop_one(svc, ctx, &reg, timeout)?;
    }
    start(a, ctx)
}

/// One service's status, as `status` and `health` show it.
pub fn describe(reg: &Registry, svc: Service) -> anyhow::Result<serde_json::Value> {
    let now = LiveClock.now();
    let presence = reg.inspect(svc)?;
    let state = reg.read_state(svc);
    Ok(match presence {
        Presence::Running { pid } => {
            let pid_no = pid.as_ref().map(|p| p.pid);
            let state = state.filter(|s| Some(s.pid) == pid_no);
            let started = pid.as_ref().map(|p| p.started_at);
            let age = state.as_ref().map(|s| (now.millis() - s.heartbeat.millis()) as f64 / 1000.0);
            let health = state.as_ref().map_or("starting", |s| s.health.as_str());
            let stale = age.is_some_and(|a| a > STALE_AFTER.as_secs_f64());
            json!({
                "service": svc.name(),
                "running": true,
                "pid": pid_no,
                "uptime_s": started.map(|s| (now.millis() - s.millis()) / 1000),
                "started_at": started.map(|s| s.to_string()),
                "heartbeat_age_s": age,
                "health": if stale { "unresponsive" } else { health },
                "healthy": !stale && matches!(health, "ok"),
                "last_error": state.as_ref().and_then(|s| s.last_error.clone()),
                "detail": state.map(|s| s.detail),
            })
        }
        other => {
            let stale = match other {
                Presence::Stale { pid, reason } => Some(json!({ "pid": pid.pid, "reason": reason })),
                _ => None,
            };
            json!({
                "service": svc.name(),
                "running": false,
                "health": state.as_ref().map_or("stopped", |s| s.health.as_str()),
                "healthy": false,
                "last_error": state.and_then(|s| s.last_error),
                "cleaned_stale_pid": stale,
            })
        }
    })
}

/// Shows each service: pid, uptime, heartbeat, health, last error. Exit 1 if a named service is
/// not running.
///
/// # Errors
/// If the registry cannot be read.
pub fn status(a: &StatusArgs, ctx: &Ctx) -> anyhow::Result<ExitStatus> {
    let reg = registry(&ctx.cfg.config);
    let target = a.service.unwrap_or(Target::All);
    let rows: Vec<serde_json::Value> =
        target.services().into_iter().map(|s| describe(&reg, s)).collect::<anyhow::Result<_>>()?;
    let all_running = rows.iter().all(|r| r["running"] == true);
    if ctx.out.json {
        ctx.out.print_json(&json!({ "dir": reg.dir(), "services": rows }))?;
    } else {
        let secs = |v: &serde_json::Value| v.as_f64().map_or_else(|| "-".to_owned(), |s| format!("{s:.0}s"));
        ctx.out.print_table(
            &["service", "state", "pid", "uptime", "heartbeat", "health", "last error"],
            rows.iter()
                .map(|r| {
                    vec![
                        r["service"].as_str().unwrap_or_default().to_owned(),
                        if r["running"] == true { "running".into() } else { "stopped".into() },
                        r["pid"].as_u64().map_or_else(|| "-".to_owned(), |p| p.to_string()),
                        secs(&r["uptime_s"]),
                        r["heartbeat_age_s"].as_f64().map_or_else(|| "-".to_owned(), |a| format!("{a:.1}s ago")),
                        r["health"].as_str().unwrap_or_default().to_owned(),
                        r["last_error"].as_str().unwrap_or("-").to_owned(),
                    ]
                })
                .collect(),
        )?;
    }
    Ok(if target == Target::All || all_running { ExitStatus::Success } else { ExitStatus::Failure })
}
