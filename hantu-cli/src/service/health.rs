//! Dependency checks shared by `hantu health` and the API's `/health`: the KIS WebSocket (an
//! approval key from the REST host, then a WebSocket connect) and each configured notification
//! channel (a cheap reachability and credential check that sends nobody anything), each with its
//! status and latency.

use std::time::{Duration, Instant};

use hantu_kis::auth::{Credential, issue_approval_key};
use serde::Serialize;

use super::notify::delivery::Channel;

/// Longest any one check may take.
pub const PROBE_TIMEOUT: Duration = Duration::from_secs(10);

/// One check's result.
#[derive(Clone, Debug, Serialize)]
pub struct Check {
    /// What was checked (`store`, `kis websocket`, `notify telegram`, …).
    pub name: String,
    /// Whether it is healthy.
    pub ok: bool,
    /// How long the check took.
    pub latency_ms: f64,
    /// What was seen, or why it failed (never a secret).
    pub detail: String,
}

impl Check {
    /// A check that took from `t` until now.
    pub fn since(name: impl Into<String>, t: Instant, result: Result<String, String>) -> Self {
        let latency_ms = t.elapsed().as_secs_f64() * 1e3;
        match result {
            Ok(detail) => Self { name: name.into(), ok: true, latency_ms, detail },
            Err(detail) => Self { name: name.into(), ok: false, latency_ms, detail },
        }
    }
}

/// Runs `f` with the probe timeout.
async fn bounded(f: impl std::future::Future<Output = Result<String, String>>) -> Result<String, String> {
    tokio::time::timeout(PROBE_TIMEOUT, f)
        .await
        .unwrap_or_else(|_| Err(format!("no answer within {}s", PROBE_TIMEOUT.as_secs())))
}

/// Each channel's probe (`notify <channel>`), run at once.
pub async fn notifiers(channels: &[Channel]) -> Vec<Check> {
    let probes = channels.iter().map(|c| async move {
        let t = Instant::now();
        let r = bounded(c.transport.probe()).await;
        Check::since(format!("notify {}", c.transport.name()), t, r)
    });
    futures_util::future::join_all(probes).await
}

/// Where the KIS WebSocket is and how to be let in.
#[derive(Clone)]
pub struct WsTarget {
    /// An HTTP client for the approval key.
    pub http: reqwest::Client,
    /// The REST host that issues approval keys.
    pub rest_url: String,
    /// The app key and secret.
    pub credential: Credential,
    /// The WebSocket URL.
    pub ws_url: String,
}

/// Two checks: `kis ws approval` (an approval key issued by the REST host) and `kis websocket`
/// (a WebSocket connection opened, then closed).
pub async fn kis_ws(t: &WsTarget) -> Vec<Check> {
    let start = Instant::now();
    let approval = bounded(async {
        issue_approval_key(&t.http, &t.rest_url, &t.credential)
            .await
            .map(|_| "approval key issued".to_owned())
            .map_err(|e| e.to_string())
    })
    .await;
    let approval = Check::since("kis ws approval", start, approval);
    let start = Instant::now();
    let url = t.ws_url.clone();
    let connect = bounded(async {
        let (mut ws, _) = tokio_tungstenite::connect_async(url.as_str()).await.map_err(|e| format!("{url}: {e}"))?;
        let _ = ws.close(None).await;
        Ok(format!("connected to {url}"))
    })
    .await;
    vec![approval, Check::since("kis websocket", start, connect)]
}

/// How long the API reuses its probes' results: `/health` is unauthenticated and may be polled
/// often; the chat APIs and KIS should not be asked on every request.
const CACHE_FOR: Duration = Duration::from_secs(15);

/// The API's probes: the services in the registry, the KIS WebSocket (when credentials or the
/// sandbox service are there) and each notification channel; results cached briefly.
pub struct Probes {
    /// The service registry.
    pub registry: super::registry::Registry,
    /// The KIS WebSocket, if there is one to check.
    pub kis: Option<WsTarget>,
    /// The configured channels.
    pub channels: Vec<Channel>,
    cache: tokio::sync::Mutex<Option<(Instant, Vec<Check>)>>,
}

impl Probes {
    /// Probes of this configuration. KIS is checked with the configured credentials, else against
    /// the sandbox service when it runs, else not at all (nothing to check).
    ///
    /// # Errors
    /// If a channel's secret is missing.
    pub async fn new(ctx: &crate::commands::Ctx) -> anyhow::Result<Self> {
        let kis = if ctx.cfg.secrets.contains_key("HANTU_KIS_APP_KEY") {
            crate::commands::kis::connect_kis(ctx, None).ok()
        } else if super::sandbox::running(ctx).is_some() {
            crate::commands::kis::connect(ctx, true).await.ok()
        } else {
            None
        };
        Ok(Self {
            registry: super::registry(&ctx.cfg.config),
            kis: kis.as_ref().map(crate::commands::health::ws_target),
            channels: super::notify::channels(&ctx.cfg, &[])?,
            cache: tokio::sync::Mutex::new(None),
        })
    }

    /// Every check, from the cache when it is fresh.
    pub async fn run(&self) -> Vec<Check> {
        let mut cache = self.cache.lock().await;
        if let Some((_, checks)) = cache.as_ref().filter(|(at, _)| at.elapsed() < CACHE_FOR) {
            return checks.clone();
        }
        let reg = self.registry.clone();
        let mut checks = tokio::task::spawn_blocking(move || {
            super::Service::ALL.iter().map(|s| crate::commands::health::service_check(&reg, *s)).collect::<Vec<_>>()
        })
        .await
        .unwrap_or_default();
        if let Some(k) = &self.kis {
            checks.extend(kis_ws(k).await);
        }
        checks.extend(notifiers(&self.channels).await);
        *cache = Some((Instant::now(), checks.clone()));
        checks
    }
}
