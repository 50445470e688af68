//! Bulk import from, and export to, CSV folders.
//!
//! An import parses files on one thread (each chunk in parallel) while the caller's thread
//! writes the previous chunk, so parsing and SQLite's single writer overlap. Files are grouped
//! into transactions of about [`ImportOptions::batch_rows`] rows; a file is never split across
//! two transactions, so an interrupted import leaves every file either wholly in or wholly out.

use std::path::{Path, PathBuf};
use std::sync::mpsc;

use rayon::prelude::*;

use super::{SqliteStore, map_err, market};
use crate::domain::{Bar, StockCode};
use crate::io::{self, FileReport};
use crate::store::StoreError;

/// How an import batches its writes.
#[derive(Clone, Debug)]
pub struct ImportOptions {
    /// Rows per transaction (rounded up to whole files). Larger is faster; smaller loses less
    /// work when interrupted.
    pub batch_rows: usize,
    /// Files parsed together (in parallel) before being handed to the writer.
    pub parse_chunk_files: usize,
}

impl Default for ImportOptions {
    fn default() -> Self {
        Self { batch_rows: 250_000, parse_chunk_files: 64 }
    }
}

/// Where an import is, reported after each committed transaction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ImportProgress {
    /// Files whose rows are committed (or that were refused).
    pub files_done: usize,
    /// Files in the folder.
    pub files_total: usize,
    /// Rows committed so far.
    pub rows_written: usize,
    /// Transactions committed so far.
    pub transactions: usize,
}

/// The outcome of an import: one report per file (rows accepted, rows rejected and why).
#[derive(Clone, Debug, Default)]
pub struct ImportReport {
    /// Per file, in name order.
    pub files: Vec<FileReport>,
    /// Rows written to the store.
    pub rows_written: usize,
    /// Transactions committed.
    pub transactions: usize,
}

impl ImportReport {
    /// Rows rejected over all files.
    #[must_use]
    pub fn rejected(&self) -> usize {
        self.files.iter().map(|f| f.rejected.len()).sum()
    }

    /// Files refused as a whole.
    #[must_use]
    pub fn files_refused(&self) -> usize {
        self.files.iter().filter(|f| f.file_error.is_some()).count()
    }
}

type Parsed = Vec<(Option<(StockCode, Vec<Bar>)>, FileReport)>;

/// Files parsed but not yet committed.
#[derive(Default)]
struct Pending {
    series: Vec<Vec<Bar>>,
    reports: Vec<FileReport>,
    rows: usize,
}

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
        mut progress: impl FnMut(&ImportProgress),
    ) -> Result<ImportReport, StoreError> {
        let files = io::list_csv_dir(dir).map_err(|e| StoreError::Other(e.to_string()))?;
        let total = files.len();
        let chunk = options.parse_chunk_files.max(1);
        let (tx, rx) = mpsc::sync_channel::<Parsed>(2);
        std::thread::scope(|s| {
            let files: &[PathBuf] = &files;
            s.spawn(move || {
                for group in files.chunks(chunk) {
                    let parsed: Parsed = group.par_iter().map(|p| io::read_code_csv(p)).collect();
                    if tx.send(parsed).is_err() {
                        // The writer stopped on an error; nothing more to do.
                        return;
                    }
                }
            });
            let mut report = ImportReport::default();
            let mut pending = Pending::default();
            let mut commit = |pending: &mut Pending, report: &mut ImportReport| -> Result<(), StoreError> {
                self.commit(pending, report)?;
                progress(&ImportProgress {
                    files_done: report.files.len(),
                    files_total: total,
                    rows_written: report.rows_written,
                    transactions: report.transactions,
                });
                Ok(())
            };
            for parsed in rx {
                for (series, file_report) in parsed {
                    pending.rows += series.as_ref().map_or(0, |(_, bars)| bars.len());
                    pending.series.extend(series.map(|(_, bars)| bars));
                    pending.reports.push(file_report);
                    if pending.rows >= options.batch_rows {
                        commit(&mut pending, &mut report)?;
                    }
                }
            }
            commit(&mut pending, &mut report)?;
            Ok(report)
        })
    }

    /// Writes the pending files in one transaction and moves their reports into `report`.
    fn commit(&self, pending: &mut Pending, report: &mut ImportReport) -> Result<(), StoreError> {
        if !pending.series.is_empty() {
            self.write(|t| pending.series.iter().try_for_each(|bars| market::upsert_daily_bars(t, bars).map(drop)))?;
            report.transactions += 1;
        }
        report.rows_written += pending.rows;
        report.files.append(&mut pending.reports);
        pending.series.clear();
        pending.rows = 0;
        Ok(())
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
