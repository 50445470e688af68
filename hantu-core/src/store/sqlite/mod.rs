//! [`SqliteStore`]: the whole pipeline in one SQLite file.
//!
//! Opened in WAL mode (readers never block the writer, so a CLI can read while a trader
//! writes), with foreign keys on, `synchronous = NORMAL` (a power cut can lose the last commits
//! but never corrupts the file) and a busy timeout, so a second process waits for the write lock
//! instead of failing at once. Every write method runs in one `IMMEDIATE` transaction: it takes
//! the write lock before reading, so two processes cannot deadlock upgrading read locks.

mod codec;
mod import;
mod jobs;
mod journal;
mod learn;
mod lock;
mod market;
pub mod migrations;
mod notifications;
mod ops;
mod pipeline;
mod raw;

use std::path::Path;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use chrono::NaiveDate;
use rusqlite::{Connection, ErrorCode, OpenFlags, Transaction, TransactionBehavior};

pub use codec::{date_from_sql, date_to_sql};
pub use import::{ImportOptions, ImportProgress, ImportReport};

use super::{
    ApiCallRecord, DailyReturnRecord, EventRecord, OutcomeRecord, PredictionRecord, RegimeRecord, RunRecord,
    ScreenRunRecord, SelectionRecord, StoreError, StoredRun, TradeRecord, Watchlist, WatchlistEntryRecord,
    WeightsVersionRecord,
};
use crate::domain::{Bar, ClientOrderId, Fill, Fundamentals, Instrument, Order, Position, StockCode, Timestamp};
use crate::notify::{DeliveryStatus, NotificationRecord};
use crate::schedule::JobRun;

/// How to open a database.
#[derive(Clone, Debug)]
pub struct SqliteOptions {
    /// How long to wait for another process's write lock before [`StoreError::Busy`].
    pub busy_timeout: Duration,
    /// Cap on the database size in pages (4 KiB each); writes past it fail with
    /// [`StoreError::Full`]. `None` leaves SQLite's own limit.
    pub max_page_count: Option<u64>,
}

impl Default for SqliteOptions {
    fn default() -> Self {
        Self { busy_timeout: Duration::from_secs(5), max_page_count: None }
    }
}

/// A [`super::Store`] in one SQLite file. Share it behind an `Arc`: writes are serialised on one
/// connection, reads go through a second one, so a reader in this process (a monitor, a CLI
/// query) is not held up by a long write (an import) in another thread. Other processes may
/// open the same file at the same time.
pub struct SqliteStore {
    conn: Mutex<Connection>,
    /// `None` for in-memory databases, which a second connection could not see.
    reader: Option<Mutex<Connection>>,
    /// Account locks of an in-memory database (no other process can open it).
    locks: super::locks::ProcessLocks,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let path = self.lock().path().map(str::to_owned);
        f.debug_struct("SqliteStore").field("path", &path).finish()
    }
}

impl SqliteStore {
    /// Opens (creating if needed) the database at `path` and migrates it to the current schema.
    ///
    /// # Errors
    /// [`StoreError::TooNew`] if the file was written by a newer hantu (the file is left
    /// untouched); [`StoreError::Corrupt`] if it is not a database; [`StoreError::Busy`] if
    /// another process holds the lock beyond the timeout; any error of a migration (then no
    /// migration was applied).
    pub fn open(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        Self::open_with(path, &SqliteOptions::default())
    }

    /// [`SqliteStore::open`] with options.
    ///
    /// # Errors
    /// As [`SqliteStore::open`].
    pub fn open_with(path: impl AsRef<Path>, options: &SqliteOptions) -> Result<Self, StoreError> {
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(path.as_ref(), flags).map_err(map_err)?;
        let mut store = Self::setup(conn, options, true)?;
        let reader = Connection::open_with_flags(path.as_ref(), flags).map_err(map_err)?;
        reader.busy_timeout(options.busy_timeout).map_err(map_err)?;
        reader.execute_batch("PRAGMA cache_size = -65536;").map_err(map_err)?;
        store.reader = Some(Mutex::new(reader));
        Ok(store)
    }

    /// A private in-memory database with the full schema (for tests and scratch work).
    ///
    /// # Errors
    /// If SQLite cannot allocate it.
    pub fn open_in_memory() -> Result<Self, StoreError> {
        Self::setup(Connection::open_in_memory().map_err(map_err)?, &SqliteOptions::default(), false)
    }

    fn setup(mut conn: Connection, options: &SqliteOptions, wal: bool) -> Result<Self, StoreError> {
        conn.busy_timeout(options.busy_timeout).map_err(map_err)?;
        // Check the version before anything that writes (switching to WAL rewrites the header),
        // so a database from a newer hantu is left exactly as it was.
        let found = migrations::version(&conn)?;
        let supported = migrations::latest_version();
        if found > supported {
            return Err(StoreError::TooNew { found, supported });
        }
        if wal {
            let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0)).map_err(map_err)?;
            if !mode.eq_ignore_ascii_case("wal") {
                return Err(StoreError::Other(format!("could not switch to WAL mode (got {mode})")));
            }
        }
        // A 64 MiB page cache keeps a large import's B-tree pages in memory instead of spilling
        // them to the WAL mid-transaction (the default is 2 MiB).
        conn.execute_batch("PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; PRAGMA cache_size = -65536;")
            .map_err(map_err)?;
        if let Some(pages) = options.max_page_count {
            let _: i64 =
                conn.query_row(&format!("PRAGMA max_page_count = {pages}"), [], |r| r.get(0)).map_err(map_err)?;
        }
        migrations::migrate(&mut conn, migrations::MIGRATIONS)?;
        Ok(Self { conn: Mutex::new(conn), reader: None, locks: super::locks::ProcessLocks::default() })
    }

    /// The schema version of the open database.
    ///
    /// # Errors
    /// If the read fails.
    pub fn schema_version(&self) -> Result<i64, StoreError> {
        migrations::version(&self.lock())
    }

    /// Runs SQLite's full integrity check (pages, indexes, foreign keys). Returns the problems
    /// found; empty means the file is sound.
    ///
    /// # Errors
    /// [`StoreError::Corrupt`] if the file cannot even be read as a database.
    pub fn integrity_check(&self) -> Result<Vec<String>, StoreError> {
        let conn = self.lock();
        let mut problems = Vec::new();
        let mut stmt = conn.prepare("PRAGMA integrity_check").map_err(map_err)?;
        for row in stmt.query_map([], |r| r.get::<_, String>(0)).map_err(map_err)? {
            let row = row.map_err(map_err)?;
            if row != "ok" {
                problems.push(row);
            }
        }
        let mut stmt = conn.prepare("PRAGMA foreign_key_check").map_err(map_err)?;
        for row in
            stmt.query_map([], |r| Ok(format!("foreign key broken in {}", r.get::<_, String>(0)?))).map_err(map_err)?
        {
            problems.push(row.map_err(map_err)?);
        }
        Ok(problems)
    }

    /// Moves the WAL into the main file (a `hantu db` maintenance step; SQLite also does it on its own).
    ///
    /// # Errors
    /// [`StoreError::Busy`] if readers keep it from completing beyond the timeout.
    pub fn checkpoint(&self) -> Result<(), StoreError> {
        self.lock().execute_batch("PRAGMA wal_checkpoint(TRUNCATE)").map_err(map_err)
    }

    fn lock(&self) -> MutexGuard<'_, Connection> {
        lock(&self.conn)
    }

    /// Runs `f` in one write transaction, committing only if it succeeds.
    fn write<T>(&self, f: impl FnOnce(&Transaction<'_>) -> Result<T, StoreError>) -> Result<T, StoreError> {
        let mut conn = self.lock();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(map_err)?;
        let out = f(&tx)?;
        tx.commit().map_err(map_err)?;
        Ok(out)
    }

    /// Runs `f` in one read transaction, so a read of several tables (a run with its trades, an
    /// order with its history) sees a single snapshot even while another connection writes.
    fn read<T>(&self, f: impl FnOnce(&Connection) -> Result<T, StoreError>) -> Result<T, StoreError> {
        let conn = match &self.reader {
            Some(r) => lock(r),
            None => self.lock(),
        };
        let tx = conn.unchecked_transaction().map_err(map_err)?;
        let out = f(&tx)?;
        // Ending a read transaction cannot lose anything; commit just releases the snapshot.
        tx.commit().map_err(map_err)?;
        Ok(out)
    }
}

fn lock(conn: &Mutex<Connection>) -> MutexGuard<'_, Connection> {
    // A panic inside a call drops its Transaction, which rolls back; the connection is then idle
    // and safe to reuse.
    conn.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Drop for SqliteStore {
    fn drop(&mut self) {
        // SQLite's advice for long-lived connections: refresh the planner's statistics where
        // they are stale, on close. Cheap when nothing changed; a failure here loses nothing.
        let _ = self.lock().execute_batch("PRAGMA optimize");
    }
}

/// Maps a rusqlite error to the store's typed errors.
pub(crate) fn map_err(e: rusqlite::Error) -> StoreError {
    map_err_in("row", e)
}

/// [`map_err`], naming the table when a row fails to decode.
pub(crate) fn map_err_in(table: &'static str, e: rusqlite::Error) -> StoreError {
    use rusqlite::Error as E;
    match e {
        E::SqliteFailure(f, msg) => {
            let text = msg.unwrap_or_else(|| f.to_string());
            match f.code {
                ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked => StoreError::Busy(text),
                ErrorCode::DatabaseCorrupt | ErrorCode::NotADatabase => StoreError::Corrupt(text),
                ErrorCode::DiskFull => StoreError::Full(text),
                ErrorCode::ConstraintViolation => StoreError::Constraint(text),
                _ => StoreError::Other(text),
            }
        }
        E::FromSqlConversionFailure(i, _, err) => StoreError::Decode { table, message: format!("column {i}: {err}") },
        E::IntegralValueOutOfRange(i, v) => {
            StoreError::Decode { table, message: format!("column {i}: value {v} out of range") }
        }
        E::InvalidColumnType(i, name, ty) => {
            StoreError::Decode { table, message: format!("column {i} ({name}): unexpected {ty}") }
        }
        other => StoreError::Other(other.to_string()),
    }
}

impl super::Store for SqliteStore {
    fn journal_order(&self, order: &Order) -> Result<(), StoreError> {
        self.write(|t| journal::journal_order(t, order))
    }

    fn update_order(&self, order: &Order) -> Result<(), StoreError> {
        self.write(|t| journal::update_order(t, order))
    }

    fn record_fill(&self, fill: &Fill) -> Result<(), StoreError> {
        self.write(|t| journal::record_fill(t, fill))
    }

    fn order(&self, client_id: &ClientOrderId) -> Result<Option<Order>, StoreError> {
        self.read(|c| journal::order(c, client_id))
    }

    fn open_orders(&self) -> Result<Vec<Order>, StoreError> {
        self.read(journal::open_orders)
    }

    fn orders_since(&self, since: Timestamp) -> Result<Vec<Order>, StoreError> {
        self.read(|c| journal::orders_since(c, since))
    }

    fn fills_for(&self, client_id: &ClientOrderId) -> Result<Vec<Fill>, StoreError> {
        self.read(|c| journal::fills_for(c, client_id))
    }

    fn upsert_instruments(&self, instruments: &[Instrument]) -> Result<(), StoreError> {
        self.write(|t| market::upsert_instruments(t, instruments))
    }

    fn instruments(&self) -> Result<Vec<Instrument>, StoreError> {
        self.read(market::instruments)
    }

    fn upsert_daily_bars(&self, bars: &[Bar]) -> Result<usize, StoreError> {
        self.write(|t| market::upsert_daily_bars(t, bars))
    }

    fn daily_bars(&self, code: StockCode, from: NaiveDate, to: NaiveDate) -> Result<Vec<Bar>, StoreError> {
        self.read(|c| market::daily_bars(c, code, from, to))
    }

    fn order_history(&self, client_id: &ClientOrderId) -> Result<Vec<Order>, StoreError> {
        self.read(|c| journal::order_history(c, client_id))
    }

    fn fills_since(&self, since: Timestamp) -> Result<Vec<Fill>, StoreError> {
        self.read(|c| journal::fills_since(c, since))
    }

    fn save_positions(&self, ts: Timestamp, positions: &[Position]) -> Result<(), StoreError> {
        self.write(|t| journal::save_positions(t, ts, positions))
    }

    fn positions(&self) -> Result<Vec<Position>, StoreError> {
        self.read(journal::positions)
    }

    fn upsert_minute_bars(&self, bars: &[Bar]) -> Result<usize, StoreError> {
        self.write(|t| market::upsert_minute_bars(t, bars))
    }

    fn minute_bars(&self, code: StockCode, from: Timestamp, to: Timestamp) -> Result<Vec<Bar>, StoreError> {
        self.read(|c| market::minute_bars(c, code, from, to))
    }

    fn upsert_fundamentals(&self, rows: &[Fundamentals]) -> Result<(), StoreError> {
        self.write(|t| market::upsert_fundamentals(t, rows))
    }

    fn latest_fundamentals(&self) -> Result<Vec<Fundamentals>, StoreError> {
        self.read(market::latest_fundamentals)
    }

    fn save_screen_run(&self, run: &ScreenRunRecord, entries: &[WatchlistEntryRecord]) -> Result<i64, StoreError> {
        self.write(|t| pipeline::save_screen_run(t, run, entries))
    }

    fn latest_watchlist(&self) -> Result<Option<Watchlist>, StoreError> {
        self.read(pipeline::latest_watchlist)
    }

    fn save_selections(&self, picks: &[SelectionRecord]) -> Result<(), StoreError> {
        self.write(|t| pipeline::save_selections(t, picks))
    }

    fn selections_on(&self, date: NaiveDate) -> Result<Vec<SelectionRecord>, StoreError> {
        self.read(|c| pipeline::selections_on(c, date))
    }

    fn save_predictions(&self, predictions: &[PredictionRecord]) -> Result<(), StoreError> {
        self.write(|t| pipeline::save_predictions(t, predictions))
    }

    fn record_outcomes(&self, outcomes: &[OutcomeRecord]) -> Result<(), StoreError> {
        self.write(|t| pipeline::record_outcomes(t, outcomes))
    }

    fn open_predictions(&self) -> Result<Vec<PredictionRecord>, StoreError> {
        self.read(pipeline::open_predictions)
    }

    fn outcomes_since(&self, since: NaiveDate) -> Result<Vec<(PredictionRecord, OutcomeRecord)>, StoreError> {
        self.read(|c| pipeline::outcomes_since(c, since))
    }

    fn set_regime(&self, regime: &RegimeRecord) -> Result<(), StoreError> {
        self.write(|t| pipeline::set_regime(t, regime))
    }

    fn regime_on(&self, date: NaiveDate) -> Result<Option<RegimeRecord>, StoreError> {
        self.read(|c| pipeline::regime_on(c, date))
    }

    fn save_weights_version(&self, version: &WeightsVersionRecord) -> Result<(), StoreError> {
        self.write(|t| learn::save_weights_version(t, version))
    }

    fn weights_versions(&self) -> Result<Vec<WeightsVersionRecord>, StoreError> {
        self.read(learn::weights_versions)
    }

    fn save_run(
        &self,
        run: &RunRecord,
        trades: &[TradeRecord],
        daily: &[DailyReturnRecord],
    ) -> Result<i64, StoreError> {
        self.write(|t| ops::save_run(t, run, trades, daily))
    }

    fn run(&self, id: i64) -> Result<Option<StoredRun>, StoreError> {
        self.read(|c| ops::run(c, id))
    }

    fn runs(&self) -> Result<Vec<(i64, RunRecord)>, StoreError> {
        self.read(ops::runs)
    }

    fn record_api_calls(&self, calls: &[ApiCallRecord]) -> Result<(), StoreError> {
        self.write(|t| ops::record_api_calls(t, calls))
    }

    fn api_calls_since(&self, since: Timestamp) -> Result<Vec<ApiCallRecord>, StoreError> {
        self.read(|c| ops::api_calls_since(c, since))
    }

    fn record_event(&self, event: &EventRecord) -> Result<(), StoreError> {
        self.write(|t| ops::record_event(t, event))
    }

    fn events_since(&self, since: Timestamp) -> Result<Vec<EventRecord>, StoreError> {
        self.read(|c| ops::events_since(c, since))
    }

    fn setting(&self, key: &str) -> Result<Option<String>, StoreError> {
        self.read(|c| ops::setting(c, key))
    }

    fn set_setting(&self, key: &str, value: &str) -> Result<(), StoreError> {
        self.write(|t| ops::set_setting(t, key, value))
    }

    fn record_job_run(&self, run: &JobRun) -> Result<i64, StoreError> {
        self.write(|t| jobs::record_job_run(t, run))
    }

    fn update_job_run(&self, id: i64, run: &JobRun) -> Result<(), StoreError> {
        self.write(|t| jobs::update_job_run(t, id, run))
    }

    fn job_runs(&self, job: Option<&str>, limit: usize) -> Result<Vec<(i64, JobRun)>, StoreError> {
        self.read(|c| jobs::job_runs(c, job, limit))
    }

    fn claim_notification(&self, rec: &NotificationRecord) -> Result<Option<i64>, StoreError> {
        self.write(|t| notifications::claim(t, rec))
    }

    fn finish_notification(
        &self,
        id: i64,
        status: DeliveryStatus,
        attempts: u32,
        error: Option<&str>,
        at: Timestamp,
    ) -> Result<(), StoreError> {
        self.write(|t| notifications::finish(t, id, status, attempts, error, at))
    }

    fn notifications_since(&self, since: Timestamp) -> Result<Vec<NotificationRecord>, StoreError> {
        self.read(|c| notifications::since(c, since))
    }

    fn try_lock_account(&self, account: &str) -> Result<Option<super::AccountLock>, StoreError> {
        let path = self.lock().path().filter(|p| !p.is_empty()).map(std::path::PathBuf::from);
        match path {
            Some(db) => lock::try_lock_account(&db, account),
            None => Ok(self.locks.try_lock(account)),
        }
    }
}
