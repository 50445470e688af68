//! Bulk import of CSV folders, shared by the SQLite and PostgreSQL stores.
//!
//! An import parses files on one thread (each chunk in parallel) while the caller's thread
//! writes the previous chunk, so parsing and the database's writer overlap. Files are grouped
//! into transactions of about [`ImportOptions::batch_rows`] rows; a file is never split across
//! two transactions, so an interrupted import leaves every file either wholly in or wholly out.

use std::path::{Path, PathBuf};
use std::sync::mpsc;

use rayon::prelude::*;

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

/// Imports every `<code>.csv` daily-bar file of `dir` (see [`crate::io::read_csv_dir`]);
/// `write` stores one batch of whole files in one transaction.
///
/// # Errors
/// [`StoreError::Other`] if the folder cannot be listed; any error of `write` (earlier batches
/// stay committed, each holding whole files).
pub fn import_csv_dir_with(
    dir: impl AsRef<Path>,
    options: &ImportOptions,
    mut progress: impl FnMut(&ImportProgress),
    mut write: impl FnMut(&[Vec<Bar>]) -> Result<(), StoreError>,
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
            if !pending.series.is_empty() {
                write(&pending.series)?;
                report.transactions += 1;
            }
            report.rows_written += pending.rows;
            report.files.append(&mut pending.reports);
            pending.series.clear();
            pending.rows = 0;
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
