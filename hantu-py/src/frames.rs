//! Bars and reports as columns (numpy arrays and lists) that `hantu/_frames.py` turns into
//! pandas objects; the checked bars themselves (`BarData`).
//!
//! Dates cross the boundary as `int64` nanoseconds of naive KST wall-clock time (what pandas
//! shows). A daily bar, stamped at the 15:30 KST close in the core, crosses as midnight of its
//! date, so a daily frame has plain dates; anything else keeps its KST time. Intraday data
//! (`freq="minute"`) keeps every time as it is, 15:30 and midnight included (see `columns.rs`).

use std::collections::HashMap;
use std::sync::OnceLock;

use hantu_core::backtest::{BacktestReport, Stats, merge_series};
use hantu_core::domain::{Bar, OrderKind, StockCode, Timestamp};
use numpy::IntoPyArray;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

use crate::columns::Freq;
use crate::error::{DataError, core_err};

/// A core timestamp as naive KST nanoseconds (a daily close becomes midnight of its date).
pub(crate) fn ts_to_ns(ts: Timestamp) -> i64 {
    Freq::Auto.ns(ts)
}

/// Per stock, ascending by time; stocks in code order.
type Series = Vec<(StockCode, Vec<Bar>)>;

/// Bars of several stocks, checked and ordered, ready for backtests.
#[pyclass(frozen, name = "BarData", module = "hantu._hantu")]
pub(crate) struct PyBarData {
    /// All bars by (time, code), as the engine consumes them.
    pub(crate) merged: Vec<Bar>,
    /// The distinct codes, sorted.
    codes: Vec<StockCode>,
    /// The bars split per stock, made on first use (one backtest over all stocks never needs it).
    series: OnceLock<Series>,
    /// What the dates stamp, as the caller said (for the way back to pandas).
    pub(crate) freq: Freq,
}

impl PyBarData {
    /// Orders and checks `series` and builds the merged time line.
    pub(crate) fn new(mut series: Series) -> PyResult<Self> {
        series.sort_by_key(|(c, _)| *c);
        let merged = merge_series(&series.iter().map(|(_, b)| b.as_slice()).collect::<Vec<_>>()).map_err(core_err)?;
        let codes = series.iter().map(|(c, _)| *c).collect();
        Ok(Self { merged, codes, series: OnceLock::from(series), freq: Freq::Auto })
    }

    /// Bars already ordered by (time, code), of the stocks `codes` (each of which has bars):
    /// checks for duplicates.
    pub(crate) fn from_rows(merged: Vec<Bar>, codes: &[StockCode], freq: Freq) -> PyResult<Self> {
        if let Some(i) = merged.windows(2).position(|w| (w[1].ts, w[1].code) <= (w[0].ts, w[0].code)) {
            let (a, b) = (&merged[i], &merged[i + 1]);
            return Err(DataError::new_err(format!(
                "bars[{}]: bar {} at {} is duplicated (after {} at {})",
                i + 1,
                b.code,
                b.ts,
                a.code,
                a.ts
            )));
        }
        let mut present = codes.to_vec();
        present.sort_unstable();
        present.dedup();
        Ok(Self { merged, codes: present, series: OnceLock::new(), freq })
    }

    /// The bars per stock, in code order.
    pub(crate) fn series(&self) -> &Series {
        self.series.get_or_init(|| {
            if let [code] = self.codes.as_slice() {
                return vec![(*code, self.merged.clone())];
            }
            let slot: HashMap<StockCode, usize> = self.codes.iter().enumerate().map(|(i, c)| (*c, i)).collect();
            let mut per: Series = self.codes.iter().map(|c| (*c, Vec::new())).collect();
            for b in &self.merged {
                if let Some(&k) = slot.get(&b.code) {
                    per[k].1.push(*b);
                }
            }
            per
        })
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
        self.codes.iter().map(ToString::to_string).collect()
    }

    fn __repr__(&self) -> String {
        format!("BarData({} stocks, {} bars)", self.codes.len(), self.merged.len())
    }

    /// The bars as columns (`date` ns, `code_index`, `codes`, `open`..`volume`), by (date, code).
    fn columns<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        bars_to_columns_as(py, &self.merged, self.freq)
    }
}

/// Columns of `bars`: `date` (int64 ns), `code_index` into `codes`, prices and volume as int64.
pub(crate) fn bars_to_columns<'py>(py: Python<'py>, bars: &[Bar]) -> PyResult<Bound<'py, PyDict>> {
    bars_to_columns_as(py, bars, Freq::Auto)
}

/// [`bars_to_columns`] with dates crossing as `freq` says.
pub(crate) fn bars_to_columns_as<'py>(py: Python<'py>, bars: &[Bar], freq: Freq) -> PyResult<Bound<'py, PyDict>> {
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
    let mut last: Option<(StockCode, i64)> = None;
    for b in bars {
        let i = match last {
            Some((c, i)) if c == b.code => i,
            _ => {
                let i = *index.entry(b.code).or_insert_with(|| {
                    codes.push(b.code.to_string());
                    codes.len() as i64 - 1
                });
                last = Some((b.code, i));
                i
            }
        };
        date.push(freq.ns(b.ts));
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
/// `stats` (dict), `strategy` and `bars`; dates cross as `freq` says.
pub(crate) fn report_dict<'py>(py: Python<'py>, r: &BacktestReport, freq: Freq) -> PyResult<Bound<'py, PyDict>> {
    let ts_to_ns = |ts: Timestamp| freq.ns(ts);
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
    t.set_item(
        "exit",
        ts.iter().map(|x| x.exit_ts.map_or(i64::MIN, |t| freq.ns(t))).collect::<Vec<_>>().into_pyarray(py),
    )?;
    t.set_item("qty", ts.iter().map(|x| x.qty as i64).collect::<Vec<_>>().into_pyarray(py))?;
    t.set_item("entry_price", ts.iter().map(|x| x.entry_price).collect::<Vec<_>>().into_pyarray(py))?;
    t.set_item("exit_price", ts.iter().map(|x| x.exit_price.unwrap_or(f64::NAN)).collect::<Vec<_>>().into_pyarray(py))?;
    t.set_item("pnl", ts.iter().map(|x| x.pnl.to_f64()).collect::<Vec<_>>().into_pyarray(py))?;
    t.set_item("return_pct", ts.iter().map(|x| x.return_pct).collect::<Vec<_>>().into_pyarray(py))?;
    t.set_item("costs", ts.iter().map(|x| x.costs.to_f64()).collect::<Vec<_>>().into_pyarray(py))?;
    out.set_item("trades", t)?;
    Ok(out)
}
