//! Backtests from Python: one run with a Python or built-in strategy, or a batch of built-in
//! runs in parallel.

use hantu_core::backtest::{Backtest, BacktestConfig, BacktestReport};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::error::{ConfigError, core_err};
use crate::frames::{PyBarData, report_dict};
use crate::pystrategy::{Hooks, PyStrategy};

/// Parses a backtest configuration given as JSON (the Python side serialises its dict).
pub(crate) fn parse_config(json: &str) -> PyResult<BacktestConfig> {
    let de = &mut serde_json::Deserializer::from_str(json);
    let cfg: BacktestConfig =
        serde::Deserialize::deserialize(de).map_err(|e| ConfigError::new_err(format!("config: {e}")))?;
    if !(cfg.broker.participation > 0.0 && cfg.broker.participation <= 1.0) {
        return Err(ConfigError::new_err("config: broker.participation: must be in (0, 1]"));
    }
    Ok(cfg)
}

/// Runs a Python strategy (its overridden hooks, `None` for the no-op ones) over `data`.
#[pyfunction]
#[pyo3(name = "run_python")]
#[allow(clippy::too_many_arguments, reason = "one argument per hook")]
pub(crate) fn py_run_python<'py>(
    py: Python<'py>,
    data: &PyBarData,
    config: &str,
    name: String,
    on_bar: Bound<'py, PyAny>,
    on_start: Option<Bound<'py, PyAny>>,
    on_fill: Option<Bound<'py, PyAny>>,
    on_order_update: Option<Bound<'py, PyAny>>,
    on_day_end: Option<Bound<'py, PyAny>>,
    on_stop: Option<Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyDict>> {
    let cfg = parse_config(config)?;
    let hooks = Hooks { on_start, on_bar, on_fill, on_order_update, on_day_end, on_stop };
    let mut strategy = PyStrategy::new(py, name, hooks)?;
    // A Python strategy needs the interpreter on every bar, so this run keeps the GIL.
    let report = Backtest::new(cfg).run(&data.merged, &mut strategy);
    if let Some(e) = strategy.take_error() {
        return Err(e);
    }
    report_dict(py, &report.map_err(core_err)?)
}

/// Keeps a finished report on the Rust side until Python asks for its tables.
#[pyclass(frozen, name = "Report", module = "hantu._hantu")]
pub(crate) struct PyReport(pub(crate) BacktestReport);

#[pymethods]
impl PyReport {
    /// The report's tables as columns.
    fn tables<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        report_dict(py, &self.0)
    }
}
