//! `hantu.Store`: the SQLite store, read as DataFrames.
//!
//! Bars cross as columns (as everywhere else); the other records cross as JSON text of the
//! core's serde types, which `python/hantu/store.py` turns into DataFrames. Every database call
//! runs without the GIL.

use chrono::NaiveDate;
use hantu_core::domain::{ClientOrderId, StockCode, Timestamp};
use hantu_core::store::{SqliteStore, Store, StoreError as CoreStoreError};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use serde::Serialize;

use crate::backtest::{InstrumentRows, parse_instruments};
use crate::error::{DataError, StoreError, validation_err};
use crate::frames::{PyBarData, bars_to_columns};
use crate::gil::detached;

fn store_err(e: CoreStoreError) -> PyErr {
    StoreError::new_err(e.to_string())
}

fn json<T: Serialize>(v: &T) -> PyResult<String> {
    serde_json::to_string(v).map_err(|e| DataError::new_err(e.to_string()))
}

fn date(s: Option<&str>, default: NaiveDate) -> PyResult<NaiveDate> {
    s.map_or(Ok(default), |s| {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|e| DataError::new_err(format!("date {s:?}: {e}")))
    })
}

fn code(s: &str) -> PyResult<StockCode> {
    StockCode::new_checked(s).map_err(|e| validation_err(&e))
}

/// A hantu SQLite database (created and migrated on open).
#[pyclass(frozen, name = "Store", module = "hantu._hantu")]
pub(crate) struct PyStore {
    inner: SqliteStore,
    path: String,
}

impl PyStore {
    /// The store behind this object, for other bindings.
    pub(crate) fn store(&self) -> &dyn Store {
        &self.inner
    }
}

#[pymethods]
impl PyStore {
    /// Opens (creating and migrating) the database at `path`; `":memory:"` for a private one.
    #[new]
    fn new(py: Python<'_>, path: std::path::PathBuf) -> PyResult<Self> {
        let shown = path.display().to_string();
        let inner = detached(py, || {
            if path.as_os_str() == ":memory:" { SqliteStore::open_in_memory() } else { SqliteStore::open(&path) }
        })
        .map_err(store_err)?;
        Ok(Self { inner, path: shown })
    }

    fn __repr__(&self) -> String {
        format!("Store({:?})", self.path)
    }

    /// The schema version of the database.
    #[getter]
    fn schema_version(&self, py: Python<'_>) -> PyResult<i64> {
        detached(py, || self.inner.schema_version()).map_err(store_err)
    }

    /// Inserts or updates daily bars; returns the number written.
    fn write_bars(&self, py: Python<'_>, data: &PyBarData) -> PyResult<usize> {
        detached(py, || self.inner.upsert_daily_bars(&data.merged)).map_err(store_err)
    }

    /// Imports every `<code>.csv` of a folder (upserting by code and date). Returns
    /// `(rows written, problems)` with one line per file that had rejected rows or was refused.
    fn import_csv_dir(&self, py: Python<'_>, dir: std::path::PathBuf) -> PyResult<(usize, Vec<String>)> {
        let report = detached(py, || self.inner.import_csv_dir(&dir, |_| {})).map_err(store_err)?;
        let problems = report.files.iter().filter(|f| !f.is_clean()).map(ToString::to_string).collect();
        Ok((report.rows_written, problems))
    }

    /// Inserts or updates instruments given as `(code, name, market, sector)` rows.
    fn write_instruments(&self, py: Python<'_>, rows: InstrumentRows) -> PyResult<()> {
        let inst = parse_instruments(Some(rows))?;
        detached(py, || self.inner.upsert_instruments(&inst)).map_err(store_err)
    }

    /// Daily bars of `codes` between `start` and `end` (inclusive, `YYYY-MM-DD`), as columns.
    #[pyo3(signature = (codes, start = None, end = None))]
    fn bars<'py>(
        &self,
        py: Python<'py>,
        codes: Vec<String>,
        start: Option<&str>,
        end: Option<&str>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let from = date(start, NaiveDate::from_ymd_opt(1900, 1, 1).unwrap_or_default())?;
        let to = date(end, NaiveDate::from_ymd_opt(2999, 12, 31).unwrap_or_default())?;
        let codes: Vec<StockCode> = codes.iter().map(|c| code(c)).collect::<PyResult<_>>()?;
        let data = detached(py, || -> PyResult<PyBarData> {
            let mut series = Vec::with_capacity(codes.len());
            for c in codes {
                let bars = self.inner.daily_bars(c, from, to).map_err(store_err)?;
                if !bars.is_empty() {
                    series.push((c, bars));
                }
            }
            PyBarData::new(series)
        })?;
        bars_to_columns(py, &data.merged)
    }

    /// Every instrument, as JSON records.
    fn instruments_json(&self, py: Python<'_>) -> PyResult<String> {
        json(&detached(py, || self.inner.instruments()).map_err(store_err)?)
    }

    /// The latest fundamentals of each stock, as JSON records.
    fn fundamentals_json(&self, py: Python<'_>) -> PyResult<String> {
        json(&detached(py, || self.inner.latest_fundamentals()).map_err(store_err)?)
    }

    /// The latest screen run as JSON `{run_id, run, entries}`, or `None`.
    fn watchlist_json(&self, py: Python<'_>) -> PyResult<Option<String>> {
        let w = detached(py, || self.inner.latest_watchlist()).map_err(store_err)?;
        w.map(|w| json(&serde_json::json!({"run_id": w.run_id, "run": w.run, "entries": w.entries}))).transpose()
    }

    /// The selections of a date, as JSON records.
    fn selections_json(&self, py: Python<'_>, day: &str) -> PyResult<String> {
        let d = date(Some(day), NaiveDate::MIN)?;
        json(&detached(py, || self.inner.selections_on(d)).map_err(store_err)?)
    }

    /// Orders not in a terminal state, as JSON records.
    fn open_orders_json(&self, py: Python<'_>) -> PyResult<String> {
        json(&detached(py, || self.inner.open_orders()).map_err(store_err)?)
    }

    /// Every recorded state of one order, oldest first, as JSON records.
    fn order_history_json(&self, py: Python<'_>, client_id: &str) -> PyResult<String> {
        let id = ClientOrderId::new_checked(client_id).map_err(|e| validation_err(&e))?;
        json(&detached(py, || self.inner.order_history(&id)).map_err(store_err)?)
    }

    /// Fills since `since_ms` (UTC milliseconds), as JSON records.
    fn fills_json(&self, py: Python<'_>, since_ms: i64) -> PyResult<String> {
        json(&detached(py, || self.inner.fills_since(Timestamp::from_millis(since_ms))).map_err(store_err)?)
    }

    /// Notifications raised since `since_ms` (UTC milliseconds), one record per channel, as JSON.
    fn notifications_json(&self, py: Python<'_>, since_ms: i64) -> PyResult<String> {
        json(&detached(py, || self.inner.notifications_since(Timestamp::from_millis(since_ms))).map_err(store_err)?)
    }

    /// Current positions, as JSON records.
    fn positions_json(&self, py: Python<'_>) -> PyResult<String> {
        json(&detached(py, || self.inner.positions()).map_err(store_err)?)
    }

    /// Every stored run as JSON `[[id, run], ...]`.
    fn runs_json(&self, py: Python<'_>) -> PyResult<String> {
        json(&detached(py, || self.inner.runs()).map_err(store_err)?)
    }

    /// One run with its trades and daily returns as JSON, or `None`.
    fn run_json(&self, py: Python<'_>, id: i64) -> PyResult<Option<String>> {
        let r = detached(py, || self.inner.run(id)).map_err(store_err)?;
        r.map(|r| json(&serde_json::json!({"id": r.id, "run": r.run, "trades": r.trades, "daily": r.daily})))
            .transpose()
    }
}
