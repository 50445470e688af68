//! The HTTP API: watch and steer a running hantu from a browser or a script.
//!
//! Everything it shows is read from the [`Store`] (orders journal, fills, positions, picks, the
//! latest watchlist, runs, events, settings) and from what the trader publishes there
//! ([`hantu_core::control`]); every control route writes the trader's control flag in the store, so
//! the API, the CLI and the Telegram bot are three doors to one flag.
//!
//! | module | holds |
//! |---|---|
//! | [`keys`] | API keys from `HANTU_API_KEYS`, roles, constant-time lookup |
//! | [`guard`] | the key check, the control-role check, per-key rate limits |
//! | [`request_id`] | `X-Request-Id` on every response; JSON error bodies |
//! | [`error`] | [`ApiError`]: status, code, message, field |
//! | [`views`] | the JSON shapes answered |
//! | [`read`] | read routes of the trading day (`/health`, `/status`, `/positions`, `/orders`, …) |
//! | [`research`] | `/picks`, `/watchlist`, `/screen/why/{code}`, `/backtests`, `/equity` |
//! | [`control`] | control routes (`/trader/pause`, …) and the job runs |
//! | [`jobs`] | `POST /jobs/{name}/run`: a configured job run now, as `hantu schedule run` does |
//! | [`stream`] | `/stream`: server-sent events of fills, orders, alerts and prices |
//! | [`metrics`] | `/metrics` in Prometheus text format, fed from the store |
//! | [`openapi`] | `/openapi.json`, generated from the handlers |
//! | [`dashboard`] | the single-page dashboard, embedded in the binary |
//!
//! Start it with [`run_api`] (or `hantu api serve`); it binds 127.0.0.1 unless configured otherwise.

pub mod control;
pub mod dashboard;
pub mod error;
pub mod guard;
pub mod jobs;
pub mod keys;
pub mod metrics;
pub mod openapi;
pub mod read;
pub mod request_id;
pub mod research;
pub mod stream;
pub mod views;

#[cfg(test)]
mod tests;

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::middleware::{from_fn, from_fn_with_state};
use axum::routing::{get, post};
use hantu_core::store::Store;
use tokio::net::TcpListener;

pub use error::ApiError;
pub use keys::KeyRing;

/// Largest request body accepted (control bodies are a few fields).
const MAX_BODY: usize = 64 * 1024;

/// How the API is set up.
#[derive(Clone, Debug)]
pub struct ApiConfig {
    /// Where to listen (127.0.0.1 unless the operator chose otherwise).
    pub addr: SocketAddr,
    /// The keys that may call it.
    pub keys: KeyRing,
    /// Requests per minute per key.
    pub rate_per_minute: u32,
    /// Requests a key may make at once.
    pub burst: u32,
    /// Directory of the log files, for `/logs` (when the log file is on).
    pub log_dir: Option<PathBuf>,
}

/// What every handler shares.
pub struct AppState {
    /// The store everything is read from and control flags are written to.
    pub store: Arc<dyn Store>,
    /// The keys.
    pub keys: KeyRing,
    /// Per-key rate limits.
    pub limiter: guard::Limiter,
    /// Process metrics and the feed from the store.
    pub metrics: metrics::Metrics,
    /// When the API started.
    pub started: Instant,
    /// Log files, if any.
    pub log_dir: Option<PathBuf>,
    /// Becomes `true` when shutdown starts (event streams end on it).
    pub shutdown: tokio::sync::watch::Receiver<bool>,
    /// The configured jobs, for `POST /jobs/{name}/run` (absent: it answers 501).
    pub jobs: Option<jobs::JobControl>,
    /// Services, KIS WebSocket and notifier checks for `/health` (absent: store and trader only).
    pub probes: Option<Arc<crate::service::health::Probes>>,
}

impl AppState {
    /// Runs a store call on the blocking pool (the store is synchronous SQLite).
    ///
    /// # Errors
    /// What `f` returns, or 500 when the task panicked.
    pub async fn with_store<T: Send + 'static>(
        self: &Arc<Self>,
        f: impl FnOnce(&dyn Store) -> Result<T, ApiError> + Send + 'static,
    ) -> Result<T, ApiError> {
        let state = Arc::clone(self);
        tokio::task::spawn_blocking(move || f(state.store.as_ref())).await.map_err(|e| {
            tracing::error!(error = %e, "API store task failed");
            ApiError::new(axum::http::StatusCode::INTERNAL_SERVER_ERROR, "internal", "internal error")
        })?
    }
}

/// The router with every route, layer and the shared state.
pub fn router(state: Arc<AppState>) -> Router {
    let public = Router::new()
        .route("/health", get(read::health))
        .route("/openapi.json", get(openapi::document))
        .route("/", get(dashboard::index))
        .route("/assets/{file}", get(dashboard::asset));
    let reads = Router::new()
        .route("/status", get(read::status))
        .route("/positions", get(read::positions))
        .route("/orders", get(read::orders))
        .route("/fills", get(read::fills))
        .route("/picks", get(research::picks))
        .route("/watchlist", get(research::watchlist))
        .route("/screen/why/{code}", get(research::why))
        .route("/backtests", get(research::backtests))
        .route("/equity", get(research::equity))
        .route("/jobs", get(control::jobs))
        .route("/logs", get(read::logs))
        .route("/stream", get(stream::events))
        .route("/metrics", get(metrics::export));
    let controls = Router::new()
        .route("/trader/pause", post(control::pause))
        .route("/trader/resume", post(control::resume))
        .route("/trader/stop", post(control::stop))
        .route("/trader/force-exit", post(control::force_exit))
        .route("/jobs/{name}/run", post(jobs::run_job))
        .route_layer(from_fn(guard::require_control));
    let protected = reads.merge(controls).route_layer(from_fn_with_state(Arc::clone(&state), guard::authenticate));
    Router::new()
        .merge(public)
        .merge(protected)
        .fallback(|| async { ApiError::not_found("no such route; see /openapi.json") })
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .layer(from_fn(request_id::layer))
        .with_state(state)
}

/// A bound, not yet serving API (so callers learn the port before serving, e.g. with port 0).
pub struct ApiServer {
    listener: TcpListener,
    state: Arc<AppState>,
    shutdown: tokio::sync::watch::Sender<bool>,
}

impl ApiServer {
    /// Binds the address.
    ///
    /// # Errors
    /// If there are no keys or the address cannot be bound.
    pub async fn bind(config: ApiConfig, store: Arc<dyn Store>) -> anyhow::Result<Self> {
        use anyhow::Context as _;
        anyhow::ensure!(!config.keys.is_empty(), "no API keys: set HANTU_API_KEYS (name:role:key, …)");
        let listener = TcpListener::bind(config.addr).await.with_context(|| format!("binding {}", config.addr))?;
        let (shutdown, rx) = tokio::sync::watch::channel(false);
        let state = Arc::new(AppState {
            store,
            keys: config.keys,
            limiter: guard::Limiter::new(config.rate_per_minute, config.burst),
            metrics: metrics::Metrics::new(),
            started: Instant::now(),
            log_dir: config.log_dir,
            shutdown: rx,
            jobs: None,
            probes: None,
        });
        Ok(Self { listener, state, shutdown })
    }

    /// Adds these checks to `/health`.
    #[must_use]
    pub fn with_probes(mut self, probes: crate::service::health::Probes) -> Self {
        if let Some(state) = Arc::get_mut(&mut self.state) {
            state.probes = Some(Arc::new(probes));
        }
        self
    }

    /// Lets `POST /jobs/{name}/run` run these jobs.
    #[must_use]
    pub fn with_jobs(mut self, jobs: jobs::JobControl) -> Self {
        if let Some(state) = Arc::get_mut(&mut self.state) {
            state.jobs = Some(jobs);
        }
        self
    }

    /// The address bound.
    ///
    /// # Errors
    /// If the socket has no local address.
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serves until `shutdown` completes, then finishes the requests in flight (open event streams
    /// end when the shutdown starts).
    ///
    /// # Errors
    /// If serving fails.
    pub async fn serve(self, shutdown: impl Future<Output = ()> + Send + 'static) -> anyhow::Result<()> {
        let tx = self.shutdown;
        let app = router(self.state);
        axum::serve(self.listener, app)
            .with_graceful_shutdown(async move {
                shutdown.await;
                let _ = tx.send(true);
            })
            .await?;
        Ok(())
    }
}

/// Runs the API on `config.addr` over `store` until `shutdown` completes: what `hantu start api` runs.
///
/// # Errors
/// If there are no keys, the address cannot be bound, or serving fails.
#[allow(dead_code, reason = "the service runner's entry point; `hantu api serve` binds first to print the port")]
pub async fn run_api(
    config: ApiConfig,
    store: Arc<dyn Store>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let server = ApiServer::bind(config, store).await?;
    tracing::info!(addr = %server.local_addr()?, "HTTP API listening");
    server.serve(shutdown).await
}
