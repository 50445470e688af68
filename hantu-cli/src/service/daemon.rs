//! Starting a service in the background and stopping one, from another `hantu` process.
//!
//! Start re-executes this binary as `hantu start NAME --foreground --detached` with stdin closed and
//! stdout/stderr appended to `logs/NAME.out` (which catches what happens before logging is set up,
//! and panics), then waits until the service reports itself up, or exits and shows why. Stop sends
//! SIGTERM, waits for the process to exit, sends a second signal (which forces) after the timeout,
//! and reports how it ended from the service's last state.

use std::fs::OpenOptions;
use std::os::unix::fs::OpenOptionsExt as _;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use rustix::process::{Pid, Signal, kill_process};

use super::Service;
use super::registry::{Health, PidFile, Registry, alive};
use crate::commands::Ctx;

/// How long a start waits for the service to come up.
pub const START_TIMEOUT: Duration = Duration::from_secs(30);

/// The arguments that make a child `hantu` see the same configuration and store.
pub fn child_args(ctx: &Ctx) -> Vec<std::ffi::OsString> {
    let mut args = Vec::new();
    if let Some(f) = &ctx.cfg.file {
        args.push("--config".into());
        args.push(f.clone().into_os_string());
    }
    args.push("--db".into());
    args.push(ctx.db.clone().into_os_string());
    args
}

/// The last `n` lines of `path`.
pub fn tail(path: &std::path::Path, n: usize) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

/// Starts `svc` detached and waits until it reports itself up; returns its PID.
///
/// # Errors
/// If it cannot be spawned, exits during start (its output is shown), or is not up in time.
pub fn start(svc: Service, ctx: &Ctx, reg: &Registry, extra: &[String]) -> anyhow::Result<u32> {
    reg.ensure()?;
    std::fs::create_dir_all(reg.log_dir())?;
    let out_path = reg.log_dir().join(format!("{}.out", svc.name()));
    let out = OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .open(&out_path)
        .with_context(|| format!("opening {}", out_path.display()))?;
    let exe = std::env::current_exe().context("locating the hantu binary")?;
    let mut child = Command::new(exe)
        .args(child_args(ctx))
        .args(["start", svc.name(), "--foreground", "--detached"])
        .args(extra)
        .stdin(Stdio::null())
        .stdout(out.try_clone()?)
        .stderr(out)
        .spawn()
        .with_context(|| format!("starting {}", svc.name()))?;
    let pid = child.id();
    let t = Instant::now();
    loop {
        if let Some(status) = child.try_wait()? {
            bail!("{} exited while starting ({status}):\n{}", svc.name(), tail(&out_path, 10));
        }
        if let Some(st) = reg.read_state(svc).filter(|s| s.pid == pid) {
            match st.health {
                Health::Ok | Health::Degraded => return Ok(pid),
                Health::Failed | Health::Stopped | Health::Stopping => {
                    // Let it exit (and drop its lock) before saying so: a start right after must not
                    // find it still holding the lock.
                    let t = Instant::now();
                    while child.try_wait()?.is_none() && t.elapsed() < Duration::from_secs(5) {
                        std::thread::sleep(Duration::from_millis(10));
                    }
                    bail!("{} failed to start: {}", svc.name(), st.last_error.unwrap_or_else(|| tail(&out_path, 10)));
                }
                Health::Starting => {}
            }
        }
        if t.elapsed() > START_TIMEOUT {
            bail!("{} (pid {pid}) did not report itself up within {}s", svc.name(), START_TIMEOUT.as_secs());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// How a stop went.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Stopped {
    /// The process.
    pub pid: u32,
    /// Seconds from the first signal to the exit.
    pub seconds: f64,
    /// Whether a second signal was needed.
    pub forced: bool,
    /// The service's own last word: `stopped` or `failed` (with its last error).
    pub health: Option<String>,
    /// Its last error, if any.
    pub last_error: Option<String>,
}

fn signal(pid: u32, sig: Signal) -> anyhow::Result<()> {
    let p = Pid::from_raw(i32::try_from(pid)?).context("invalid pid")?;
    kill_process(p, sig).with_context(|| format!("signalling pid {pid}"))
}

fn wait_exit(pid: &PidFile, timeout: Duration) -> bool {
    let t = Instant::now();
    while alive(pid.pid, pid.proc_start) {
        if t.elapsed() > timeout {
            return false;
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    true
}

/// Stops the process in `pid`: SIGTERM, wait up to `timeout`, then a second SIGTERM (which forces
/// the exit) and, if even that is ignored, SIGKILL.
///
/// # Errors
/// If the process cannot be signalled.
pub fn stop(svc: Service, reg: &Registry, pid: &PidFile, timeout: Duration) -> anyhow::Result<Stopped> {
    let t = Instant::now();
    signal(pid.pid, Signal::TERM)?;
    let mut forced = false;
    if !wait_exit(pid, timeout) {
        forced = true;
        tracing::warn!(service = svc.name(), pid = pid.pid, "Still running after the timeout; forcing");
        let _ = signal(pid.pid, Signal::TERM);
        if !wait_exit(pid, Duration::from_secs(5)) {
            let _ = signal(pid.pid, Signal::KILL);
            wait_exit(pid, Duration::from_secs(5));
        }
    }
    let st = reg.read_state(svc).filter(|s| s.pid == pid.pid);
    // The lock went with the process; a PID file left by a kill is cleaned here.
    let _ = reg.inspect(svc);
    Ok(Stopped {
        pid: pid.pid,
        seconds: t.elapsed().as_secs_f64(),
        forced,
        health: st.as_ref().map(|s| s.health.as_str().to_owned()),
        last_error: st.and_then(|s| s.last_error),
    })
}
