//! Bars and reports as columns (numpy arrays and lists) that `hantu/_frames.py` turns into
//! pandas objects, and bars back from such columns.
//!
//! Dates cross the boundary as `int64` nanoseconds of naive KST wall-clock time (what pandas
//! shows). A daily bar, stamped at the 15:30 KST close in the core, crosses as midnight of its
//! date, so a daily frame has plain dates; anything else keeps its KST time.

use std::collections::HashMap;

use hantu_core::backtest::{BacktestReport, Stats, merge_series, validate_order};
use hantu_core::domain::{Bar, KST_OFFSET_SECS, OrderKind, Price, StockCode, Timestamp};
use numpy::{IntoPyArray, PyReadonlyArray1};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

use crate::error::{DataError, core_err};
use crate::gil::detached;

const MS_PER_DAY: i64 = 86_400_000;
const KST_MS: i64 = KST_OFFSET_SECS * 1000;
const CLOSE_MS: i64 = (15 * 60 + 30) * 60_000;

/// A core timestamp as naive KST nanoseconds (a daily close becomes midnight of its date).
pub(crate) fn ts_to_ns(ts: Timestamp) -> i64 {
    let local = ts.millis() + KST_MS;
    let day = local.div_euclid(MS_PER_DAY);
    if local - day * MS_PER_DAY == CLOSE_MS { day * MS_PER_DAY * 1_000_000 } else { local * 1_000_000 }
}

/// Naive KST nanoseconds as a core timestamp (midnight means the daily close of that date).
pub(crate) fn ns_to_ts(ns: i64) -> Timestamp {
    let local = ns.div_euclid(1_000_000);
    let day = local.div_euclid(MS_PER_DAY);
    if local == day * MS_PER_DAY {
        Timestamp::from_millis(local + CLOSE_MS - KST_MS)
    } else {
        Timestamp::from_millis(local - KST_MS)
    }
}

/// Bars of several stocks, checked and ordered, ready for backtests.
#[pyclass(frozen, name = "BarData", module = "hantu._hantu")]
pub(crate) struct PyBarData {
    /// Per stock, ascending by time; stocks in code order.
    pub(crate) series: Vec<(StockCode, Vec<Bar>)>,
    /// All bars by (time, code), as the engine consumes them.
    pub(crate) merged: Vec<Bar>,
}

impl PyBarData {
    /// Orders and checks `series` and builds the merged time line.
    pub(crate) fn new(mut series: Vec<(StockCode, Vec<Bar>)>) -> PyResult<Self> {
        series.sort_by_key(|(c, _)| *c);
        let merged = merge_series(&series.iter().map(|(_, b)| b.as_slice()).collect::<Vec<_>>()).map_err(core_err)?;
        Ok(Self { series, merged })
    }
}

impl PyBarData {
    /// Bars already ordered by (time, code), of about `ncodes` stocks: checks for duplicates
    /// and splits them per stock.
    pub(crate) fn from_merged(merged: Vec<Bar>, ncodes: usize) -> PyResult<Self> {
        validate_order(&merged).map_err(core_err)?;
        let mut per: Vec<(StockCode, Vec<Bar>)> = Vec::with_capacity(ncodes);
        let mut slot: HashMap<StockCode, usize> = HashMap::with_capacity(ncodes);
        for b in &merged {
            let k = *slot.entry(b.code).or_insert_with(|| {
                per.push((b.code, Vec::new()));
                per.len() - 1
            });
            per[k].1.push(*b);
        }
        per.sort_by_key(|(c, _)| *c);
        Ok(Self { series: per, merged })
    }
}

#[pymethods]
impl PyBarData {
    /// Number of bars.
    fn __len__(&self) -> usize {
        self.merged.len()
    }

    /// The stock codes, sorted.
    #[getter]
    fn codes(&self) -> Vec<String> {
        self.series.iter().map(|(c, _)| c.to_string()).collect()
    }

    fn __repr__(&self) -> String {
        format!("BarData({} stocks, {} bars)", self.series.len(), self.merged.len())
    }

    /// The bars as columns (`date` ns, `code_index`, `codes`, `open`..`volume`), by (date, code).
    fn columns<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        bars_to_columns(py, &self.merged)
    }
}

/// Columns of `bars`: `date` (int64 ns), `code_index` into `codes`, prices and volume as int64.
pub(crate) fn bars_to_columns<'py>(py: Python<'py>, bars: &[Bar]) -> PyResult<Bound<'py, PyDict>> {
    let mut index: HashMap<StockCode, i64> = HashMap::new();
    let mut codes: Vec<String> = Vec::new();
    let n = bars.len();
    let (mut date, mut code, mut open, mut high, mut low, mut close, mut volume) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    for b in bars {
        let i = *index.entry(b.code).or_insert_with(|| {
            codes.push(b.code.to_string());
            codes.len() as i64 - 1
        });
        date.push(ts_to_ns(b.ts));
        code.push(i);
        open.push(b.open.won());
        high.push(b.high.won());
        low.push(b.low.won());
        close.push(b.close.won());
        volume.push(i64::try_from(b.volume).unwrap_or(i64::MAX));
    }
    let d = PyDict::new(py);
    d.set_item("date", date.into_pyarray(py))?;
    d.set_item("code_index", code.into_pyarray(py))?;
    d.set_item("codes", codes)?;
    d.set_item("open", open.into_pyarray(py))?;
    d.set_item("high", high.into_pyarray(py))?;
    d.set_item("low", low.into_pyarray(py))?;
    d.set_item("close", close.into_pyarray(py))?;
    d.set_item("volume", volume.into_pyarray(py))?;
    Ok(d)
}

/// Builds bars from columns (as `hantu/_frames.py` extracts them from a DataFrame). Prices are
/// rounded to whole won; each row is validated and a bad one is reported by its position.
#[pyfunction]
#[pyo3(name = "bars_from_columns")]
#[allow(clippy::too_many_arguments, reason = "one argument per column")]
pub(crate) fn py_bars_from_columns(
    py: Python<'_>,
    date: PyReadonlyArray1<'_, i64>,
    code_index: PyReadonlyArray1<'_, i64>,
    codes: Vec<String>,
    open: PyReadonlyArray1<'_, f64>,
    high: PyReadonlyArray1<'_, f64>,
    low: PyReadonlyArray1<'_, f64>,
    close: PyReadonlyArray1<'_, f64>,
    volume: PyReadonlyArray1<'_, f64>,
) -> PyResult<PyBarData> {
    let parsed: Vec<StockCode> = codes
        .iter()
        .map(|c| StockCode::new_checked(c).map_err(|e| DataError::new_err(format!("column code: {e}"))))
        .collect::<PyResult<_>>()?;
    let (date, code_index) = (date.as_slice()?, code_index.as_slice()?);
    let (open, high, low, close, volume) =
        (open.as_slice()?, high.as_slice()?, low.as_slice()?, close.as_slice()?, volume.as_slice()?);
    let n = date.len();
    if [code_index.len(), open.len(), high.len(), low.len(), close.len(), volume.len()].iter().any(|&l| l != n) {
        return Err(DataError::new_err("bar columns have different lengths"));
    }
    detached(py, || {
        let mut rows = Vec::with_capacity(n);
        for i in 0..n {
            rows.push(row(i, &parsed, date, code_index, [open[i], high[i], low[i], close[i]], volume[i])?);
        }
        // Long frames usually come ordered by (date, code) already; then no sort is needed.
        if !rows.is_sorted_by_key(|b| (b.ts, b.code)) {
            rows.sort_unstable_by_key(|b| (b.ts, b.code));
        }
        PyBarData::from_merged(rows, parsed.len())
    })
}

/// Row `i` as a checked bar; a bad row is a `DataError` naming its position.
fn row(i: usize, codes: &[StockCode], date: &[i64], code_index: &[i64], ohlc: [f64; 4], vol: f64) -> PyResult<Bar> {
    let row_err = |what: String| DataError::new_err(format!("row {i}: {what}"));
    let code =
        usize::try_from(code_index[i]).ok().and_then(|c| codes.get(c)).ok_or_else(|| row_err("missing code".into()))?;
    let price = |name: &'static str, v: f64| {
        Price::from_f64(v.round()).map_err(|_| row_err(format!("{name} {v} is not a positive price")))
    };
    if !(vol.is_finite() && vol >= 0.0) {
        return Err(row_err(format!("volume {vol} is not a non-negative number")));
    }
    let [o, h, l, c] = ohlc;
    Bar::new_checked(
        *code,
        ns_to_ts(date[i]),
        price("open", o)?,
        price("high", h)?,
        price("low", l)?,
        price("close", c)?,
        vol as u64,
    )
    .map_err(|e| row_err(e.to_string()))
}

/// A money amount for Python: an int when whole, else a float.
fn money(py: Python<'_>, m: hantu_core::domain::Money) -> PyResult<Py<PyAny>> {
    let f = m.to_f64();
    if f.fract() == 0.0 && f.abs() < 9e15 {
        Ok((f as i64).into_pyobject(py)?.into_any().unbind())
    } else {
        Ok(f.into_pyobject(py)?.into_any().unbind())
    }
}

/// The statistics as a dict (ratios as fractions; money in won).
pub(crate) fn stats_dict<'py>(py: Python<'py>, s: &Stats) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("initial_equity", money(py, s.initial_equity)?)?;
    d.set_item("final_equity", money(py, s.final_equity)?)?;
    d.set_item("total_return", s.total_return)?;
    d.set_item("annual_return", s.annual_return)?;
    d.set_item("volatility", s.volatility)?;
    d.set_item("sharpe", s.sharpe)?;
    d.set_item("sortino", s.sortino)?;
    d.set_item("max_drawdown", s.max_drawdown)?;
    d.set_item("max_drawdown_days", s.max_drawdown_days)?;
    d.set_item("calmar", s.calmar)?;
    d.set_item("win_rate", s.win_rate)?;
    d.set_item("profit_factor", s.profit_factor)?;
    d.set_item("exposure", s.exposure)?;
    d.set_item("turnover", s.turnover)?;
    d.set_item("commission", money(py, s.commission)?)?;
    d.set_item("tax", money(py, s.tax)?)?;
    d.set_item("trades", s.trades)?;
    d.set_item("orders", s.orders)?;
    d.set_item("fills", s.fills)?;
    d.set_item("days", s.days)?;
    Ok(d)
}

/// Every table of a report as columns: `equity`, `orders`, `fills`, `trades` (dicts of columns),
/// `stats` (dict), `strategy` and `bars`.
pub(crate) fn report_dict<'py>(py: Python<'py>, r: &BacktestReport) -> PyResult<Bound<'py, PyDict>> {
    let out = PyDict::new(py);
    out.set_item("strategy", &r.strategy)?;
    out.set_item("bars", r.bars)?;
    out.set_item("stats", stats_dict(py, &r.stats)?)?;

    let eq = PyDict::new(py);
    eq.set_item("date", r.equity.iter().map(|p| ts_to_ns(p.ts)).collect::<Vec<_>>().into_pyarray(py))?;
    eq.set_item("equity", r.equity.iter().map(|p| p.equity.to_f64()).collect::<Vec<_>>().into_pyarray(py))?;
    eq.set_item("cash", r.equity.iter().map(|p| p.cash().to_f64()).collect::<Vec<_>>().into_pyarray(py))?;
    eq.set_item("market_value", r.equity.iter().map(|p| p.market_value).collect::<Vec<_>>().into_pyarray(py))?;
    out.set_item("equity", eq)?;

    let f = PyDict::new(py);
    f.set_item("date", r.fills.iter().map(|x| ts_to_ns(x.ts)).collect::<Vec<_>>().into_pyarray(py))?;
    f.set_item("client_id", PyList::new(py, r.fills.iter().map(|x| x.client_id.as_str()))?)?;
    f.set_item("code", PyList::new(py, r.fills.iter().map(|x| x.code.as_str()))?)?;
    f.set_item("side", PyList::new(py, r.fills.iter().map(|x| x.side.as_str()))?)?;
    f.set_item("qty", r.fills.iter().map(|x| x.qty.get() as i64).collect::<Vec<_>>().into_pyarray(py))?;
    f.set_item("price", r.fills.iter().map(|x| x.price.won()).collect::<Vec<_>>().into_pyarray(py))?;
    f.set_item("commission", r.fills.iter().map(|x| x.commission.to_f64()).collect::<Vec<_>>().into_pyarray(py))?;
    f.set_item("tax", r.fills.iter().map(|x| x.tax.to_f64()).collect::<Vec<_>>().into_pyarray(py))?;
    out.set_item("fills", f)?;

    let o = PyDict::new(py);
    let os = &r.orders;
    o.set_item("created", os.iter().map(|x| ts_to_ns(x.created)).collect::<Vec<_>>().into_pyarray(py))?;
    o.set_item("updated", os.iter().map(|x| ts_to_ns(x.updated)).collect::<Vec<_>>().into_pyarray(py))?;
    o.set_item("client_id", PyList::new(py, os.iter().map(|x| x.client_id.as_str()))?)?;
    o.set_item("code", PyList::new(py, os.iter().map(|x| x.request.code.as_str()))?)?;
    o.set_item("side", PyList::new(py, os.iter().map(|x| x.request.side.as_str()))?)?;
    o.set_item(
        "kind",
        PyList::new(
            py,
            os.iter().map(|x| match x.request.kind {
                OrderKind::Market => "market",
                _ => "limit",
            }),
        )?,
    )?;
    o.set_item(
        "limit_price",
        os.iter()
            .map(|x| match x.request.kind {
                OrderKind::Limit(p) => p.as_f64(),
                _ => f64::NAN,
            })
            .collect::<Vec<_>>()
            .into_pyarray(py),
    )?;
    o.set_item("qty", os.iter().map(|x| x.request.qty.get() as i64).collect::<Vec<_>>().into_pyarray(py))?;
    o.set_item("status", PyList::new(py, os.iter().map(|x| x.status.as_str()))?)?;
    o.set_item("filled_qty", os.iter().map(|x| x.filled_qty.get() as i64).collect::<Vec<_>>().into_pyarray(py))?;
    o.set_item(
        "avg_fill_price",
        os.iter().map(|x| x.avg_fill_price().unwrap_or(f64::NAN)).collect::<Vec<_>>().into_pyarray(py),
    )?;
    o.set_item("reason", PyList::new(py, os.iter().map(|x| x.reason.as_deref()))?)?;
    out.set_item("orders", o)?;

    let t = PyDict::new(py);
    let ts = &r.trades;
    t.set_item("code", PyList::new(py, ts.iter().map(|x| x.code.as_str()))?)?;
    t.set_item("entry", ts.iter().map(|x| ts_to_ns(x.entry_ts)).collect::<Vec<_>>().into_pyarray(py))?;
    // NaT is i64::MIN in numpy's datetime64.
    t.set_item("exit", ts.iter().map(|x| x.exit_ts.map_or(i64::MIN, ts_to_ns)).collect::<Vec<_>>().into_pyarray(py))?;
    t.set_item("qty", ts.iter().map(|x| x.qty as i64).collect::<Vec<_>>().into_pyarray(py))?;
    t.set_item("entry_price", ts.iter().map(|x| x.entry_price).collect::<Vec<_>>().into_pyarray(py))?;
    t.set_item("exit_price", ts.iter().map(|x| x.exit_price.unwrap_or(f64::NAN)).collect::<Vec<_>>().into_pyarray(py))?;
    t.set_item("pnl", ts.iter().map(|x| x.pnl.to_f64()).collect::<Vec<_>>().into_pyarray(py))?;
    t.set_item("return_pct", ts.iter().map(|x| x.return_pct).collect::<Vec<_>>().into_pyarray(py))?;
    t.set_item("costs", ts.iter().map(|x| x.costs.to_f64()).collect::<Vec<_>>().into_pyarray(py))?;
    out.set_item("trades", t)?;
    Ok(out)
}
