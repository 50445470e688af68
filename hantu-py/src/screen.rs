//! Screening (phase 1) and selection (phase 2) over bars held in a [`PyBarData`].
//!
//! Configs arrive as TOML text or as JSON (the Python side serialises dicts); both go through
//! the core's serde types and `validate`, so errors name the key exactly as the CLI's do.

use chrono::NaiveDate;
use hantu_core::domain::{Fundamentals, Instrument, Market, Money, StockCode};
use hantu_core::screen::{ScreenConfig, ScreenResult, Screener, Universe};
use hantu_core::select::{Factor, SelectConfig, Selection, Selector};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};
use serde::de::DeserializeOwned;

use crate::backtest::{InstrumentRows, parse_instruments};
use crate::error::{ConfigError, DataError, core_err, validation_err};
use crate::frames::PyBarData;
use crate::gil::detached;

/// Parses a config given as `("toml", text)` or `("json", text)`; `validate` checks it.
/// A config given as TOML or JSON text (`kind`), parsed and validated.
pub(crate) fn parse<T: DeserializeOwned>(
    kind: &str,
    text: &str,
    from_toml: impl Fn(&str) -> hantu_core::Result<T>,
    validate: impl Fn(&T) -> hantu_core::Result<()>,
) -> PyResult<T> {
    match kind {
        "toml" => from_toml(text).map_err(core_err),
        "json" => {
            let de = &mut serde_json::Deserializer::from_str(text);
            let cfg: T =
                serde::Deserialize::deserialize(de).map_err(|e| ConfigError::new_err(format!("config: {e}")))?;
            validate(&cfg).map_err(core_err)?;
            Ok(cfg)
        }
        _ => Err(ConfigError::new_err(format!("config: unknown config format {kind:?}"))),
    }
}

fn parse_date(s: &str, what: &str) -> PyResult<NaiveDate> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map_err(|e| ConfigError::new_err(format!("config: {what}: {s:?}: {e} (expected YYYY-MM-DD)")))
}

/// The universe of `data`: given instruments (else every stock as a KOSPI stock named by its
/// code) and fundamentals as JSON records.
fn universe(data: &PyBarData, instruments: Option<InstrumentRows>, fundamentals: Option<&str>) -> PyResult<Universe> {
    let mut inst = parse_instruments(instruments)?;
    if inst.is_empty() {
        inst = data.series.iter().map(|(c, _)| Instrument::stock(*c, c.as_str(), Market::Kospi, None)).collect();
    }
    let funds: Vec<Fundamentals> = match fundamentals {
        Some(json) => serde_json::from_str(json).map_err(|e| DataError::new_err(format!("fundamentals: {e}")))?,
        None => Vec::new(),
    };
    Universe::new(inst, data.series.iter().cloned(), funds).map_err(core_err)
}

fn screen_dict<'py>(py: Python<'py>, screener: &Screener, r: &ScreenResult) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    let es = &r.entries;
    d.set_item("rank", es.iter().map(|e| e.rank).collect::<Vec<_>>())?;
    d.set_item("code", PyList::new(py, es.iter().map(|e| e.code.as_str()))?)?;
    d.set_item("name", PyList::new(py, es.iter().map(|e| e.name.as_str()))?)?;
    d.set_item("market", PyList::new(py, es.iter().map(|e| e.market.as_str()))?)?;
    d.set_item("sector", PyList::new(py, es.iter().map(|e| e.sector.as_deref()))?)?;
    d.set_item("score", es.iter().map(|e| e.score.unwrap_or(f64::NAN)).collect::<Vec<_>>())?;
    let criteria = PyDict::new(py);
    for (j, c) in screener.columns().iter().enumerate() {
        let col: Vec<f64> = es.iter().map(|e| e.values.get(j).copied().flatten().unwrap_or(f64::NAN)).collect();
        criteria.set_item(c.to_string(), col)?;
    }
    let out = PyDict::new(py);
    out.set_item("entries", d)?;
    out.set_item("criteria", criteria)?;
    out.set_item("as_of", r.as_of.to_string())?;
    out.set_item("screen", &r.screen)?;
    out.set_item("version", &r.version)?;
    out.set_item("fingerprint", format!("{:016x}", r.fingerprint))?;
    out.set_item("universe_size", r.universe_size)?;
    out.set_item("evaluated", r.evaluated)?;
    Ok(out)
}

fn selection_dict<'py>(py: Python<'py>, s: &Selection) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    let ps = &s.picks;
    d.set_item("rank", ps.iter().map(|p| p.rank).collect::<Vec<_>>())?;
    d.set_item("code", PyList::new(py, ps.iter().map(|p| p.code.as_str()))?)?;
    d.set_item("name", PyList::new(py, ps.iter().map(|p| p.name.as_str()))?)?;
    d.set_item("sector", PyList::new(py, ps.iter().map(|p| p.sector.as_deref()))?)?;
    d.set_item("score", ps.iter().map(|p| p.score).collect::<Vec<_>>())?;
    d.set_item("class", PyList::new(py, ps.iter().map(|p| p.class.as_str()))?)?;
    d.set_item("confidence", ps.iter().map(|p| p.confidence).collect::<Vec<_>>())?;
    for (name, get) in [
        ("close", (|p| p.close.won()) as fn(&hantu_core::select::Pick) -> i64),
        ("entry_low", |p| p.entry_low.won()),
        ("entry_high", |p| p.entry_high.won()),
        ("stop", |p| p.stop.won()),
        ("target", |p| p.target.won()),
        ("qty", |p| i64::try_from(p.qty.get()).unwrap_or(i64::MAX)),
    ] {
        d.set_item(name, ps.iter().map(get).collect::<Vec<_>>())?;
    }
    for (k, f) in Factor::ALL.iter().enumerate() {
        let col: Vec<f64> = ps.iter().map(|p| p.factors.get(k).and_then(|x| x.score).unwrap_or(f64::NAN)).collect();
        d.set_item(f.as_str(), col)?;
    }
    let out = PyDict::new(py);
    out.set_item("picks", d)?;
    let refused = PyDict::new(py);
    refused.set_item("code", PyList::new(py, s.refused.iter().map(|r| r.code.as_str()))?)?;
    refused.set_item("reason", PyList::new(py, s.refused.iter().map(|r| r.reason.as_str()))?)?;
    out.set_item("refused", refused)?;
    out.set_item("as_of", s.as_of.to_string())?;
    out.set_item("config", &s.config)?;
    out.set_item("weights_version", &s.weights_version)?;
    out.set_item("fingerprint", format!("{:016x}", s.fingerprint))?;
    Ok(out)
}

/// Screens `data` as of a date (default: its last date) without the GIL.
#[pyfunction]
#[pyo3(name = "screen_run", signature = (data, kind, config, as_of = None, instruments = None, fundamentals = None))]
#[allow(clippy::too_many_arguments, reason = "mirrors the Python keyword arguments")]
pub(crate) fn py_screen_run<'py>(
    py: Python<'py>,
    data: &PyBarData,
    kind: &str,
    config: &str,
    as_of: Option<&str>,
    instruments: Option<InstrumentRows>,
    fundamentals: Option<&str>,
) -> PyResult<Bound<'py, PyDict>> {
    let cfg: ScreenConfig = parse(kind, config, ScreenConfig::from_toml_str, ScreenConfig::validate)?;
    let screener = Screener::new(cfg).map_err(core_err)?;
    let as_of = as_of.map(|s| parse_date(s, "as_of")).transpose()?;
    let (screener, result) = detached(py, move || -> PyResult<_> {
        let u = universe(data, instruments, fundamentals)?;
        let day = as_of.or_else(|| u.last_date()).ok_or_else(|| DataError::new_err("no bars to screen"))?;
        let r = screener.run(&u, day).map_err(core_err)?;
        Ok((screener, r))
    })?;
    screen_dict(py, &screener, &result)
}

/// Screens then selects (phase 1 and 2) as of a date, without the GIL. Returns
/// `(screen, selection)` tables.
#[pyfunction]
#[pyo3(name = "select_run", signature = (data, screen_kind, screen, select_kind, select, as_of = None, held = Vec::new(), equity = 100_000_000.0, instruments = None, fundamentals = None, store = None))]
#[allow(clippy::too_many_arguments, reason = "mirrors the Python keyword arguments")]
pub(crate) fn py_select_run<'py>(
    py: Python<'py>,
    data: &PyBarData,
    screen_kind: &str,
    screen: &str,
    select_kind: &str,
    select: &str,
    as_of: Option<&str>,
    held: Vec<String>,
    equity: f64,
    instruments: Option<InstrumentRows>,
    fundamentals: Option<&str>,
    store: Option<PyRef<'py, crate::store::PyStore>>,
) -> PyResult<(Bound<'py, PyDict>, Bound<'py, PyDict>)> {
    let screen_cfg: ScreenConfig = parse(screen_kind, screen, ScreenConfig::from_toml_str, ScreenConfig::validate)?;
    let select_cfg: SelectConfig = parse(select_kind, select, SelectConfig::from_toml_str, SelectConfig::validate)?;
    let store = store.as_deref().map(crate::store::PyStore::store);
    let screener = Screener::new(screen_cfg).map_err(core_err)?;
    let selector = Selector::new(select_cfg).map_err(core_err)?;
    let held: Vec<StockCode> =
        held.iter().map(|c| StockCode::new_checked(c).map_err(|e| validation_err(&e))).collect::<PyResult<_>>()?;
    let equity = Money::from_f64(equity).map_err(|e| validation_err(&e))?;
    let as_of = as_of.map(|s| parse_date(s, "as_of")).transpose()?;
    let (screener, watchlist, selection) = detached(py, move || -> PyResult<_> {
        let u = universe(data, instruments, fundamentals)?;
        let day = as_of.or_else(|| u.last_date()).ok_or_else(|| DataError::new_err("no bars to screen"))?;
        let w = screener.run(&u, day).map_err(core_err)?;
        // With a store, the weights version in force that day applies and the picks are kept (for
        // `hantu.learn`), as `hantu select` does.
        let selector = match store {
            Some(st) => {
                let cfg = hantu_core::learn::config_in_force(st, selector.config(), day, None).map_err(core_err)?;
                Selector::new(cfg).map_err(core_err)?
            }
            None => selector,
        };
        let s = selector.select(&u, &w, &held, equity).map_err(core_err)?;
        if let Some(st) = store {
            s.save(&selector, st, None).map_err(core_err)?;
        }
        Ok((screener, w, s))
    })?;
    Ok((screen_dict(py, &screener, &watchlist)?, selection_dict(py, &selection)?))
}
