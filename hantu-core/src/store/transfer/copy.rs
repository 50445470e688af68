//! The copy itself ([`migrate`]), [`verify`] and [`rollback`].

use std::time::Duration;

use super::checksum::table_checksum;
use super::{Cell, TABLES, TableIo, TableSpec, TransferState};
use crate::store::StoreError;

/// Why a copy, verification or rollback stopped.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TransferError {
    /// A database error (the target keeps every batch committed before it).
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The target already holds data that no copy recorded writing.
    #[error("the target already holds rows in table {table}; copy into an empty store (or roll back the earlier copy)")]
    TargetNotEmpty {
        /// The first non-empty table.
        table: String,
    },
    /// The target holds an unfinished copy from another source.
    #[error("the target holds a copy from {recorded}, not {requested}; roll it back first")]
    OtherSource {
        /// Source recorded in the target.
        recorded: String,
        /// Source of this run.
        requested: String,
    },
    /// `rollback` found no copy recorded in the target.
    #[error("no copy is recorded in {0}; nothing to roll back")]
    NothingToRollBack(String),
    /// A table exists in a database but not in the list the copy follows.
    #[error("table {table} of {db} is not known to the copy; this hantu is older than the database")]
    UnknownTable {
        /// Table.
        table: String,
        /// Database label.
        db: String,
    },
}

/// How to copy.
#[derive(Clone, Debug)]
pub struct MigrateOptions {
    /// Rows per batch (each batch is one target transaction).
    pub batch: usize,
    /// Pause after each batch, to leave room for other load on a live server.
    pub throttle: Duration,
}

impl Default for MigrateOptions {
    fn default() -> Self {
        Self { batch: 10_000, throttle: Duration::ZERO }
    }
}

/// The comparison of one table on two databases.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct TableReport {
    /// Table.
    pub table: String,
    /// Rows in the first (source) database.
    pub source_rows: u64,
    /// Rows in the second (target) database.
    pub target_rows: u64,
    /// Checksum of the first.
    pub source_checksum: String,
    /// Checksum of the second.
    pub target_checksum: String,
    /// Whether both agree.
    pub ok: bool,
}

fn check_tables(db: &dyn TableIo) -> Result<(), TransferError> {
    for name in db.table_names()? {
        if TableSpec::named(&name).is_none() {
            return Err(TransferError::UnknownTable { table: name, db: db.label() });
        }
    }
    Ok(())
}

/// Copies every table of `from` into `to` (which must be empty, or hold an unfinished copy from
/// the same source, which is resumed), then verifies both. `progress(table, rows_so_far)` is
/// called after each batch.
///
/// # Errors
/// [`TransferError::TargetNotEmpty`] or [`TransferError::OtherSource`] before anything is
/// written; any database error (every batch committed before it stays, and a rerun resumes).
pub fn migrate(
    from: &dyn TableIo,
    to: &dyn TableIo,
    options: &MigrateOptions,
    mut progress: impl FnMut(&str, u64),
) -> Result<Vec<TableReport>, TransferError> {
    check_tables(from)?;
    let source = from.label();
    let states = to.transfer_state()?;
    if let Some(s) = states.iter().find(|s| s.source != source) {
        return Err(TransferError::OtherSource { recorded: s.source.clone(), requested: source });
    }
    if states.is_empty() {
        for t in TABLES {
            if to.count(t)? > 0 {
                return Err(TransferError::TargetNotEmpty { table: t.name.to_owned() });
            }
        }
    }
    let batch = options.batch.max(1);
    for table in TABLES {
        let mut state = states.iter().find(|s| s.table == table.name).cloned().unwrap_or_else(|| TransferState {
            table: table.name.to_owned(),
            source: source.clone(),
            last_key: None,
            rows: 0,
            done: false,
        });
        if state.done {
            continue;
        }
        let keys = table.key_positions();
        loop {
            let rows = from.read_batch(table, state.last_key.as_deref(), batch)?;
            let Some(last) = rows.last() else { break };
            state.last_key = Some(keys.iter().map(|&i| last[i].clone()).collect::<Vec<Cell>>());
            state.rows += rows.len() as u64;
            to.write_batch(table, &rows, &state)?;
            progress(table.name, state.rows);
            if !options.throttle.is_zero() {
                std::thread::sleep(options.throttle);
            }
            if rows.len() < batch {
                break;
            }
        }
        state.done = true;
        to.finish_table(table, &state)?;
    }
    verify(from, to, batch)
}

/// Compares every table of `a` and `b`: row counts and checksums.
///
/// # Errors
/// If a read fails.
pub fn verify(a: &dyn TableIo, b: &dyn TableIo, batch: usize) -> Result<Vec<TableReport>, TransferError> {
    check_tables(a)?;
    check_tables(b)?;
    let mut out = Vec::with_capacity(TABLES.len());
    for table in TABLES {
        let (source_rows, sa) = table_checksum(a, table, batch)?;
        let (target_rows, sb) = table_checksum(b, table, batch)?;
        out.push(TableReport {
            table: table.name.to_owned(),
            source_rows,
            target_rows,
            source_checksum: format!("{sa:016x}"),
            target_checksum: format!("{sb:016x}"),
            ok: source_rows == target_rows && sa == sb,
        });
    }
    Ok(out)
}

/// Removes what a copy wrote into `to`: every row of the schema's tables (the copy only ever
/// writes into an empty store) and its progress records, in one transaction.
///
/// # Errors
/// [`TransferError::NothingToRollBack`] if no copy is recorded in `to` (nothing is deleted).
pub fn rollback(to: &dyn TableIo) -> Result<(), TransferError> {
    if to.transfer_state()?.is_empty() {
        return Err(TransferError::NothingToRollBack(to.label()));
    }
    to.clear(TABLES)?;
    Ok(())
}
