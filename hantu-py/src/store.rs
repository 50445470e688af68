//! `hantu.Store`: the store (a SQLite file or a PostgreSQL server), read as DataFrames.
//!
//! Bars cross as columns (as everywhere else); the other records cross as JSON text of the
//! core's serde types, which `python/hantu/store.py` turns into DataFrames. Every database call
//! runs without the GIL.

use chrono::NaiveDate;
use hantu_core::domain::{ClientOrderId, StockCode, Timestamp};
use hantu_core::store::postgres::is_postgres_url;
use hantu_core::store::{PgOptions, PgStore, PgUrl, SqliteStore, Store, StoreError as CoreStoreError};
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

/// The store on either backend.
enum Backend {
    Sqlite(SqliteStore),
    Postgres(PgStore),
}

impl std::ops::Deref for Backend {
    type Target = dyn Store;

    fn deref(&self) -> &(dyn Store + 'static) {
        match self {
            Backend::Sqlite(s) => s,
            Backend::Postgres(s) => s,
        }
    }
}

impl Backend {
    fn schema_version(&self) -> Result<i64, CoreStoreError> {
        match self {
            Backend::Sqlite(s) => s.schema_version(),
            Backend::Postgres(s) => s.schema_version(),
        }
    }

    fn import_csv_dir(&self, dir: &std::path::Path) -> Result<hantu_core::store::bulk::ImportReport, CoreStoreError> {
        match self {
            Backend::Sqlite(s) => s.import_csv_dir(dir, |_| {}),
            Backend::Postgres(s) => s.import_csv_dir(dir, |_| {}),
        }
    }
}

/// Connects to a PostgreSQL URL; the password comes from the URL or `HANTU_PG_PASSWORD`.
fn connect_pg(url: &str, schema: Option<String>) -> Result<(PgStore, String), CoreStoreError> {
    let mut parsed = PgUrl::parse(url)?;
    if !parsed.has_password() {
        if let Ok(pw) = std::env::var("HANTU_PG_PASSWORD") {
            parsed = parsed.with_password(&pw);
        }
    }
    let shown = parsed.to_string();
    Ok((PgStore::connect(&parsed, &PgOptions { schema, ..PgOptions::default() })?, shown))
}

/// A hantu database (created and migrated on open): a SQLite file or a PostgreSQL server.
#[pyclass(frozen, name = "Store", module = "hantu._hantu")]
pub(crate) struct PyStore {
    inner: Backend,
    /// Where it is, without any password.
    path: String,
}

impl PyStore {
    /// The store behind this object, for other bindings.
    pub(crate) fn store(&self) -> &dyn Store {
        &*self.inner
    }
}

#[pymethods]
impl PyStore {
    /// Opens (creating and migrating) the database at `path`: a SQLite file, `":memory:"` for a
    /// private one, or a `postgres://` URL (password from `HANTU_PG_PASSWORD`), optionally in
    /// its own `schema`.
    #[new]
    #[pyo3(signature = (path, schema = None))]
    fn new(py: Python<'_>, path: std::path::PathBuf, schema: Option<String>) -> PyResult<Self> {
        let text = path.to_string_lossy().into_owned();
        if is_postgres_url(&text) {
            let (store, shown) = detached(py, || connect_pg(&text, schema)).map_err(store_err)?;
            return Ok(Self { inner: Backend::Postgres(store), path: shown });
        }
        if schema.is_some() {
            return Err(DataError::new_err("schema applies only to a postgres:// store"));
        }
        let shown = path.display().to_string();
        let inner = detached(py, || {
            if path.as_os_str() == ":memory:" { SqliteStore::open_in_memory() } else { SqliteStore::open(&path) }
        })
        .map_err(store_err)?;
        Ok(Self { inner: Backend::Sqlite(inner), path: shown })
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
        let report = detached(py, || self.inner.import_csv_dir(&dir)).map_err(store_err)?;
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
