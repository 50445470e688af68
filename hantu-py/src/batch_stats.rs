//! The statistics of a batch of reports as columns, one numpy array per statistic: the summary
//! table of a batch is built from these in one step, instead of from a dict per run.

use hantu_core::backtest::Stats;
use hantu_core::domain::Money;
use numpy::IntoPyArray;
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::backtest::PyReport;

/// A column of amounts: `int64` when every amount is a whole number of won (as `stats()` gives
/// each one as an `int` then), else `float64` (as a table of mixed ints and floats would be).
fn money_column<'py>(py: Python<'py>, stats: &[&Stats], get: fn(&Stats) -> Money) -> Bound<'py, PyAny> {
    let values: Vec<f64> = stats.iter().map(|s| get(s).to_f64()).collect();
    if values.iter().all(|f| f.fract() == 0.0 && f.abs() < 9e15) {
        values.into_iter().map(|f| f as i64).collect::<Vec<_>>().into_pyarray(py).into_any()
    } else {
        values.into_pyarray(py).into_any()
    }
}

/// The summary statistics of `reports` as columns, keyed and ordered as `Report.stats()`:
/// amounts as `int64` when all are whole won (else `float64`), ratios as `float64`, counts as
/// `int64`. Row `i` holds the same values as `reports[i].stats()`.
#[pyfunction]
#[pyo3(name = "stats_columns")]
pub(crate) fn py_stats_columns<'py>(
    py: Python<'py>,
    reports: Vec<PyRef<'py, PyReport>>,
) -> PyResult<Bound<'py, PyDict>> {
    let stats: Vec<&Stats> = reports.iter().map(|r| &r.0.stats).collect();
    let d = PyDict::new(py);
    let float = |get: fn(&Stats) -> f64| stats.iter().map(|s| get(s)).collect::<Vec<_>>().into_pyarray(py);
    let count = |get: fn(&Stats) -> i64| stats.iter().map(|s| get(s)).collect::<Vec<_>>().into_pyarray(py);
    d.set_item("initial_equity", money_column(py, &stats, |s| s.initial_equity))?;
    d.set_item("final_equity", money_column(py, &stats, |s| s.final_equity))?;
    d.set_item("total_return", float(|s| s.total_return))?;
    d.set_item("annual_return", float(|s| s.annual_return))?;
    d.set_item("volatility", float(|s| s.volatility))?;
    d.set_item("sharpe", float(|s| s.sharpe))?;
    d.set_item("sortino", float(|s| s.sortino))?;
    d.set_item("max_drawdown", float(|s| s.max_drawdown))?;
    d.set_item("max_drawdown_days", count(|s| i64::from(s.max_drawdown_days)))?;
    d.set_item("calmar", float(|s| s.calmar))?;
    d.set_item("win_rate", float(|s| s.win_rate))?;
    d.set_item("profit_factor", float(|s| s.profit_factor))?;
    d.set_item("exposure", float(|s| s.exposure))?;
    d.set_item("turnover", float(|s| s.turnover))?;
    d.set_item("commission", money_column(py, &stats, |s| s.commission))?;
    d.set_item("tax", money_column(py, &stats, |s| s.tax))?;
    d.set_item("trades", count(|s| s.trades as i64))?;
    d.set_item("orders", count(|s| s.orders as i64))?;
    d.set_item("fills", count(|s| s.fills as i64))?;
    d.set_item("days", count(|s| s.days as i64))?;
    Ok(d)
}
