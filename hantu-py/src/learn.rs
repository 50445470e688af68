//! `hantu.learn`: phase 4 over a `hantu.Store` — the post-close update, outcomes, accuracy,
//! weights versions and rollback. Records cross as JSON text of the core's serde types, which
//! `python/hantu/learn.py` turns into DataFrames.

use chrono::NaiveDate;
use hantu_core::learn::{LearnConfig, accuracy, rollback, update};
use hantu_core::select::FactorWeights;
use hantu_core::store::Store;
use pyo3::prelude::*;

use crate::error::{ConfigError, DataError, StoreError, core_err};
use crate::gil::detached;
use crate::screen::parse;
use crate::store::PyStore;

fn day(s: Option<&str>, what: &str) -> PyResult<Option<NaiveDate>> {
    s.map(|s| {
        NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .map_err(|e| ConfigError::new_err(format!("{what}: {s:?}: {e} (expected YYYY-MM-DD)")))
    })
    .transpose()
}

fn json<T: serde::Serialize>(v: &T) -> PyResult<String> {
    serde_json::to_string(v).map_err(|e| DataError::new_err(e.to_string()))
}

/// The store's last trading day (the latest daily bar of any instrument).
fn last_day(store: &dyn Store) -> PyResult<NaiveDate> {
    let (start, end) = (NaiveDate::from_ymd_opt(1990, 1, 1).unwrap_or_default(), NaiveDate::MAX);
    let mut last = None;
    for i in store.instruments().map_err(|e| StoreError::new_err(e.to_string()))? {
        let bars = store.daily_bars(i.code, start, end).map_err(|e| StoreError::new_err(e.to_string()))?;
        last = last.max(bars.last().map(|b| b.ts.kst_date()));
    }
    last.ok_or_else(|| DataError::new_err("the store has no daily bars"))
}

/// Runs the post-close learning step as of `as_of` (default: the store's last day), with settings
/// given as TOML or JSON text and the selection's starting weights as JSON. Returns the report as JSON.
#[pyfunction]
#[pyo3(name = "learn_update", signature = (store, as_of = None, config_kind = None, config = None, weights = None))]
pub(crate) fn py_learn_update(
    py: Python<'_>,
    store: &PyStore,
    as_of: Option<&str>,
    config_kind: Option<&str>,
    config: Option<&str>,
    weights: Option<&str>,
) -> PyResult<String> {
    let cfg = match (config_kind, config) {
        (Some(kind), Some(text)) => parse(kind, text, LearnConfig::from_toml_str, LearnConfig::validate)?,
        _ => LearnConfig::default(),
    };
    let base: FactorWeights = match weights {
        Some(w) => serde_json::from_str(w).map_err(|e| ConfigError::new_err(format!("weights: {e}")))?,
        None => FactorWeights::default(),
    };
    let as_of = day(as_of, "as_of")?;
    let inner = store.store();
    let report = detached(py, || -> PyResult<_> {
        let d = match as_of {
            Some(d) => d,
            None => last_day(inner)?,
        };
        update(inner, d, &base, &cfg).map_err(core_err)
    })?;
    json(&report)
}

/// Predictions with their outcomes measured on or after `since`, as JSON `[prediction, outcome]` pairs.
#[pyfunction]
#[pyo3(name = "learn_outcomes", signature = (store, since = None))]
pub(crate) fn py_learn_outcomes(py: Python<'_>, store: &PyStore, since: Option<&str>) -> PyResult<String> {
    let since = day(since, "since")?.unwrap_or(NaiveDate::MIN);
    let inner = store.store();
    json(&detached(py, || inner.outcomes_since(since)).map_err(|e| StoreError::new_err(e.to_string()))?)
}

/// The accuracy report of outcomes measured on or after `since`, as JSON.
#[pyfunction]
#[pyo3(name = "learn_accuracy", signature = (store, since = None))]
pub(crate) fn py_learn_accuracy(py: Python<'_>, store: &PyStore, since: Option<&str>) -> PyResult<String> {
    let since = day(since, "since")?.unwrap_or(NaiveDate::MIN);
    let inner = store.store();
    let rows = detached(py, || inner.outcomes_since(since)).map_err(|e| StoreError::new_err(e.to_string()))?;
    json(&accuracy(&rows))
}

/// Picks of days on or after `since` that were traded, linked to their round trips, as JSON
/// `{"summary": …, "picks": […]}`.
#[pyfunction]
#[pyo3(name = "learn_traded", signature = (store, since = None))]
pub(crate) fn py_learn_traded(py: Python<'_>, store: &PyStore, since: Option<&str>) -> PyResult<String> {
    let since = day(since, "since")?.unwrap_or(NaiveDate::MIN);
    let inner = store.store();
    let picks = detached(py, || hantu_core::learn::traded_since(inner, since)).map_err(core_err)?;
    json(&serde_json::json!({ "summary": hantu_core::learn::traded::summarize(&picks), "picks": picks }))
}

/// Every weights version, oldest first, as JSON.
#[pyfunction]
#[pyo3(name = "learn_weights")]
pub(crate) fn py_learn_weights(py: Python<'_>, store: &PyStore) -> PyResult<String> {
    let inner = store.store();
    json(&detached(py, || inner.weights_versions()).map_err(|e| StoreError::new_err(e.to_string()))?)
}

/// Puts `version` back in force; returns the versions rolled back.
#[pyfunction]
#[pyo3(name = "learn_rollback")]
pub(crate) fn py_learn_rollback(py: Python<'_>, store: &PyStore, version: &str) -> PyResult<Vec<String>> {
    let inner = store.store();
    detached(py, || rollback(inner, version)).map_err(core_err)
}
