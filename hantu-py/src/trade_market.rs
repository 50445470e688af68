//! The market side of a Python trader session: the local KIS server or KIS (broker and WebSocket
//! feed), the sandbox's fast clock, and the feed wrapper that counts prints and enforces
//! `max_events`.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hantu_core::clock::Clock;
use hantu_core::domain::{StockCode, Tick, Timestamp};
use hantu_core::realtime::{Feed, FeedError, FeedEvent, Subscription};
use hantu_core::trader::Sleeper;
use hantu_kis::auth::{AccountNo, Credential};
use hantu_kis::mock::{MockConfig, MockMarket, MockServer};
use hantu_kis::ws::{FeedConfig, KisFeed};
use hantu_kis::{Environment, KisBroker, KisClient, KisConfig};
use pyo3::prelude::*;

use crate::error::{BrokerError, ConfigError};
use crate::trade_live::{KisSettings, SandboxSettings};

pub(crate) fn environment(s: &str, key: &str) -> PyResult<Environment> {
    match s.to_ascii_lowercase().as_str() {
        "paper" | "vts" => Ok(Environment::Paper),
        "real" | "prod" => Ok(Environment::Real),
        _ => Err(ConfigError::new_err(format!("config: {key}: {s:?} must be \"paper\" or \"real\""))),
    }
}

/// A clock starting at `start` and running `speed` times the wall clock (a sandbox session can
/// live through an hour of market in a minute).
pub(crate) struct ScaledClock {
    pub start: Timestamp,
    pub origin: Instant,
    pub speed: f64,
}

impl Clock for ScaledClock {
    fn now(&self) -> Timestamp {
        #[allow(clippy::cast_possible_truncation, reason = "milliseconds of a session fit an i64")]
        let elapsed = (self.origin.elapsed().as_secs_f64() * 1_000.0 * self.speed) as i64;
        Timestamp::from_millis(self.start.millis().saturating_add(elapsed))
    }
}

pub(crate) struct TokioSleeper;

impl Sleeper for TokioSleeper {
    fn sleep(&self, d: Duration) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>> {
        Box::pin(tokio::time::sleep(d))
    }
}

/// Why the run ended, when something other than the trader ended it.
#[derive(Default)]
pub(crate) struct StopReason(Mutex<Option<&'static str>>);

impl StopReason {
    /// Records the first reason and raises the shutdown flag.
    pub(crate) fn stop(&self, why: &'static str, flag: &AtomicBool) {
        let mut r = self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        r.get_or_insert(why);
        flag.store(true, Ordering::SeqCst);
    }

    pub(crate) fn get(&self) -> Option<&'static str> {
        *self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// The feed as the trader reads it, counting (and keeping) the prints it delivers.
pub(crate) struct Counted<F> {
    pub inner: F,
    pub max: Option<u64>,
    pub seen: u64,
    pub last_cum: HashMap<StockCode, u64>,
    pub ticks: Vec<Tick>,
    pub shutdown: Arc<AtomicBool>,
    pub reason: Arc<StopReason>,
}

#[async_trait::async_trait]
impl<F: Feed> Feed for Counted<F> {
    async fn subscribe(&mut self, subscription: Subscription) -> Result<(), FeedError> {
        self.inner.subscribe(subscription).await
    }

    async fn unsubscribe(&mut self, subscription: Subscription) -> Result<(), FeedError> {
        self.inner.unsubscribe(subscription).await
    }

    async fn next_event(&mut self) -> Option<FeedEvent> {
        let ev = self.inner.next_event().await;
        if let Some(FeedEvent::Trade(t)) = &ev {
            // The prints the trader acts on: it skips a repeated cumulative volume the same way.
            let last = self.last_cum.get(&t.tick.code).copied().unwrap_or(0);
            if t.cum_volume == 0 || t.cum_volume > last {
                self.last_cum.insert(t.tick.code, t.cum_volume);
                self.ticks.push(t.tick);
                self.seen += 1;
                if self.max.is_some_and(|m| self.seen >= m) {
                    self.reason.stop("max_events", &self.shutdown);
                }
            }
        }
        ev
    }
}

/// A connection to a market: the broker (or the paper venue's price source) and its feed.
pub(crate) struct Connection {
    pub broker: Arc<KisBroker>,
    pub feed: KisFeed,
    pub server: Option<MockServer>,
}

pub(crate) async fn connect_sandbox(
    sandbox: &SandboxSettings,
    clock: Arc<dyn Clock>,
    cash: i64,
) -> PyResult<Connection> {
    let env = environment(&sandbox.env, "sandbox.env")?;
    let day = clock.now().kst_date();
    let market = MockMarket::fixture(day);
    let mcfg = MockConfig::new(env, market)
        .with_clock(clock.clone())
        .with_cash(cash)
        .with_tape(sandbox.seed, sandbox.trades_per_sec);
    let server = MockServer::start(mcfg)
        .await
        .map_err(|e| BrokerError::new_err(format!("cannot start the local KIS server: {e}")))?;
    let (key, secret) = server.app();
    let kis = |e: hantu_kis::KisError| BrokerError::new_err(e.to_string());
    let account = AccountNo::parse(&server.account()).map_err(kis)?;
    let client = KisClient::new(
        KisConfig::new(env, Credential::new(key, secret).map_err(kis)?)
            .with_rest_url(server.base_url())
            .with_account(account)
            .with_clock(clock),
    )
    .map_err(kis)?;
    let broker = Arc::new(KisBroker::new(client.clone()).map_err(kis)?);
    let fcfg = FeedConfig::for_client(&client).with_ws_url(server.ws_url()).with_hts_id(server.hts_id());
    let feed = KisFeed::connect(client, fcfg).await.map_err(|e| BrokerError::new_err(e.to_string()))?;
    tracing::info!(url = %server.base_url(), "Local KIS server started");
    Ok(Connection { broker, feed, server: Some(server) })
}

pub(crate) async fn connect_kis(k: &KisSettings, clock: Arc<dyn Clock>) -> PyResult<Connection> {
    let env = environment(k.env.as_deref().unwrap_or("paper"), "kis.env")?;
    let cfg_err = |key: &str, e: hantu_kis::KisError| ConfigError::new_err(format!("config: {key}: {e}"));
    let credential =
        Credential::new(k.app_key.as_deref().unwrap_or_default(), k.app_secret.as_deref().unwrap_or_default())
            .map_err(|e| cfg_err("HANTU_KIS_APP_KEY", e))?;
    let account =
        AccountNo::parse(k.account.as_deref().unwrap_or_default()).map_err(|e| cfg_err("HANTU_KIS_ACCOUNT", e))?;
    let mut kc = KisConfig::new(env, credential).with_account(account).with_clock(clock);
    if let Some(u) = &k.url {
        kc = kc.with_rest_url(u.clone());
    }
    if let Some(p) = &k.token_cache {
        kc = kc.with_token_cache(p.clone());
    }
    let kis = |e: hantu_kis::KisError| BrokerError::new_err(e.to_string());
    let client = KisClient::new(kc).map_err(kis)?;
    let broker = Arc::new(KisBroker::new(client.clone()).map_err(kis)?);
    let mut fcfg = FeedConfig::for_client(&client);
    if let Some(w) = &k.ws_url {
        fcfg = fcfg.with_ws_url(w.clone());
    }
    if let Some(h) = &k.hts_id {
        fcfg = fcfg.with_hts_id(h.clone());
    }
    let feed = KisFeed::connect(client, fcfg).await.map_err(|e| BrokerError::new_err(e.to_string()))?;
    Ok(Connection { broker, feed, server: None })
}
