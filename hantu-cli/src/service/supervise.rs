//! A service whose work is another `hantu` command (the trader's `hantu trade start …`): the
//! service process holds the lock, PID file and heartbeat, runs the command as its child with the
//! same configuration and store, re-emits the child's JSON log lines into the service's log, passes
//! the shutdown on as SIGTERM (killing it if it outlives the grace), and ends when the child ends.

use std::process::Stdio;
use std::time::Duration;

use anyhow::{Context as _, bail};
use tokio::io::{AsyncBufReadExt as _, BufReader};

use super::registry::Health;
use super::shutdown::Shutdown;
use super::status::StatusHandle;
use crate::commands::Ctx;

/// Re-emits one JSON log line of the child at its level.
fn relay(line: &str) {
    let Ok(v) = serde_json::from_str::<serde_json::Value>(line) else {
        tracing::info!(child = true, "{}", line.trim_end());
        return;
    };
    let msg = v["fields"]["message"].as_str().unwrap_or_default();
    let target = v["target"].as_str().unwrap_or_default();
    let mut fields = v["fields"].clone();
    if let Some(m) = fields.as_object_mut() {
        m.remove("message");
    }
    let fields =
        if fields.as_object().is_some_and(serde_json::Map::is_empty) { String::new() } else { fields.to_string() };
    match v["level"].as_str().unwrap_or("INFO") {
        "ERROR" => tracing::error!(child = true, target, fields = %fields, "{msg}"),
        "WARN" => tracing::warn!(child = true, target, fields = %fields, "{msg}"),
        "DEBUG" | "TRACE" => tracing::debug!(child = true, target, fields = %fields, "{msg}"),
        _ => tracing::info!(child = true, target, fields = %fields, "{msg}"),
    }
}

/// Runs `hantu ARGS` (with `env` added) as this service's work until it exits or shutdown.
///
/// # Errors
/// If it cannot be started or exits with a failure on its own.
pub async fn serve_child(
    ctx: &Ctx,
    shutdown: &Shutdown,
    status: &StatusHandle,
    args: &[String],
    env: &[(String, String)],
) -> anyhow::Result<()> {
    let exe = std::env::current_exe().context("locating the hantu binary")?;
    let mut cmd = tokio::process::Command::new(exe);
    cmd.args(super::daemon::child_args(ctx))
        .args(["--log-format", "json"])
        .args(args)
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let mut child = cmd.spawn().with_context(|| format!("starting hantu {}", args.join(" ")))?;
    let pid = child.id();
    if let Some(err) = child.stderr.take() {
        shutdown.tracker.spawn(async move {
            let mut lines = BufReader::new(err).lines();
            while let Ok(Some(l)) = lines.next_line().await {
                relay(&l);
            }
        });
    }
    status.detail("child_pid", serde_json::json!(pid));
    status.detail("command", serde_json::json!(format!("hantu {}", args.join(" "))));
    status.set_health(Health::Ok);
    status.write();
    tracing::info!(pid, command = %args.join(" "), "Child started");
    let grace = Duration::from_secs(ctx.cfg.config.service.grace_secs).mul_f64(0.8);
    tokio::select! {
        s = child.wait() => {
            let s = s.context("waiting for the child")?;
            if !s.success() {
                bail!("hantu {} exited: {s}", args.join(" "));
            }
            tracing::info!("Child finished");
        }
        () = shutdown.token.cancelled() => {
            if let Some(p) = pid.and_then(|p| i32::try_from(p).ok()).and_then(rustix::process::Pid::from_raw) {
                let _ = rustix::process::kill_process(p, rustix::process::Signal::TERM);
            }
            match tokio::time::timeout(grace, child.wait()).await {
                Ok(s) => tracing::info!(status = ?s.ok(), "Child stopped"),
                Err(_) => {
                    tracing::warn!("Child outlived the grace; killing it");
                    let _ = child.kill().await;
                }
            }
        }
    }
    Ok(())
}
