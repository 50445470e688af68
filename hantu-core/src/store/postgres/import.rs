//! Bulk import from, and export to, CSV folders: the same batching as SQLite
//! ([`crate::store::bulk`]), each batch one transaction of binary `COPY`s.

use std::path::Path;

use super::{PgStore, map_err, market};
use crate::domain::StockCode;
use crate::io::{self, FileReport};
use crate::store::StoreError;
use crate::store::bulk::{self, ImportOptions, ImportProgress, ImportReport};

impl PgStore {
    /// Imports every `<code>.csv` daily-bar file of `dir`, upserting by (code, date).
    ///
    /// # Errors
    /// [`StoreError::Other`] if the folder cannot be listed; any write error (the transaction in
    /// flight is rolled back; earlier ones stay committed, each holding whole files).
    pub fn import_csv_dir(
        &self,
        dir: impl AsRef<Path>,
        progress: impl FnMut(&ImportProgress),
    ) -> Result<ImportReport, StoreError> {
        self.import_csv_dir_with(dir, &ImportOptions::default(), progress)
    }

    /// [`PgStore::import_csv_dir`] with explicit batching.
    ///
    /// # Errors
    /// As [`PgStore::import_csv_dir`].
    pub fn import_csv_dir_with(
        &self,
        dir: impl AsRef<Path>,
        options: &ImportOptions,
        progress: impl FnMut(&ImportProgress),
    ) -> Result<ImportReport, StoreError> {
        bulk::import_csv_dir_with(dir, options, progress, |series| {
            let all: Vec<_> = series.iter().flatten().copied().collect();
            self.write(|t| market::upsert_daily_bars(t, &all).map(drop))
        })
    }

    /// Imports an instrument list in the `stocks.csv` layout in one transaction.
    ///
    /// # Errors
    /// [`StoreError::Other`] if the file cannot be read or lacks a required column (nothing is
    /// written); any write error.
    pub fn import_instruments(&self, path: impl AsRef<Path>) -> Result<FileReport, StoreError> {
        let (rows, report) = io::read_instruments_csv_report(path).map_err(|e| StoreError::Other(e.to_string()))?;
        self.write(|t| market::upsert_instruments(t, &rows))?;
        Ok(report)
    }

    /// Imports fundamentals in the `fundamentals.csv` layout in one transaction. Returns the rows upserted.
    ///
    /// # Errors
    /// As [`PgStore::import_instruments`].
    pub fn import_fundamentals(&self, path: impl AsRef<Path>) -> Result<usize, StoreError> {
        let rows = io::read_fundamentals_csv(path).map_err(|e| StoreError::Other(e.to_string()))?;
        self.write(|t| market::upsert_fundamentals(t, &rows))?;
        Ok(rows.len())
    }

    /// Writes every stock's daily bars to `dir/<code>.csv`. Returns the files written.
    ///
    /// # Errors
    /// Any read error; [`StoreError::Other`] if a file cannot be written.
    pub fn export_csv_dir(&self, dir: impl AsRef<Path>) -> Result<usize, StoreError> {
        let dir = dir.as_ref();
        std::fs::create_dir_all(dir).map_err(|e| StoreError::Other(format!("{}: {e}", dir.display())))?;
        let codes = self.read(|t| {
            let rows = t.query("SELECT DISTINCT code FROM daily_bars ORDER BY code", &[]).map_err(map_err)?;
            rows.iter().map(|r| super::codec::code(r, 0, "daily_bars")).collect::<Result<Vec<StockCode>, _>>()
        })?;
        // Within PostgreSQL's DATE range (chrono's extremes are not).
        let (lo, hi) = (chrono::NaiveDate::from_ymd_opt(1, 1, 1), chrono::NaiveDate::from_ymd_opt(9999, 12, 31));
        let (Some(lo), Some(hi)) = (lo, hi) else { return Ok(0) };
        for code in &codes {
            let bars = self.read(|t| market::daily_bars(t, *code, lo, hi))?;
            io::write_daily_csv(dir.join(format!("{code}.csv")), &bars)
                .map_err(|e| StoreError::Other(e.to_string()))?;
        }
        Ok(codes.len())
    }

    /// Rows in `daily_bars`.
    ///
    /// # Errors
    /// If the read fails.
    pub fn daily_bar_count(&self) -> Result<u64, StoreError> {
        self.read(|t| {
            let n: i64 =
                t.query_one("SELECT count(*) FROM daily_bars", &[]).and_then(|r| r.try_get(0)).map_err(map_err)?;
            Ok(n.max(0) as u64)
        })
    }
}
