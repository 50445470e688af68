//! The simulated KRX market.

use hantu_core::sim::{SimConfig, SimMarket};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

use crate::error::{ConfigError, DataError, core_err};
use crate::frames::PyBarData;
use crate::gil::detached;

/// Generates a seeded market (without the GIL). Returns the bars, the instruments as columns
/// (`code`, `name`, `market`, `sector`) and the fundamentals as JSON records.
#[pyfunction]
#[pyo3(name = "sim_market", signature = (stocks, days, seed, start = None))]
pub(crate) fn py_sim_market<'py>(
    py: Python<'py>,
    stocks: usize,
    days: usize,
    seed: u64,
    start: Option<&str>,
) -> PyResult<(PyBarData, Bound<'py, PyDict>, String)> {
    let mut cfg = SimConfig::new(stocks, days, seed);
    if let Some(s) = start {
        cfg.start = chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .map_err(|e| ConfigError::new_err(format!("config: sim.start: {s:?}: {e} (expected YYYY-MM-DD)")))?;
    }
    cfg.validate().map_err(core_err)?;
    let market = detached(py, || SimMarket::generate(&cfg)).map_err(core_err)?;
    let inst = PyDict::new(py);
    let is = &market.instruments;
    inst.set_item("code", PyList::new(py, is.iter().map(|i| i.code.as_str()))?)?;
    inst.set_item("name", PyList::new(py, is.iter().map(|i| i.name.as_str()))?)?;
    inst.set_item("market", PyList::new(py, is.iter().map(|i| i.market.as_str()))?)?;
    inst.set_item("sector", PyList::new(py, is.iter().map(|i| i.sector.as_deref()))?)?;
    let funds = serde_json::to_string(&market.fundamentals).map_err(|e| DataError::new_err(e.to_string()))?;
    let series = market.instruments.iter().map(|i| i.code).zip(market.bars).collect();
    Ok((PyBarData::new(series)?, inst, funds))
}
