//! Backtests from Python: one run with a Python or built-in strategy, or a batch of built-in
//! runs in parallel.

use std::collections::HashMap;

use hantu_core::backtest::{Backtest, BacktestConfig, BacktestReport, BatchJob, run_batch};
use hantu_core::domain::{Bar, Instrument, Market, StockCode, Timestamp};
use hantu_core::strategies::{self, Params};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use rayon::prelude::*;

use crate::columns::{CHUNK, ColumnArgs, Columns, Freq, Scratch, bardata, parse_codes};
use crate::error::{ConfigError, core_err, validation_err};
use crate::frames::{PyBarData, report_dict, stats_dict};
use crate::gil::detached;
use crate::pipeline::pipelined;
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
#[pyo3(name = "run_python", signature = (data, config, name, on_bar, on_start, on_fill, on_order_update, on_day_end, on_stop, instruments = None))]
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
    instruments: Option<InstrumentRows>,
) -> PyResult<Bound<'py, PyDict>> {
    let cfg = parse_config(config)?;
    let instruments = parse_instruments(instruments)?;
    let hooks = Hooks { on_start, on_bar, on_fill, on_order_update, on_day_end, on_stop };
    let mut strategy = PyStrategy::new(py, name, hooks)?;
    // A Python strategy needs the interpreter on every bar, so this run keeps the GIL.
    let report = Backtest::new(cfg).with_instruments(&instruments).run(&data.merged, &mut strategy);
    if let Some(e) = strategy.take_error() {
        return Err(e);
    }
    report_dict(py, &report.map_err(core_err)?, data.freq)
}

/// Keeps a finished report on the Rust side until Python asks for its tables.
#[pyclass(frozen, name = "Report", module = "hantu._hantu")]
pub(crate) struct PyReport(pub(crate) BacktestReport, pub(crate) Freq);

#[pymethods]
impl PyReport {
    /// The report's tables as columns.
    fn tables<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        report_dict(py, &self.0, self.1)
    }

    /// The summary statistics alone (what a batch's table needs, without the other tables).
    fn stats<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        stats_dict(py, &self.0.stats)
    }

    /// The strategy's name.
    #[getter]
    fn strategy(&self) -> &str {
        &self.0.strategy
    }

    /// Number of bars the run consumed.
    #[getter]
    fn bars(&self) -> u64 {
        self.0.bars
    }
}

/// Instruments given as `(code, name, market, sector)` rows (market `KOSPI`/`KOSDAQ`/`KONEX`).
pub(crate) type InstrumentRows = Vec<(String, String, String, Option<String>)>;

/// Parses instrument rows; a bad code or market raises `ValidationError` naming it.
pub(crate) fn parse_instruments(rows: Option<InstrumentRows>) -> PyResult<Vec<Instrument>> {
    rows.unwrap_or_default()
        .into_iter()
        .map(|(code, name, market, sector)| {
            let code = StockCode::new_checked(&code).map_err(|e| validation_err(&e))?;
            let market: Market = market.parse().map_err(|e| validation_err(&e))?;
            Ok(Instrument::stock(code, name, market, sector))
        })
        .collect()
}

/// Runs a built-in strategy (by name, with `key=value` parameters) without the GIL.
#[pyfunction]
#[pyo3(name = "run_builtin", signature = (data, config, name, params, instruments = None))]
pub(crate) fn py_run_builtin(
    py: Python<'_>,
    data: &PyBarData,
    config: &str,
    name: &str,
    params: Params,
    instruments: Option<InstrumentRows>,
) -> PyResult<PyReport> {
    let cfg = parse_config(config)?;
    let instruments = parse_instruments(instruments)?;
    let mut strategy = strategies::by_name(name, &params).map_err(core_err)?;
    let bars = &data.merged;
    let report = detached(py, move || Backtest::new(cfg).with_instruments(&instruments).run(bars, &mut *strategy))
        .map_err(core_err)?;
    Ok(PyReport(report, data.freq))
}

/// Runs a built-in strategy straight from bar columns, without the GIL: when the rows are
/// ordered by (time, code), as frames usually are, each bar is read from the columns as the
/// engine reaches it and no array of bars is built (the conversion was most of a run's time);
/// otherwise the rows are converted and sorted first, as [`py_run_builtin`] would have them.
/// Same bars, same report.
#[pyfunction]
#[pyo3(name = "run_builtin_columns", signature = (columns, freq, config, name, params, instruments = None))]
pub(crate) fn py_run_builtin_columns(
    py: Python<'_>,
    columns: ColumnArgs<'_>,
    freq: Option<&str>,
    config: &str,
    name: &str,
    params: Params,
    instruments: Option<InstrumentRows>,
) -> PyResult<PyReport> {
    let freq = Freq::parse(freq)?;
    let cfg = parse_config(config)?;
    let instruments = parse_instruments(instruments)?;
    let mut strategy = strategies::by_name(name, &params).map_err(core_err)?;
    let codes = parse_codes(columns.codes())?;
    let cols = Columns::borrow(&columns, &codes, freq)?;
    let report = detached(py, || {
        let rank = cols.code_ranks();
        // A bad row (its error as Python will see it) or rows out of order end the bars early;
        // the engine's report of the bars before is then dropped.
        let mut bad: Option<PyErr> = None;
        let mut unordered = false;
        let mut prev = (Timestamp::from_millis(i64::MIN), 0_u32);
        let mut next = 0;
        let mut scratch = Scratch::default();
        let fill = |buf: &mut Vec<Bar>| {
            let (start, rows) = (buf.len(), next..(next + CHUNK).min(cols.len()));
            next = rows.end;
            if let Err(e) = cols.push_rows(rows.clone(), &mut scratch, buf) {
                bad = Some(e);
                next = cols.len();
                return;
            }
            for (k, (bar, i)) in buf[start..].iter().zip(rows).enumerate() {
                let key = (bar.ts, rank[cols.code_at(i)]);
                if i > 0 && key <= prev {
                    buf.truncate(start + k);
                    unordered = true;
                    next = cols.len();
                    return;
                }
                prev = key;
            }
        };
        let days = cols.days_hint();
        let bt = Backtest::new(cfg.clone()).with_instruments(&instruments);
        let report = pipelined(fill, |fill| bt.run_chunked(fill, days, &mut *strategy));
        match (bad, unordered, report) {
            (Some(e), _, _) => Err(Some(e)),
            (None, true, _) => Err(None),
            (None, false, r) => r.map_err(|e| Some(core_err(e))),
        }
    });
    match report {
        Ok(r) => Ok(PyReport(r, freq)),
        Err(Some(e)) => Err(e),
        // Out of order: convert and sort, then run as from converted bars.
        Err(None) => {
            let data = bardata(py, &columns, freq)?;
            let bars = &data.merged;
            let mut strategy = strategies::by_name(name, &params).map_err(core_err)?;
            let report =
                detached(py, move || Backtest::new(cfg).with_instruments(&instruments).run(bars, &mut *strategy))
                    .map_err(core_err)?;
            Ok(PyReport(report, freq))
        }
    }
}

/// Runs a built-in strategy once per parameter set (and, with `per_code`, once per stock), all
/// in parallel without the GIL. Returns `(code or None, params index, report)` in job order.
#[pyfunction]
#[pyo3(name = "run_builtin_batch", signature = (data, config, name, params, per_code, instruments = None))]
pub(crate) fn py_run_builtin_batch(
    py: Python<'_>,
    data: &PyBarData,
    config: &str,
    name: &str,
    params: Vec<Params>,
    per_code: bool,
    instruments: Option<InstrumentRows>,
) -> PyResult<Vec<(Option<String>, usize, PyReport)>> {
    let cfg = parse_config(config)?;
    let instruments = parse_instruments(instruments)?;
    // Check every parameter set up front, so a typo fails before any work.
    for p in &params {
        strategies::by_name(name, p).map_err(core_err)?;
    }
    let labels: Vec<(Option<String>, usize)>;
    let reports = if per_code {
        // Each stock runs alone, so it gets only its own instrument: handing every run the whole
        // list (thousands of instruments) cost more than the runs themselves.
        let by_code: HashMap<StockCode, &Instrument> = instruments.iter().map(|i| (i.code, i)).collect();
        let series = data.series();
        let backtests: Vec<Backtest> = series
            .iter()
            .map(|(code, _)| {
                let own = by_code.get(code).map_or(&[][..], |i| std::slice::from_ref(*i));
                Backtest::new(cfg.clone()).with_instruments(own)
            })
            .collect();
        let jobs: Vec<(usize, usize)> =
            (0..series.len()).flat_map(|s| (0..params.len()).map(move |i| (s, i))).collect();
        labels = jobs.iter().map(|&(s, i)| (Some(series[s].0.to_string()), i)).collect();
        detached(py, || {
            jobs.par_iter()
                .map(|&(s, i)| {
                    let mut strategy = strategies::by_name(name, &params[i])?;
                    backtests[s].run(&series[s].1, &mut *strategy)
                })
                .collect::<Vec<_>>()
        })
    } else {
        let jobs: Vec<BatchJob<'_, &Params>> =
            params.iter().map(|p| BatchJob { bars: data.merged.as_slice(), params: p }).collect();
        labels = (0..params.len()).map(|i| (None, i)).collect();
        let bt = Backtest::new(cfg).with_instruments(&instruments);
        detached(py, || run_batch(&bt, &jobs, |p: &&Params| strategies::by_name(name, p)))
    };
    labels
        .into_iter()
        .zip(reports)
        .map(|((code, i), r)| r.map(|r| (code, i, PyReport(r, data.freq))).map_err(core_err))
        .collect()
}
