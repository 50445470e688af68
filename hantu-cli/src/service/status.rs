//! What a running service says about itself: a shared handle the service updates (health, last
//! error, detail) and a heartbeat task that writes it to the state file every second.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use hantu_core::clock::{Clock as _, LiveClock};
use hantu_core::domain::Timestamp;

use super::Service;
use super::registry::{Health, Registry, ServiceState};

/// How often the state file is rewritten.
pub const HEARTBEAT: Duration = Duration::from_secs(1);

/// A heartbeat older than this means the service is stuck or gone.
pub const STALE_AFTER: Duration = Duration::from_secs(10);

/// The service's view of its own state, shared by its tasks.
#[derive(Clone, Debug)]
pub struct StatusHandle {
    registry: Registry,
    service: Service,
    state: Arc<Mutex<ServiceState>>,
    /// Held from snapshot to rename, so two writers (the heartbeat task and a service's own
    /// `write`) land in the order they took their snapshots: a stale "starting" can never
    /// overwrite the "ok" written after it.
    writing: Arc<Mutex<()>>,
}

impl StatusHandle {
    /// A handle for process `pid` of `service`, starting.
    pub fn new(registry: Registry, service: Service, pid: u32, started_at: Timestamp) -> Self {
        let state = ServiceState {
            pid,
            started_at,
            heartbeat: started_at,
            health: Health::Starting,
            last_error: None,
            detail: serde_json::json!({}),
        };
        Self { registry, service, state: Arc::new(Mutex::new(state)), writing: Arc::new(Mutex::new(())) }
    }

    fn with<T>(&self, f: impl FnOnce(&mut ServiceState) -> T) -> T {
        f(&mut self.state.lock().unwrap_or_else(PoisonError::into_inner))
    }

    /// Sets the health.
    pub fn set_health(&self, health: Health) {
        self.with(|s| s.health = health);
    }

    /// The current health.
    pub fn health(&self) -> Health {
        self.with(|s| s.health)
    }

    /// Records an error (kept as the last error; the service stays up).
    pub fn error(&self, message: impl Into<String>) {
        let msg = message.into();
        let now = LiveClock.now();
        self.with(|s| s.last_error = Some(format!("{now}: {msg}")));
    }

    /// Sets one field of the detail.
    pub fn detail(&self, key: &str, value: serde_json::Value) {
        self.with(|s| {
            if let Some(m) = s.detail.as_object_mut() {
                m.insert(key.to_owned(), value);
            }
        });
    }

    /// Writes the state file now (with a fresh heartbeat).
    pub fn write(&self) {
        let _order = self.writing.lock().unwrap_or_else(PoisonError::into_inner);
        let snapshot = self.with(|s| {
            s.heartbeat = LiveClock.now();
            s.clone()
        });
        if let Err(e) = self.registry.write_state(self.service, &snapshot) {
            tracing::warn!(error = %format!("{e:#}"), "Could not write the service state");
        }
    }

    /// Writes the state file every [`HEARTBEAT`] until `token` is cancelled.
    pub async fn beat(self, token: tokio_util::sync::CancellationToken) {
        let mut tick = tokio::time::interval(HEARTBEAT);
        loop {
            tokio::select! {
                () = token.cancelled() => break,
                _ = tick.tick() => self.write(),
            }
        }
    }
}
