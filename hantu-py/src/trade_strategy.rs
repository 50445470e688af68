//! The strategy a trader session runs, as Python gives it: a built-in by name, the picks, or a
//! Python `hantu.Strategy` (through the backtest's adapter, [`PyStrategy`], taking the GIL per
//! callback) — and a recorder of the bars it saw, for the parity check against a backtest.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use hantu_core::domain::{Bar, Fill, Order, Tick};
use hantu_core::store::{MemoryStore, SqliteStore, Store};
use hantu_core::strategies::{self, Params};
use hantu_core::strategy::{Context, Strategy};
use hantu_core::trader::{PickEntries, TradePick};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::error::{ConfigError, StoreError, ValidationError};
pub(crate) use crate::pystrategy::ErrorSink;
use crate::pystrategy::{Attach, Hooks, PyStrategy};

/// The exception a hook raised, with the hook's name, as handed back to Python.
pub(crate) type HookError = Option<(&'static str, Py<PyAny>)>;

/// Which strategy to run.
pub(crate) enum StrategySpec {
    /// A built-in by name (`sma-cross`, …).
    Builtin(String),
    /// Entries from the picks (their zones, stops and targets).
    Picks,
    /// A Python strategy.
    Python(PyStrategy<Attach>),
}

fn hook<'py>(d: &Bound<'py, PyDict>, key: &str) -> PyResult<Option<Bound<'py, PyAny>>> {
    Ok(d.get_item(key)?.filter(|v| !v.is_none()))
}

impl StrategySpec {
    /// From the Python side: `hooks` is `None` or a dict with `name`, `on_bar` and the other hooks a
    /// strategy overrides (`None` for the no-ops); `builtin` is a built-in's name.
    pub(crate) fn from_python(py: Python<'_>, builtin: Option<&str>, hooks: &Bound<'_, PyAny>) -> PyResult<Self> {
        if hooks.is_none() {
            return Ok(builtin.map_or(Self::Picks, |n| Self::Builtin(n.to_owned())));
        }
        if builtin.is_some() {
            return Err(ConfigError::new_err("config: strategy: give a built-in name or a Python strategy, not both"));
        }
        let d = hooks.cast::<PyDict>().map_err(|_| ValidationError::new_err("strategy hooks must be a dict"))?;
        let name: String = hook(d, "name")?.map_or(Ok("python".to_owned()), |n| n.extract())?;
        let on_bar = hook(d, "on_bar")?.ok_or_else(|| ValidationError::new_err("strategy: on_bar is missing"))?;
        let h = Hooks {
            on_start: hook(d, "on_start")?,
            on_bar,
            on_fill: hook(d, "on_fill")?,
            on_order_update: hook(d, "on_order_update")?,
            on_day_end: hook(d, "on_day_end")?,
            on_stop: hook(d, "on_stop")?,
        };
        let s = PyStrategy::with_gil(py, Attach, name, h)?.with_on_tick(hook(d, "on_tick")?);
        Ok(Self::Python(s))
    }

    /// The strategy to hand the trader, wrapped so `recorded` keeps the bars it is given. A Python
    /// strategy leaves its first exception in `sink`.
    pub(crate) fn build(
        self,
        params: &Params,
        picks: &[TradePick],
        max_entries: u32,
        sink: Arc<ErrorSink>,
        recorded: &Recorded,
    ) -> PyResult<Box<dyn Strategy + Send>> {
        let inner: Box<dyn Strategy + Send> = match self {
            Self::Builtin(name) => {
                strategies::by_name(&name, params).map_err(|e| ConfigError::new_err(e.to_string()))?
            }
            Self::Picks if picks.is_empty() => {
                return Err(ConfigError::new_err("config: strategy: give a strategy or picks"));
            }
            Self::Picks => Box::new(PickEntries::new(picks).with_max_entries(max_entries)),
            Self::Python(s) => Box::new(s.with_error_sink(sink)),
        };
        Ok(Box::new(Recorder { inner, bars: recorded.bars.clone() }))
    }
}

/// The bars a session's strategy was given, in order.
#[derive(Clone, Default)]
pub(crate) struct Recorded {
    bars: Arc<Mutex<Vec<Bar>>>,
}

impl Recorded {
    /// Takes the bars recorded so far.
    pub(crate) fn take_bars(&self) -> Vec<Bar> {
        std::mem::take(&mut *self.bars.lock().unwrap_or_else(std::sync::PoisonError::into_inner))
    }
}

/// A strategy that keeps every bar it passes on.
struct Recorder {
    inner: Box<dyn Strategy + Send>,
    bars: Arc<Mutex<Vec<Bar>>>,
}

impl Strategy for Recorder {
    fn name(&self) -> &str {
        self.inner.name()
    }
    fn on_start(&mut self, ctx: &mut Context<'_>) {
        self.inner.on_start(ctx);
    }
    fn on_bar(&mut self, ctx: &mut Context<'_>, bar: &Bar) {
        self.bars.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push(*bar);
        self.inner.on_bar(ctx, bar);
    }
    fn on_tick(&mut self, ctx: &mut Context<'_>, tick: &Tick) {
        self.inner.on_tick(ctx, tick);
    }
    fn on_fill(&mut self, ctx: &mut Context<'_>, fill: &Fill) {
        self.inner.on_fill(ctx, fill);
    }
    fn on_order_update(&mut self, ctx: &mut Context<'_>, order: &Order) {
        self.inner.on_order_update(ctx, order);
    }
    fn on_day_end(&mut self, ctx: &mut Context<'_>) {
        self.inner.on_day_end(ctx);
    }
    fn on_stop(&mut self, ctx: &mut Context<'_>) {
        self.inner.on_stop(ctx);
    }
}

/// The journal: the SQLite file at `path`, or memory.
pub(crate) fn open_store(path: Option<PathBuf>) -> PyResult<Arc<dyn Store>> {
    Ok(match path {
        Some(p) => Arc::new(SqliteStore::open(&p).map_err(|e| StoreError::new_err(e.to_string()))?),
        None => Arc::new(MemoryStore::new()),
    })
}
