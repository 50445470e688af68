//! Bulk import from, and export to, CSV folders (the batching itself is shared:
//! [`crate::store::bulk`]).

use std::path::Path;

pub use crate::store::bulk::{ImportOptions, ImportProgress, ImportReport};

use super::{SqliteStore, map_err, market};
use crate::io::{self, FileReport};
use crate::store::StoreError;
use crate::store::bulk;

impl SqliteStore {
    /// Imports every `<code>.csv` daily-bar file of `dir` (see [`crate::io::read_csv_dir`]),
    /// upserting by (code, date), with default batching.
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

    /// [`SqliteStore::import_csv_dir`] with explicit batching.
    ///
    /// # Errors
    /// As [`SqliteStore::import_csv_dir`].
    pub fn import_csv_dir_with(
        &self,
        dir: impl AsRef<Path>,
        options: &ImportOptions,
        progress: impl FnMut(&ImportProgress),
    ) -> Result<ImportReport, StoreError> {
        bulk::import_csv_dir_with(dir, options, progress, |series| {
            self.write(|t| series.iter().try_for_each(|bars| market::upsert_daily_bars(t, bars).map(drop)))
        })
    }

    /// Imports an instrument list in the `stocks.csv` layout (see
    /// [`crate::io::read_instruments_csv_report`]) in one transaction: the good rows are upserted,
    /// the others listed in the returned report.
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
    /// As [`SqliteStore::import_instruments`].
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
        let codes = self.read(market::daily_codes)?;
        let (lo, hi) = (chrono::NaiveDate::MIN, chrono::NaiveDate::MAX);
        for code in &codes {
            let bars = self.read(|c| market::daily_bars(c, *code, lo, hi))?;
            io::write_daily_csv(dir.join(format!("{code}.csv")), &bars)
                .map_err(|e| StoreError::Other(e.to_string()))?;
        }
        Ok(codes.len())
    }

    /// Rows in `daily_bars` (a cheap health figure for `hantu db`).
    ///
    /// # Errors
    /// If the read fails.
    pub fn daily_bar_count(&self) -> Result<u64, StoreError> {
        self.read(|c| c.query_row("SELECT count(*) FROM daily_bars", [], |r| r.get::<_, i64>(0)).map_err(map_err))
            .map(|n| n.max(0) as u64)
    }
}
