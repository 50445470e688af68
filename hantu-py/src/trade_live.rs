//! `hantu.trade.run(..., venue=...)`: the trader (the one `hantu trade start` runs) against a real
//! market — the local KIS server, KIS on paper, or KIS live — with a built-in strategy, picks, or a
//! Python `hantu.Strategy`.
//!
//! - **sandbox**: the local KIS server in process (REST and WebSocket over 127.0.0.1, its market
//!   trading a seeded tape) on a clock that starts at `start_at` and runs `speed` times the wall
//!   clock; prices and orders from it, as `hantu --sandbox trade start` does.
//! - **paper**: prices from KIS (or the local server, `market = "local"`), fills simulated in
//!   process by the backtest venue's rules.
//! - **live**: prices and orders at KIS.
//!
//! A Python strategy runs through the backtest's adapter ([`PyStrategy`]) over [`Attach`]: the run
//! holds no GIL, so it waits on the network while other Python threads run, and takes the GIL for
//! each callback. Every 100 ms it also looks at signals (Ctrl-C raises `KeyboardInterrupt` in the
//! main thread) and the caller's stop event. Those, a bound (`until`, `duration`, `max_events`) and
//! a hook that raises all end the run as SIGTERM ends the CLI: no new orders, the request in flight
//! finished, a last reconcile with the broker, positions and status persisted. Settings and
//! results cross as JSON; `python/hantu/trade.py` shapes them.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use hantu_core::clock::{Clock, LiveClock};
use hantu_core::domain::{Bar, Money, StockCode, Tick, Timestamp};
use hantu_core::engine::EngineConfig;
use hantu_core::krx::{FeeModel, KrxCalendar};
use hantu_core::risk::RiskLimits;
use hantu_core::store::Store;
use hantu_core::strategy::Strategy;
use hantu_core::trader::{self, ExitDefaults, RunEnd, TradePick, Trader, TraderConfig, Venue};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use serde::Deserialize;

use crate::error::{BrokerError, ConfigError, DataError, HantuError, core_err};
use crate::frames::bars_to_columns;
use crate::gil::detached;
use crate::trade::session_json;
use crate::trade_market::{Counted, ScaledClock, StopReason, TokioSleeper, connect_kis, connect_sandbox};
use crate::trade_strategy::{ErrorSink, HookError, Recorded, StrategySpec};

/// Settings of a session (the Python keyword arguments). No `Debug`: it holds the app secret.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LiveConfig {
    venue: String,
    /// Paper only: where prices come from, `kis` (default) or `local`.
    market: Option<String>,
    codes: Vec<String>,
    strategy: Option<String>,
    #[serde(default)]
    params: hantu_core::strategies::Params,
    #[serde(default)]
    picks: Vec<TradePick>,
    #[serde(default = "one")]
    max_entries: u32,
    cash: Option<i64>,
    commission_rate: Option<rust_decimal::Decimal>,
    #[serde(default)]
    exits: ExitDefaults,
    #[serde(default)]
    risk: RiskLimits,
    /// Clock start (UTC ms); sandbox default 10:00 KST of the latest trading day.
    start_at: Option<i64>,
    #[serde(default = "one_f")]
    speed: f64,
    /// Stop when the session clock reaches this (UTC ms).
    until: Option<i64>,
    /// Stop when the session clock reaches this KST time of the session's day.
    until_time: Option<chrono::NaiveTime>,
    /// Stop after this many wall-clock seconds.
    duration: Option<f64>,
    /// Stop after this many trade prints.
    max_events: Option<u64>,
    #[serde(default)]
    keep_running: bool,
    #[serde(default)]
    kis: KisSettings,
    #[serde(default)]
    sandbox: SandboxSettings,
}

const fn one() -> u32 {
    1
}

const fn one_f() -> f64 {
    1.0
}

/// KIS connection (paper and live), as the CLI reads it from `HANTU_KIS_*`.
#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct KisSettings {
    pub env: Option<String>,
    pub app_key: Option<String>,
    pub app_secret: Option<String>,
    pub account: Option<String>,
    pub url: Option<String>,
    pub ws_url: Option<String>,
    pub hts_id: Option<String>,
    pub token_cache: Option<PathBuf>,
}

/// The local server's market. Its rules are KIS's real environment by default: the paper
/// environment's two requests a second would hold a fast sandbox clock back.
#[derive(Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct SandboxSettings {
    pub env: String,
    pub seed: u64,
    pub trades_per_sec: f64,
}

impl Default for SandboxSettings {
    fn default() -> Self {
        Self { env: "real".into(), seed: 1, trades_per_sec: 2.0 }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Sandbox,
    Paper,
    Live,
}

impl Mode {
    const fn as_str(self) -> &'static str {
        match self {
            Self::Sandbox => "sandbox",
            Self::Paper => "paper",
            Self::Live => "live",
        }
    }
}

/// Checks the settings, listing every problem at once.
fn validate(cfg: &LiveConfig) -> PyResult<(Mode, Vec<StockCode>)> {
    let mut problems = Vec::new();
    let mode = match cfg.venue.as_str() {
        "sandbox" => Some(Mode::Sandbox),
        "paper" => Some(Mode::Paper),
        "live" => Some(Mode::Live),
        v => {
            problems.push(format!("venue: {v:?} must be \"sandbox\", \"paper\" or \"live\""));
            None
        }
    };
    let mut codes = Vec::new();
    for c in &cfg.codes {
        match StockCode::new_checked(c) {
            Ok(code) if !codes.contains(&code) => codes.push(code),
            Ok(_) => {}
            Err(e) => problems.push(format!("codes: {e}")),
        }
    }
    if codes.is_empty() && cfg.picks.is_empty() {
        problems.push("codes: give the codes to watch and trade".to_owned());
    }
    if !(cfg.speed.is_finite() && cfg.speed > 0.0 && cfg.speed <= 600.0) {
        problems.push(format!("speed: {} must be in (0, 600]", cfg.speed));
    } else if cfg.speed != 1.0 && !(mode == Some(Mode::Sandbox) || cfg.market.as_deref() == Some("local")) {
        problems.push("speed: only the local server's market runs on a faster clock".to_owned());
    }
    match (&cfg.market, mode) {
        (None, _) => {}
        (Some(m), Some(Mode::Paper)) if m == "kis" || m == "local" => {}
        (Some(m), Some(Mode::Paper)) => problems.push(format!("market: {m:?} must be \"kis\" or \"local\"")),
        (Some(_), _) => problems.push("market: only a paper session chooses where prices come from".to_owned()),
    }
    if cfg.max_events == Some(0) {
        problems.push("max_events: must be at least 1".to_owned());
    }
    if cfg.duration.is_some_and(|d| !(d.is_finite() && d > 0.0)) {
        problems.push("duration: must be a positive number of seconds".to_owned());
    }
    if cfg.cash.is_some_and(|c| c < 0) {
        problems.push("cash: must not be negative".to_owned());
    }
    if !(cfg.sandbox.trades_per_sec.is_finite() && cfg.sandbox.trades_per_sec > 0.0) {
        problems.push("trades_per_sec: must be positive".to_owned());
    }
    let needs_kis =
        matches!(mode, Some(Mode::Live)) || (mode == Some(Mode::Paper) && cfg.market.as_deref() != Some("local"));
    if needs_kis {
        let k = &cfg.kis;
        for (name, v) in [
            ("HANTU_KIS_APP_KEY", &k.app_key),
            ("HANTU_KIS_APP_SECRET", &k.app_secret),
            ("HANTU_KIS_ACCOUNT", &k.account),
        ] {
            if v.as_deref().is_none_or(|v| v.trim().is_empty()) {
                problems.push(format!("kis: {name} is not set"));
            }
        }
    }
    if let Err(e) = cfg.exits.validate() {
        problems.push(e.to_string());
    }
    if let Err(e) = cfg.risk.validate() {
        problems.push(e.to_string());
    }
    match mode {
        Some(m) if problems.is_empty() => Ok((m, codes)),
        _ => Err(ConfigError::new_err(format!("config: {}", problems.join("; ")))),
    }
}

/// What a session did, for Python.
pub(crate) struct Outcome {
    pub json: String,
    pub bars: Vec<Bar>,
    pub ticks: Vec<Tick>,
}

/// A print as Python gets it: `(code, utc ms, price, qty)`.
type TickRow = (String, i64, i64, u64);

/// Everything the session needs from Python, taken before the GIL is released.
pub(crate) struct Inputs {
    pub spec: StrategySpec,
    pub store: Arc<dyn Store>,
    pub stop_event: Option<Py<PyAny>>,
}

/// Runs one session. Called without the GIL.
fn session(cfg: LiveConfig, inputs: Inputs) -> PyResult<(Outcome, Option<(&'static str, PyErr)>)> {
    let (mode, codes) = validate(&cfg)?;
    let Inputs { spec, store, stop_event } = inputs;
    let shutdown = Arc::new(AtomicBool::new(false));
    let sink = Arc::new(ErrorSink::new(shutdown.clone()));
    let recorded = Recorded::default();
    let strategy = spec.build(&cfg.params, &cfg.picks, cfg.max_entries, sink.clone(), &recorded)?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("hantu-trade")
        .enable_all()
        .build()
        .map_err(|e| BrokerError::new_err(format!("cannot start the I/O runtime: {e}")))?;
    let reason = Arc::new(StopReason::default());
    let out = rt.block_on(run_session(&cfg, mode, codes, strategy, store, &shutdown, &reason, stop_event.as_ref()))?;
    let (json, ticks) = out;
    let error = sink.take();
    let bars = recorded.take_bars();
    Ok((Outcome { json, bars, ticks }, error))
}

#[allow(clippy::too_many_arguments, reason = "the pieces of one session")]
async fn run_session(
    cfg: &LiveConfig,
    mode: Mode,
    codes: Vec<StockCode>,
    strategy: Box<dyn Strategy + Send>,
    store: Arc<dyn Store>,
    shutdown: &Arc<AtomicBool>,
    reason: &Arc<StopReason>,
    stop_event: Option<&Py<PyAny>>,
) -> PyResult<(String, Vec<Tick>)> {
    let wall = LiveClock.now();
    let start = cfg.start_at.map(Timestamp::from_millis);
    let local_prices = mode == Mode::Sandbox || cfg.market.as_deref() == Some("local");
    let clock: Arc<dyn Clock> = match (local_prices, start) {
        (true, s) => {
            let today = wall.kst_date();
            let day = if KrxCalendar::is_trading_day(today) { today } else { KrxCalendar::prev_trading_day(today) };
            let start = s.unwrap_or_else(|| Timestamp::kst(day, 10, 0));
            Arc::new(ScaledClock { start, origin: Instant::now(), speed: cfg.speed })
        }
        (_, Some(s)) => {
            tracing::warn!("Trading on a shifted clock: sessions and dates follow start_at, not the wall clock");
            Arc::new(ScaledClock { start: s, origin: Instant::now(), speed: 1.0 })
        }
        (_, None) => Arc::new(LiveClock),
    };
    let cash = cfg.cash.unwrap_or(10_000_000);
    let conn = if local_prices {
        connect_sandbox(&cfg.sandbox, clock.clone(), cash).await?
    } else {
        connect_kis(&cfg.kis, clock.clone()).await?
    };
    let fees =
        FeeModel { commission_rate: cfg.commission_rate.unwrap_or(FeeModel::default().commission_rate), tax: true };
    let venue = if mode == Mode::Paper {
        Venue::paper(Money::from_won(cash), clock.clone(), fees)
    } else {
        Venue::Broker(conn.broker.clone())
    };
    let tcfg = TraderConfig {
        mode: mode.as_str().to_owned(),
        engine: EngineConfig { fees, limits: cfg.risk.clone(), ..EngineConfig::default() },
        exits: cfg.exits,
        stop_after_close: !cfg.keep_running,
        ..TraderConfig::default()
    };
    let now = clock.now();
    let mut feed = Counted {
        inner: conn.feed,
        max: cfg.max_events,
        seen: 0,
        last_cum: HashMap::new(),
        ticks: Vec::new(),
        shutdown: shutdown.clone(),
        reason: reason.clone(),
    };
    let server = conn.server;
    let account = match &server {
        Some(s) => s.account(),
        None => cfg.kis.account.clone().unwrap_or_default(),
    };
    let result = async {
        // One trader per account and store, as `hantu trade start` has it: a second one would take the
        // first one's working orders for unknown ones at start-up. Paper orders never leave the process.
        let _lock = if mode == Mode::Paper {
            None
        } else {
            match store.try_lock_account(&account).map_err(|e| core_err(e.into()))? {
                Some(lock) => Some(lock),
                None => {
                    return Err(HantuError::new_err(
                        "another trader holds this account on this store; stop it first (hantu trade stop)",
                    ));
                }
            }
        };
        trader::clear_stale_stop(store.as_ref(), "python:start", now).map_err(|e| core_err(e.into()))?;
        let mut trader = Trader::new(tcfg, strategy, venue, store.clone(), clock.clone(), &codes)
            .map_err(core_err)?
            .with_picks(&cfg.picks);
        let closes = trader::prev_closes(conn.broker.as_ref(), trader.codes()).await;
        trader.set_prev_closes(&closes);
        trader.start().await.map_err(core_err)?;
        trader.subscribe(&mut feed).await.map_err(|e| BrokerError::new_err(e.to_string()))?;
        tracing::info!(mode = mode.as_str(), codes = trader.codes().len(), "Trader started from Python");
        let started = Instant::now();
        let until =
            cfg.until.or_else(|| cfg.until_time.map(|t| Timestamp::from_kst(now.kst_date().and_time(t)).millis()));
        let watch = watch(shutdown, reason, stop_event, clock.as_ref(), until, cfg.duration, started);
        let end = tokio::select! {
            r = trader.run(&mut feed, &TokioSleeper, shutdown) => r.map_err(core_err)?,
            () = watch => RunEnd::Shutdown,
        };
        let report = trader.report().map_err(core_err)?;
        let server_view = server.as_ref().map(|s| {
            let fills = s.fills();
            let holdings: HashMap<String, u64> =
                trader.codes().iter().map(|c| (c.to_string(), s.holding(*c))).collect();
            serde_json::json!({
                "url": s.base_url(),
                "fills": fills.len(),
                "filled_qty": fills.iter().map(|f| f.qty).sum::<u64>(),
                "orders": s.stats().order_submissions,
                "cash": s.cash(),
                "holdings": holdings,
            })
        });
        let mut value = session_json(&trader, end, &report);
        if let Some(fields) = value.as_object_mut() {
            fields.extend([
                ("venue".to_owned(), serde_json::json!(mode.as_str())),
                ("reason".to_owned(), serde_json::json!(reason.get())),
                ("events".to_owned(), serde_json::json!(feed.seen)),
                ("restore".to_owned(), serde_json::json!(trader.restore_summary())),
                ("started_at".to_owned(), serde_json::json!(now)),
                ("ended_at".to_owned(), serde_json::json!(clock.now())),
                ("server".to_owned(), serde_json::json!(server_view)),
            ]);
        }
        serde_json::to_string(&value).map_err(|e| DataError::new_err(e.to_string()))
    }
    .await;
    let Counted { inner, ticks, .. } = feed;
    inner.close().await;
    if let Some(s) = server {
        s.stop().await;
    }
    result.map(|json| (json, ticks))
}

/// Raises the shutdown flag when a bound is reached, Python has a pending signal (Ctrl-C), or the
/// caller's stop event is set. Never returns.
async fn watch(
    shutdown: &AtomicBool,
    reason: &StopReason,
    stop_event: Option<&Py<PyAny>>,
    clock: &dyn Clock,
    until: Option<i64>,
    duration: Option<f64>,
    started: Instant,
) {
    loop {
        tokio::time::sleep(Duration::from_millis(100)).await;
        if until.is_some_and(|u| clock.now().millis() >= u) {
            reason.stop("until", shutdown);
        }
        if duration.is_some_and(|d| started.elapsed().as_secs_f64() >= d) {
            reason.stop("duration", shutdown);
        }
        let (interrupted, stop_set) = Python::attach(|py| {
            // A pending KeyboardInterrupt (or another signal handler's exception) ends the run; it
            // is reported in the session rather than raised, so the caller gets the session back.
            let interrupted = py.check_signals().is_err();
            let stop_set = stop_event
                .is_some_and(|e| e.bind(py).call_method0("is_set").and_then(|v| v.is_truthy()).unwrap_or(false));
            (interrupted, stop_set)
        });
        if interrupted {
            reason.stop("interrupted", shutdown);
        }
        if stop_set {
            reason.stop("stop_event", shutdown);
        }
    }
}

/// Runs the trader live, on paper or in the sandbox (settings as JSON) with the strategy given by
/// `strategy` (a built-in's name in the settings, picks, or a Python strategy's hooks), journaling
/// to the SQLite file `store` (or memory). Returns `(session JSON, bars the strategy saw, ticks
/// (code, utc ms, price, qty), (hook, exception) if a hook raised)`.
#[pyfunction]
#[pyo3(name = "trade_live", signature = (config, strategy, store = None, stop = None))]
pub(crate) fn py_trade_live<'py>(
    py: Python<'py>,
    config: &str,
    strategy: &Bound<'py, PyAny>,
    store: Option<PathBuf>,
    stop: Option<Bound<'py, PyAny>>,
) -> PyResult<(String, Bound<'py, PyDict>, Vec<TickRow>, HookError)> {
    let cfg: LiveConfig =
        serde_json::from_str(config).map_err(|e| ConfigError::new_err(format!("config: trade: {e}")))?;
    let spec = StrategySpec::from_python(py, cfg.strategy.as_deref(), strategy)?;
    let store = crate::trade_strategy::open_store(store)?;
    let inputs = Inputs { spec, store, stop_event: stop.map(Bound::unbind) };
    let (out, error) = detached(py, move || session(cfg, inputs))?;
    let bars = bars_to_columns(py, &out.bars)?;
    let ticks = out.ticks.iter().map(|t| (t.code.to_string(), t.ts.millis(), t.price.won(), t.qty)).collect();
    // Ctrl-C inside a hook raises there; the caller tells it from a strategy error by its class.
    let error = error.map(|(hook, e)| (hook, e.into_value(py).into_any()));
    Ok((out.json, bars, ticks, error))
}
