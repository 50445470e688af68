//! Connecting to KIS (real or paper, from the configuration and secrets) or to the local KIS
//! server (`--sandbox`: the sandbox service when it runs, else a fresh server for this command),
//! shared by `trade`, `data refresh` and `health`.

use std::sync::{Arc, Mutex};

use anyhow::Context as _;
use chrono::NaiveDate;
use hantu_core::clock::{Clock, LiveClock, SimClock};
use hantu_core::domain::Timestamp;
use hantu_core::krx::KrxCalendar;
use hantu_core::store::{ApiCallRecord, Store};
use hantu_kis::auth::{AccountNo, Credential};
use hantu_kis::calllog::{CallHook, CallOutcome, CallRecord};
use hantu_kis::mock::{MockConfig, MockMarket, MockServer, ShiftedClock};
use hantu_kis::{Environment, KisBroker, KisClient, KisConfig};

use super::Ctx;
use crate::config::ConfigError;

/// A live connection; keeps the local server alive while in use.
pub struct Kis {
    /// The broker and market data.
    pub broker: Arc<KisBroker>,
    /// Which environment.
    pub env: Environment,
    /// Whether this is the local server.
    pub sandbox: bool,
    server: Option<MockServer>,
    calls: Arc<Mutex<Vec<ApiCallRecord>>>,
    /// WebSocket URL override (`kis.ws_url`, or the local server's).
    ws_url: Option<String>,
}

/// A call hook that keeps every request for the store's `api_calls` table.
fn call_log() -> (CallHook, Arc<Mutex<Vec<ApiCallRecord>>>) {
    let calls: Arc<Mutex<Vec<ApiCallRecord>>> = Arc::default();
    let sink = calls.clone();
    let hook: CallHook = Arc::new(move |c: &CallRecord| {
        let outcome = match &c.outcome {
            CallOutcome::Ok => "ok".to_owned(),
            CallOutcome::Refused(code) => format!("refused {code}"),
            other => format!("{other:?}"),
        };
        let rec = ApiCallRecord {
            ts: LiveClock.now(),
            endpoint: c.endpoint.to_owned(),
            tr_id: Some(c.tr_id.to_owned()),
            latency_us: u64::try_from(c.latency.as_micros()).unwrap_or(u64::MAX),
            status: c.status,
            outcome,
        };
        sink.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push(rec);
    });
    (hook, calls)
}

impl Kis {
    /// The WebSocket URL to use instead of the environment's, if any.
    pub fn ws_url(&self) -> Option<String> {
        self.ws_url.clone()
    }

    /// Requests sent so far (retries included).
    pub fn requests(&self) -> usize {
        self.calls.lock().unwrap_or_else(std::sync::PoisonError::into_inner).len()
    }

    /// Writes the requests made so far to the store's `api_calls` table.
    pub fn record_calls(&self, store: &dyn Store) -> anyhow::Result<()> {
        let calls = std::mem::take(&mut *self.calls.lock().unwrap_or_else(std::sync::PoisonError::into_inner));
        store.record_api_calls(&calls).context("recording API calls")
    }

    /// The local server, when this is the sandbox.
    pub fn server(&self) -> Option<&MockServer> {
        self.server.as_ref()
    }

    /// Stops the local server, if any.
    pub async fn close(self) {
        if let Some(s) = self.server {
            s.stop().await;
        }
    }
}

fn config_error(key: &str, e: impl std::fmt::Display) -> ConfigError {
    ConfigError { key: key.into(), source_desc: "environment".into(), message: e.to_string() }
}

/// The trading day a sandbox session runs on: today if KRX trades today, else the last one.
pub fn sandbox_day(today: NaiveDate) -> NaiveDate {
    if KrxCalendar::is_trading_day(today) { today } else { KrxCalendar::prev_trading_day(today) }
}

/// Connects as configured. With `sandbox`, starts the local KIS server on 127.0.0.1 over a
/// small fixed market, its clock set to 10:00 KST of a trading day so orders are accepted at any
/// wall-clock time.
pub async fn connect(ctx: &Ctx, sandbox: bool) -> anyhow::Result<Kis> {
    if sandbox {
        if let Some(c) = crate::service::sandbox::running(ctx) {
            return connect_running(&c);
        }
        let day = sandbox_day(LiveClock.now().kst_date());
        return connect_local(ctx, MockMarket::fixture(day), day).await;
    }
    connect_kis(ctx, None)
}

/// Starts the local KIS server over `market` with its clock at 10:00 KST on `day`, and connects.
pub async fn connect_local(ctx: &Ctx, market: MockMarket, day: NaiveDate) -> anyhow::Result<Kis> {
    connect_local_clocked(ctx, market, Arc::new(SimClock::new(Timestamp::kst(day, 10, 0)))).await
}

/// Starts the local KIS server over `market` on `clock` (shared by server and client), and connects.
pub async fn connect_local_clocked(ctx: &Ctx, market: MockMarket, clock: Arc<dyn Clock>) -> anyhow::Result<Kis> {
    let env: Environment = ctx.cfg.config.kis.env.parse().map_err(|e| config_error("kis.env", e))?;
    {
        let config = MockConfig::new(env, market).with_clock(clock.clone());
        let server = MockServer::start(config).await.context("starting the local KIS server")?;
        let (key, secret) = server.app();
        let account = AccountNo::parse(&server.account()).context("local server account")?;
        let (hook, calls) = call_log();
        let cfg = KisConfig::new(env, Credential::new(key, secret)?)
            .with_rest_url(server.base_url())
            .with_account(account)
            .with_clock(clock)
            .with_call_hook(hook);
        let broker = Arc::new(KisBroker::new(KisClient::new(cfg)?)?);
        tracing::info!(url = %server.base_url(), ws = %server.ws_url(), "Local KIS server started");
        let ws_url = Some(server.ws_url());
        Ok(Kis { broker, env, sandbox: true, server: Some(server), calls, ws_url })
    }
}

/// Connects to the sandbox service (`hantu start sandbox`), whose orders outlive this command.
fn connect_running(c: &crate::service::sandbox::Connection) -> anyhow::Result<Kis> {
    let env: Environment = c.env.parse().map_err(|e| config_error("kis.env", e))?;
    let account = AccountNo::parse(&c.account).context("sandbox account")?;
    let (hook, calls) = call_log();
    let cfg = KisConfig::new(env, Credential::new(c.app_key.clone(), c.app_secret.clone())?)
        .with_rest_url(c.url.clone())
        .with_account(account)
        .with_call_hook(hook);
    let broker = Arc::new(KisBroker::new(KisClient::new(cfg)?)?);
    tracing::info!(url = %c.url, "Using the running sandbox service");
    Ok(Kis { broker, env, sandbox: true, server: None, calls, ws_url: c.ws_url.clone() })
}

/// Starts the local KIS server with a moving market: its clock runs from 10:00 KST of a trading
/// day at wall-clock speed and its stocks trade a few times a second, over REST and WebSocket.
pub async fn connect_live_local(ctx: &Ctx) -> anyhow::Result<Kis> {
    let env: Environment = ctx.cfg.config.kis.env.parse().map_err(|e| config_error("kis.env", e))?;
    let day = sandbox_day(LiveClock.now().kst_date());
    // A clock running at wall-clock speed from 10:00 KST, so the market keeps trading while someone watches.
    let clock: Arc<dyn Clock> = Arc::new(ShiftedClock::starting_at(Timestamp::kst(day, 10, 0)));
    let config = MockConfig::new(env, MockMarket::fixture(day)).with_clock(clock.clone()).with_tape(1, 3.0);
    let server = MockServer::start(config).await.context("starting the local KIS server")?;
    let (key, secret) = server.app();
    let account = AccountNo::parse(&server.account()).context("local server account")?;
    let (hook, calls) = call_log();
    let cfg = KisConfig::new(env, Credential::new(key, secret)?)
        .with_rest_url(server.base_url())
        .with_account(account)
        .with_clock(clock)
        .with_call_hook(hook);
    let broker = Arc::new(KisBroker::new(KisClient::new(cfg)?)?);
    let ws_url = Some(server.ws_url());
    tracing::info!(url = %server.base_url(), ws = %server.ws_url(), "Local KIS server started");
    Ok(Kis { broker, env, sandbox: true, server: Some(server), calls, ws_url })
}

/// Connects to KIS as configured (`kis.env`, `kis.rest_url`, the secrets), reading time from `clock`
/// when given (a trader on a shifted clock must ask KIS for the same day it trades).
pub fn connect_kis(ctx: &Ctx, clock: Option<Arc<dyn Clock>>) -> anyhow::Result<Kis> {
    let kis = &ctx.cfg.config.kis;
    let env: Environment = kis.env.parse().map_err(|e| config_error("kis.env", e))?;
    let key = ctx.cfg.secret("HANTU_KIS_APP_KEY")?;
    let secret = ctx.cfg.secret("HANTU_KIS_APP_SECRET")?;
    let account = ctx.cfg.secret("HANTU_KIS_ACCOUNT")?;
    let credential =
        Credential::new(key.expose(), secret.expose()).map_err(|e| config_error("HANTU_KIS_APP_KEY", e))?;
    let account = AccountNo::parse(account.expose()).map_err(|e| config_error("HANTU_KIS_ACCOUNT", e))?;
    let dir = &ctx.cfg.config.data.dir;
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let (hook, calls) = call_log();
    let mut cfg = KisConfig::new(env, credential)
        .with_call_hook(hook)
        .with_account(account)
        .with_token_cache(dir.join(format!("kis-token-{}.json", kis.env)));
    if let Some(url) = &kis.rest_url {
        cfg = cfg.with_rest_url(url.clone());
    }
    if let Some(clock) = clock {
        cfg = cfg.with_clock(clock);
    }
    let broker = Arc::new(KisBroker::new(KisClient::new(cfg)?)?);
    Ok(Kis { broker, env, sandbox: false, server: None, calls, ws_url: kis.ws_url.clone() })
}

/// A single-threaded runtime for one command.
pub fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread().enable_all().build().context("starting the async runtime")
}
