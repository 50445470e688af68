//! `hantu.trade.run`: the trader over recorded or scripted prints, on paper, for notebooks and tests.
//!
//! The same `hantu_core::trader::Trader` the `hantu trade start` command runs, fed by a replay feed on
//! a simulated clock, with fills from the paper venue. Prints, settings and results cross as JSON text;
//! `python/hantu/trade.py` shapes them. Runs without the GIL.

use std::sync::Arc;

use hantu_core::clock::SimClock;
use hantu_core::domain::{Money, Price, StockCode, Tick, Timestamp};
use hantu_core::engine::EngineConfig;
use hantu_core::krx::FeeModel;
use hantu_core::realtime::{FeedEvent, ReplayFeed, Trade};

use hantu_core::control::{ControlRecord, ControlState};
use hantu_core::sim::PaperBroker;
use hantu_core::store::Store;
use hantu_core::strategies;
use hantu_core::trader::{ExitDefaults, RunEnd, TradePick, Trader, TraderConfig, Venue};
use pyo3::prelude::*;
use serde::Deserialize;

use crate::error::{ConfigError, DataError, HantuError};
use crate::gil::detached;
use crate::trade_strategy::{ErrorSink, HookError, Recorded, StrategySpec};

/// Settings of a replayed session.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RunConfig {
    strategy: Option<String>,
    #[serde(default)]
    params: strategies::Params,
    #[serde(default)]
    picks: Vec<TradePick>,
    #[serde(default = "default_entries")]
    max_entries: u32,
    cash: i64,
    commission_rate: Option<rust_decimal::Decimal>,
    #[serde(default)]
    exits: ExitDefaults,
    /// Control states to apply at times: `[ts_ms, "paused" | "running" | "stop" | "stop_flatten"]`.
    #[serde(default)]
    control: Vec<(i64, String)>,
}

const fn default_entries() -> u32 {
    1
}

fn control_state(s: &str) -> Option<ControlState> {
    Some(match s {
        "running" => ControlState::Running,
        "paused" => ControlState::Paused,
        "stop" => ControlState::Stop { flatten: false },
        "stop_flatten" => ControlState::Stop { flatten: true },
        _ => return None,
    })
}

fn run(
    ticks: Vec<(String, i64, i64, u64)>,
    cfg: RunConfig,
    spec: StrategySpec,
    store: Arc<dyn Store>,
    sink: &Arc<ErrorSink>,
) -> Result<String, PyErr> {
    let data = |m: String| DataError::new_err(m);
    let mut events = Vec::with_capacity(ticks.len());
    let mut codes: Vec<StockCode> = Vec::new();
    for (i, (code, ts, price, qty)) in ticks.into_iter().enumerate() {
        let code = StockCode::new_checked(&code).map_err(|e| data(format!("ticks[{i}].code: {e}")))?;
        let price = Price::new_checked(price).map_err(|e| data(format!("ticks[{i}].price: {e}")))?;
        if !codes.contains(&code) {
            codes.push(code);
        }
        events.push(FeedEvent::Trade(Trade {
            tick: Tick { code, ts: Timestamp::from_millis(ts), price, qty },
            cum_volume: 0,
        }));
    }
    let Some(first) = events.first().and_then(ReplayFeed::event_time) else {
        return Err(data("no ticks".into()));
    };
    let recorded = Recorded::default();
    let strategy = spec.build(&cfg.params, &cfg.picks, cfg.max_entries, sink.clone(), &recorded)?;
    let clock = Arc::new(SimClock::new(first));
    let fees =
        FeeModel { commission_rate: cfg.commission_rate.unwrap_or(FeeModel::default().commission_rate), tax: true };
    let paper = Arc::new(
        PaperBroker::new()
            .with_cash(Money::from_won(cfg.cash))
            .with_clock(clock.clone())
            .with_fees(fees)
            .with_fill_on_next_price(),
    );
    let tcfg = TraderConfig {
        mode: "paper".into(),
        engine: EngineConfig { fees, ..EngineConfig::default() },
        exits: cfg.exits,
        stop_after_close: true,
        ..TraderConfig::default()
    };
    let core = |e: hantu_core::Error| HantuError::new_err(e.to_string());
    let mut trader = Trader::new(tcfg, strategy, Venue::Paper(paper), store.clone(), clock.clone(), &codes)
        .map_err(core)?
        .with_picks(&cfg.picks);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| HantuError::new_err(e.to_string()))?;
    let mut control = cfg.control;
    control.sort_by_key(|(t, _)| *t);
    let out = rt.block_on(async {
        trader.start().await.map_err(core)?;
        let mut end = RunEnd::FeedEnded;
        let mut next_control = 0;
        let mut last_timer = first.millis();
        for ev in events {
            let t = ReplayFeed::event_time(&ev).map_or(last_timer, Timestamp::millis);
            // Operator actions due by this print reach the store first, as another process would put them.
            while next_control < control.len() && control[next_control].0 <= t {
                let (at, state) = &control[next_control];
                let state =
                    control_state(state).ok_or_else(|| ConfigError::new_err(format!("control state {state:?}")))?;
                let rec = ControlRecord { state, by: "python".into(), at: Timestamp::from_millis(*at), reason: None };
                hantu_core::control::set_control(store.as_ref(), &rec)
                    .map_err(|e| HantuError::new_err(e.to_string()))?;
                next_control += 1;
            }
            clock.set(Timestamp::from_millis(t));
            // The timer runs as it would live: at least every 250 ms of session time.
            if t - last_timer >= 250 {
                trader.housekeeping().await.map_err(core)?;
                last_timer = t;
            }
            if sink.failed() {
                end = RunEnd::Shutdown; // a Python hook raised: stop as the trader stops on SIGTERM
                break;
            }
            // After a stop, prints still come until the flatten's sells (filled at a later print) are done.
            if matches!(trader.control(), ControlState::Stop { .. }) {
                end = RunEnd::Stopped;
                if trader.engine().open_orders().is_empty() {
                    break;
                }
            }
            trader.on_event(ev).await.map_err(core)?;
        }
        if next_control < control.len() {
            trader.housekeeping().await.map_err(core)?;
        }
        trader.finish(end).await.map_err(core)?;
        let report = trader.report().map_err(core)?;
        Ok::<_, PyErr>(session_json(&trader, end, &report))
    })?;
    serde_json::to_string(&out).map_err(|e| DataError::new_err(e.to_string()))
}

/// What a trader session ended with, as both the replay and the live run return it: how it
/// ended, its report, every order (finished, then open), the fills, cash, equity, positions,
/// whether new buys were gated and the control state.
pub(crate) fn session_json(trader: &Trader, end: RunEnd, report: &impl serde::Serialize) -> serde_json::Value {
    let engine = trader.engine();
    let mut orders: Vec<_> = engine.finished_orders().to_vec();
    orders.extend(engine.open_orders().iter().cloned());
    serde_json::json!({
        "end": end,
        "report": report,
        "orders": orders,
        "fills": engine.fills(),
        "cash": engine.portfolio().cash(),
        "equity": engine.portfolio().equity(),
        "positions": engine.portfolio().positions().collect::<Vec<_>>(),
        "gated": trader.gated(),
        "control": trader.control().as_str(),
    })
}

/// Replays `ticks` (`(code, utc_ms, price, qty)` rows) through the trader on paper with the settings
/// in `config` (JSON) and a built-in or picks, or the Python strategy whose hooks are in `strategy`
/// (as for `trade_live`); journals to the SQLite file `store` (or memory). Returns the session as
/// JSON and `(hook, exception)` if a hook raised.
#[pyfunction]
#[pyo3(name = "trade_replay", signature = (ticks, config, store = None, strategy = None))]
pub(crate) fn py_trade_replay(
    py: Python<'_>,
    ticks: Vec<(String, i64, i64, u64)>,
    config: &str,
    store: Option<std::path::PathBuf>,
    strategy: Option<Bound<'_, PyAny>>,
) -> PyResult<(String, HookError)> {
    let cfg: RunConfig =
        serde_json::from_str(config).map_err(|e| ConfigError::new_err(format!("trade config: {e}")))?;
    let hooks = strategy.unwrap_or_else(|| py.None().into_bound(py));
    let spec = StrategySpec::from_python(py, cfg.strategy.as_deref(), &hooks)?;
    let store = crate::trade_strategy::open_store(store)?;
    let sink = Arc::new(ErrorSink::new(Arc::new(std::sync::atomic::AtomicBool::new(false))));
    let json = detached(py, || run(ticks, cfg, spec, store, &sink))?;
    let error = sink.take().map(|(hook, e)| (hook, e.into_value(py).into_any()));
    Ok((json, error))
}
