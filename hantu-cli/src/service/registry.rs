//! The process registry: one directory (`service.dir`) holding, per service, a lock file held by
//! the running process (`flock`, so the kernel releases it when the process dies, however it
//! dies), a PID file written atomically with mode 0600, and a state file the service rewrites
//! every second (heartbeat, health, last error).
//!
//! A service is running when its lock is held. A PID file whose lock is free is stale: the
//! process is gone, or the PID now belongs to another program (told apart by the process start
//! time from `/proc`, which the PID file records); either way it is cleaned.

use std::fs::{File, OpenOptions};
use std::io::Write as _;
use std::os::unix::fs::{DirBuilderExt as _, OpenOptionsExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context as _, bail};
use hantu_core::clock::{Clock as _, LiveClock};
use hantu_core::domain::Timestamp;
use rustix::fs::{FlockOperation, flock};
use serde::{Deserialize, Serialize};

use super::Service;

/// The contents of a PID file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PidFile {
    /// The service.
    pub service: String,
    /// OS process id.
    pub pid: u32,
    /// The process start time in clock ticks since boot (`/proc/<pid>/stat` field 22), to tell a
    /// reused PID from ours.
    pub proc_start: Option<u64>,
    /// When it started.
    pub started_at: Timestamp,
    /// The hantu version that wrote it.
    pub version: String,
}

/// How a service is doing, as it says itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Health {
    /// Starting up; not serving yet.
    Starting,
    /// Serving.
    Ok,
    /// Serving with a problem (see the last error).
    Degraded,
    /// Shutting down.
    Stopping,
    /// Ended cleanly.
    Stopped,
    /// Ended by a forced shutdown or a fatal error.
    Failed,
}

impl Health {
    /// The name shown by `status`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Health::Starting => "starting",
            Health::Ok => "ok",
            Health::Degraded => "degraded",
            Health::Stopping => "stopping",
            Health::Stopped => "stopped",
            Health::Failed => "failed",
        }
    }
}

/// What a service last wrote about itself.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ServiceState {
    /// The process that wrote it.
    pub pid: u32,
    /// When it started.
    pub started_at: Timestamp,
    /// When this was written.
    pub heartbeat: Timestamp,
    /// Health.
    pub health: Health,
    /// The last error, if any (kept after recovery, with its time).
    pub last_error: Option<String>,
    /// Service-specific facts (the sandbox's URL, the scheduler's next job, …).
    pub detail: serde_json::Value,
}

/// What the registry knows about one service.
#[derive(Clone, Debug)]
pub enum Presence {
    /// Its lock is held: it is running.
    Running {
        /// Its PID file (`None` in the instant between taking the lock and writing it).
        pid: Option<PidFile>,
    },
    /// Not running, nothing left behind.
    Stopped,
    /// Not running, but a PID file was left behind (now removed).
    Stale {
        /// The PID file that was cleaned.
        pid: PidFile,
        /// Why it was stale.
        reason: &'static str,
    },
}

/// The registry directory.
#[derive(Clone, Debug)]
pub struct Registry {
    dir: PathBuf,
}

/// The lock and PID file of the running service; dropping it removes the PID file (the lock goes
/// with the process).
#[derive(Debug)]
pub struct Held {
    _lock: File,
    pid_path: PathBuf,
    /// What was written.
    pub pid: PidFile,
    /// A PID file cleaned on the way in, and why.
    pub cleaned: Option<(PidFile, &'static str)>,
}

impl Drop for Held {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.pid_path);
    }
}

/// The start time of process `pid` in clock ticks since boot, from `/proc`.
pub fn proc_start(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) may hold spaces and parentheses: count fields after the last ')'.
    let rest = &stat[stat.rfind(')')? + 1..];
    rest.split_whitespace().nth(19)?.parse().ok()
}

/// Writes `bytes` to `path` atomically (a temporary file in the same directory, synced, then
/// renamed over it) with mode 0600, so a reader sees the old file or the new one, never half.
///
/// # Errors
/// If any step fails; the temporary file is removed.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    // Unique per call: two tasks of one process may write the same file at once.
    static SEQ: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let seq = SEQ.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let tmp = path.with_file_name(format!(".{name}.{}.{seq}.tmp", std::process::id()));
    let result = (|| -> std::io::Result<()> {
        let mut f = OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(&tmp)?;
        f.set_permissions(std::fs::Permissions::from_mode(0o600))?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.with_context(|| format!("writing {}", path.display()))
}

impl Registry {
    /// The registry in `dir` (created with mode 0700 when first written).
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The services' log directory.
    pub fn log_dir(&self) -> PathBuf {
        self.dir.join("logs")
    }

    /// The PID file of `svc`.
    pub fn pid_path(&self, svc: Service) -> PathBuf {
        self.dir.join(format!("{}.pid", svc.name()))
    }

    fn lock_path(&self, svc: Service) -> PathBuf {
        self.dir.join(format!("{}.lock", svc.name()))
    }

    /// The state file of `svc`.
    pub fn state_path(&self, svc: Service) -> PathBuf {
        self.dir.join(format!("{}.state.json", svc.name()))
    }

    /// Creates the directory (0700) if missing.
    ///
    /// # Errors
    /// If it cannot be created.
    pub fn ensure(&self) -> anyhow::Result<()> {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&self.dir)
            .with_context(|| format!("creating the service directory {}", self.dir.display()))
    }

    fn open_lock(&self, svc: Service) -> anyhow::Result<File> {
        self.ensure()?;
        let path = self.lock_path(svc);
        OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .open(&path)
            .with_context(|| format!("opening {}", path.display()))
    }

    /// The PID file of `svc`, if present and readable.
    pub fn read_pid(&self, svc: Service) -> Option<PidFile> {
        serde_json::from_slice(&std::fs::read(self.pid_path(svc)).ok()?).ok()
    }

    /// The state file of `svc`, if present and readable.
    pub fn read_state(&self, svc: Service) -> Option<ServiceState> {
        serde_json::from_slice(&std::fs::read(self.state_path(svc)).ok()?).ok()
    }

    /// Writes the state file of `svc`.
    ///
    /// # Errors
    /// If the write fails.
    pub fn write_state(&self, svc: Service, state: &ServiceState) -> anyhow::Result<()> {
        write_atomic(&self.state_path(svc), &serde_json::to_vec_pretty(state)?)
    }

    fn stale_reason(pid: &PidFile) -> &'static str {
        match proc_start(pid.pid) {
            None => "process gone",
            Some(t) if pid.proc_start.is_some_and(|mine| mine != t) => "PID reused by another program",
            Some(_) => "process no longer holds the lock",
        }
    }

    /// Whether `svc` is running; a stale PID file is removed and reported.
    ///
    /// # Errors
    /// If the lock file cannot be opened.
    pub fn inspect(&self, svc: Service) -> anyhow::Result<Presence> {
        if !self.dir.exists() {
            return Ok(Presence::Stopped);
        }
        let lock = self.open_lock(svc)?;
        match flock(&lock, FlockOperation::NonBlockingLockExclusive) {
            Err(_) => Ok(Presence::Running { pid: self.read_pid(svc) }),
            Ok(()) => {
                // Nobody holds the lock: any PID file is left over. Clean it while holding the lock,
                // so a service starting now cannot have its fresh file removed.
                let out = match self.read_pid(svc) {
                    Some(pid) => {
                        let reason = Self::stale_reason(&pid);
                        let _ = std::fs::remove_file(self.pid_path(svc));
                        Presence::Stale { pid, reason }
                    }
                    None => {
                        let _ = std::fs::remove_file(self.pid_path(svc));
                        Presence::Stopped
                    }
                };
                let _ = flock(&lock, FlockOperation::Unlock);
                Ok(out)
            }
        }
    }

    /// Takes the lock of `svc` for this process and writes its PID file, cleaning a stale one.
    ///
    /// # Errors
    /// If another process holds the lock (the message names its PID), or a file cannot be written.
    pub fn acquire(&self, svc: Service) -> anyhow::Result<Held> {
        let lock = self.open_lock(svc)?;
        // A `status` or `stop` may hold the lock for an instant while it looks: retry briefly.
        let mut tries = 0;
        while flock(&lock, FlockOperation::NonBlockingLockExclusive).is_err() {
            tries += 1;
            if tries >= 20 {
                let holder = self.read_pid(svc).map_or_else(|| "unknown".to_owned(), |p| p.pid.to_string());
                bail!("{} is already running (pid {holder}); a second instance refuses to start", svc.name());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let cleaned = self.read_pid(svc).map(|p| {
            let reason = Self::stale_reason(&p);
            (p, reason)
        });
        if let Some((p, reason)) = &cleaned {
            tracing::warn!(service = svc.name(), pid = p.pid, reason, "Cleaned a stale PID file");
        }
        let me = std::process::id();
        let pid = PidFile {
            service: svc.name().to_owned(),
            pid: me,
            proc_start: proc_start(me),
            started_at: LiveClock.now(),
            version: env!("CARGO_PKG_VERSION").to_owned(),
        };
        let pid_path = self.pid_path(svc);
        write_atomic(&pid_path, &serde_json::to_vec_pretty(&pid)?)?;
        Ok(Held { _lock: lock, pid_path, pid, cleaned })
    }
}

/// Whether process `pid` with start time `start` still exists.
pub fn alive(pid: u32, start: Option<u64>) -> bool {
    match proc_start(pid) {
        None => false,
        Some(t) => start.is_none_or(|s| s == t) && !is_zombie(pid),
    }
}

fn is_zombie(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| s.rfind(')').and_then(|i| s[i + 1..].split_whitespace().next().map(|st| st == "Z")))
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_acquire_is_refused_with_the_holder_pid_and_a_dropped_hold_cleans_up() {
        let dir = tempfile::tempdir().unwrap();
        let reg = Registry::new(dir.path().join("run"));
        let held = reg.acquire(Service::Sandbox).unwrap();
        let mode = std::fs::metadata(reg.pid_path(Service::Sandbox)).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        // flock is per open file description: a second open in this process conflicts too.
        let err = reg.acquire(Service::Sandbox).unwrap_err().to_string();
        assert!(err.contains(&format!("pid {}", std::process::id())), "{err}");
        assert!(matches!(reg.inspect(Service::Sandbox).unwrap(), Presence::Running { pid: Some(_) }));
        drop(held);
        assert!(!reg.pid_path(Service::Sandbox).exists());
        assert!(matches!(reg.inspect(Service::Sandbox).unwrap(), Presence::Stopped));
    }

    #[test]
    fn a_left_over_pid_file_is_stale_and_cleaned() {
        let dir = tempfile::tempdir().unwrap();
        let reg = Registry::new(dir.path());
        let ghost = PidFile {
            service: "scheduler".into(),
            pid: std::process::id(),
            proc_start: Some(1),
            started_at: Timestamp::from_millis(0),
            version: "0".into(),
        };
        write_atomic(&reg.pid_path(Service::Scheduler), &serde_json::to_vec(&ghost).unwrap()).unwrap();
        match reg.inspect(Service::Scheduler).unwrap() {
            Presence::Stale { pid, reason } => {
                assert_eq!(pid, ghost);
                assert_eq!(reason, "PID reused by another program");
            }
            other => panic!("{other:?}"),
        }
        assert!(!reg.pid_path(Service::Scheduler).exists());
        assert!(proc_start(std::process::id()).is_some());
        assert!(alive(std::process::id(), proc_start(std::process::id())));
        assert!(!alive(std::process::id(), Some(1)));
    }
}
