//! Persistence. The [`Store`] trait is everything the engine and the pipeline need to keep
//! between runs; [`MemoryStore`] implements it in memory for tests, and the SQLite store
//! (feature `sqlite`) on disk.
//!
//! Orders are journaled before a broker sees them ([`Store::journal_order`]), and every
//! state change is appended ([`Store::update_order`]), so a restart can reconcile with the
//! broker instead of re-sending.
//!
//! The trait is grouped as the schema is: the order journal (orders, their state history,
//! fills, position snapshots); market data (instruments, daily and minute bars,
//! fundamentals); the pipeline (screen runs with watchlists, selections, predictions and
//! outcomes, market regimes); runs (backtest/paper/live with trades and daily returns); and
//! operations (API calls, events, settings).
//!
//! | table (SQLite) | natural key | written by | read by |
//! |---|---|---|---|
//! | `instruments` | code | [`Store::upsert_instruments`], `SqliteStore::import_instruments` | [`Store::instruments`] |
//! | `daily_bars` | (code, date) | [`Store::upsert_daily_bars`], `SqliteStore::import_csv_dir` | [`Store::daily_bars`] |
//! | `minute_bars` | (code, ts) | [`Store::upsert_minute_bars`] | [`Store::minute_bars`] |
//! | `fundamentals` | (code, as_of) | [`Store::upsert_fundamentals`] | [`Store::latest_fundamentals`] |
//! | `screen_runs`, `watchlist_entries` | (run, code), (run, rank) | [`Store::save_screen_run`] | [`Store::latest_watchlist`] |
//! | `selections` | (date, code) | [`Store::save_selections`] | [`Store::selections_on`] |
//! | `predictions`, `outcomes` | (date, code, horizon, source) | [`Store::save_predictions`], [`Store::record_outcomes`] | [`Store::open_predictions`], [`Store::outcomes_since`] |
//! | `orders`, `order_events` | client id | [`Store::journal_order`], [`Store::update_order`] | [`Store::order`], [`Store::open_orders`], [`Store::orders_since`], [`Store::order_history`] |
//! | `fills` | — (append) | [`Store::record_fill`] | [`Store::fills_for`], [`Store::fills_since`] |
//! | `position_snapshots`, `positions` | (ts, code) | [`Store::save_positions`] | [`Store::positions`] |
//! | `runs`, `trades`, `daily_returns` | run id; (run, date) | [`Store::save_run`], [`save_backtest_report`] | [`Store::run`], [`Store::runs`] |
//! | `market_regimes` | date | [`Store::set_regime`] | [`Store::regime_on`] |
//! | `api_calls`, `events` | — (append) | [`Store::record_api_calls`], [`Store::record_event`] | [`Store::api_calls_since`], [`Store::events_since`] |
//! | `notifications` | (channel, dedup key) | [`Store::claim_notification`], [`Store::finish_notification`] | [`Store::notifications_since`] |
//! | `settings` | key | [`Store::set_setting`] | [`Store::setting`], [`emergency_stop`] |
//! | `job_runs` | id | [`Store::record_job_run`], [`Store::update_job_run`] | [`Store::job_runs`] |

mod backtest;
pub mod bulk;
mod locks;
mod memory;
#[cfg(feature = "postgres")]
pub mod postgres;
mod records;
#[cfg(feature = "sqlite")]
pub mod sqlite;
pub mod transfer;

pub use backtest::save_backtest_report;
pub use locks::{AccountLock, account_lock_key};
pub use memory::MemoryStore;
#[cfg(feature = "postgres")]
pub use postgres::{PgOptions, PgStore, PgUrl};
pub use records::{
    ApiCallRecord, DailyReturnRecord, EventKind, EventRecord, FirstHit, NamedValues, OutcomeRecord, PredictionRecord,
    RegimeRecord, RunRecord, ScreenRunRecord, SelectionRecord, StoredRun, TradeRecord, Watchlist, WatchlistEntryRecord,
    WeightsStatus, WeightsVersionRecord,
};
#[cfg(feature = "sqlite")]
pub use sqlite::SqliteStore;

use chrono::NaiveDate;

use crate::domain::{Bar, ClientOrderId, Fill, Fundamentals, Instrument, Order, Position, StockCode, Timestamp};
use crate::notify::{DeliveryStatus, NotificationRecord};
use crate::schedule::JobRun;

/// Store failures.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The database is newer than this code understands; nothing was touched.
    #[error("database schema version {found} is newer than this hantu understands ({supported}); upgrade hantu")]
    TooNew {
        /// Version in the file.
        found: i64,
        /// Newest version this code knows.
        supported: i64,
    },
    /// A uniqueness or foreign-key rule was violated.
    #[error("constraint violated: {0}")]
    Constraint(String),
    /// The database is locked by another process beyond the busy timeout.
    #[error("database is busy (locked by another process): {0}")]
    Busy(String),
    /// The file is not a database or is damaged.
    #[error("database file is corrupt or not a database: {0}")]
    Corrupt(String),
    /// The disk or the database size limit is full; the change was rolled back.
    #[error("disk full: {0}")]
    Full(String),
    /// A row could not be decoded into a domain value.
    #[error("bad row in {table}: {message}")]
    Decode {
        /// Table.
        table: &'static str,
        /// What was wrong.
        message: String,
    },
    /// The record does not exist.
    #[error("not found: {0}")]
    NotFound(String),
    /// Any other database error.
    #[error("database error: {0}")]
    Other(String),
}

/// The store the engine and pipeline need. Methods take `&self`; implementations serialise
/// access internally, so one store can be shared (`Arc<dyn Store>`) by engine and monitor.
/// Every method that writes several rows does so in one transaction.
pub trait Store: Send + Sync {
    /// Writes a new order in state `PendingNew` before it is sent anywhere.
    ///
    /// # Errors
    /// [`StoreError::Constraint`] if the client id exists.
    fn journal_order(&self, order: &Order) -> Result<(), StoreError>;

    /// Records the order's new state (status, broker id, fills so far) and appends it to its history.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] if the order was never journaled.
    fn update_order(&self, order: &Order) -> Result<(), StoreError>;

    /// Records a fill.
    ///
    /// # Errors
    /// If the order is unknown or the write fails.
    fn record_fill(&self, fill: &Fill) -> Result<(), StoreError>;

    /// An order by client id.
    ///
    /// # Errors
    /// If the read fails.
    fn order(&self, client_id: &ClientOrderId) -> Result<Option<Order>, StoreError>;

    /// Orders not yet in a terminal state.
    ///
    /// # Errors
    /// If the read fails.
    fn open_orders(&self) -> Result<Vec<Order>, StoreError>;

    /// Orders created at or after `since`, in any state, oldest first (by creation, then client id).
    ///
    /// # Errors
    /// If the read fails.
    fn orders_since(&self, since: Timestamp) -> Result<Vec<Order>, StoreError>;

    /// Fills of one order.
    ///
    /// # Errors
    /// If the read fails.
    fn fills_for(&self, client_id: &ClientOrderId) -> Result<Vec<Fill>, StoreError>;

    /// Inserts or updates instruments by code.
    ///
    /// # Errors
    /// If the write fails (nothing is written).
    fn upsert_instruments(&self, instruments: &[Instrument]) -> Result<(), StoreError>;

    /// All instruments, by code.
    ///
    /// # Errors
    /// If the read fails.
    fn instruments(&self) -> Result<Vec<Instrument>, StoreError>;

    /// Inserts or updates daily bars keyed by (code, date). Returns the number written.
    ///
    /// # Errors
    /// If the write fails (nothing is written).
    fn upsert_daily_bars(&self, bars: &[Bar]) -> Result<usize, StoreError>;

    /// Daily bars of `code` in `from..=to`, ascending.
    ///
    /// # Errors
    /// If the read fails.
    fn daily_bars(&self, code: StockCode, from: NaiveDate, to: NaiveDate) -> Result<Vec<Bar>, StoreError>;

    /// Every recorded state of an order, oldest first (the journal entry, then each update).
    ///
    /// # Errors
    /// If the read fails.
    fn order_history(&self, client_id: &ClientOrderId) -> Result<Vec<Order>, StoreError>;

    /// Fills at or after `since`, oldest first.
    ///
    /// # Errors
    /// If the read fails.
    fn fills_since(&self, since: Timestamp) -> Result<Vec<Fill>, StoreError>;

    /// Saves a snapshot of the positions held at `ts` (replacing any snapshot at the same instant).
    ///
    /// # Errors
    /// If the write fails (nothing is written).
    fn save_positions(&self, ts: Timestamp, positions: &[Position]) -> Result<(), StoreError>;

    /// The positions of the latest snapshot, by code (empty if none was saved).
    ///
    /// # Errors
    /// If the read fails.
    fn positions(&self) -> Result<Vec<Position>, StoreError>;

    /// Inserts or updates minute bars keyed by (code, end time). Returns the number written.
    ///
    /// # Errors
    /// If the write fails (nothing is written).
    fn upsert_minute_bars(&self, bars: &[Bar]) -> Result<usize, StoreError>;

    /// Minute bars of `code` with end time in `from..=to`, ascending.
    ///
    /// # Errors
    /// If the read fails.
    fn minute_bars(&self, code: StockCode, from: Timestamp, to: Timestamp) -> Result<Vec<Bar>, StoreError>;

    /// Inserts or updates fundamentals keyed by (code, as-of date).
    ///
    /// # Errors
    /// If the write fails (nothing is written).
    fn upsert_fundamentals(&self, rows: &[Fundamentals]) -> Result<(), StoreError>;

    /// The most recent fundamentals of every stock, by code.
    ///
    /// # Errors
    /// If the read fails.
    fn latest_fundamentals(&self) -> Result<Vec<Fundamentals>, StoreError>;

    /// Saves a screen run and its watchlist; returns the run's id.
    ///
    /// # Errors
    /// [`StoreError::Constraint`] if two entries share a code or a rank (nothing is written).
    fn save_screen_run(&self, run: &ScreenRunRecord, entries: &[WatchlistEntryRecord]) -> Result<i64, StoreError>;

    /// The most recent screen run (by time, then id) with its entries.
    ///
    /// # Errors
    /// If the read fails.
    fn latest_watchlist(&self) -> Result<Option<Watchlist>, StoreError>;

    /// Inserts or updates picks keyed by (date, code).
    ///
    /// # Errors
    /// If the write fails (nothing is written), or a pick names a screen run that does not exist.
    fn save_selections(&self, picks: &[SelectionRecord]) -> Result<(), StoreError>;

    /// The picks for `date`, best score first.
    ///
    /// # Errors
    /// If the read fails.
    fn selections_on(&self, date: NaiveDate) -> Result<Vec<SelectionRecord>, StoreError>;

    /// Inserts or updates predictions keyed by (date, code, horizon, source).
    ///
    /// # Errors
    /// If the write fails (nothing is written).
    fn save_predictions(&self, predictions: &[PredictionRecord]) -> Result<(), StoreError>;

    /// Records (or corrects) outcomes of stored predictions.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] if an outcome has no prediction (nothing is written).
    fn record_outcomes(&self, outcomes: &[OutcomeRecord]) -> Result<(), StoreError>;

    /// Predictions that have no outcome yet, oldest first.
    ///
    /// # Errors
    /// If the read fails.
    fn open_predictions(&self) -> Result<Vec<PredictionRecord>, StoreError>;

    /// Outcomes measured on or after `since`, with their predictions, oldest prediction first.
    ///
    /// # Errors
    /// If the read fails.
    fn outcomes_since(&self, since: NaiveDate) -> Result<Vec<(PredictionRecord, OutcomeRecord)>, StoreError>;

    /// Sets the regime of a day (upsert by date).
    ///
    /// # Errors
    /// If the write fails.
    fn set_regime(&self, regime: &RegimeRecord) -> Result<(), StoreError>;

    /// The regime in force on `date`: the latest one recorded on or before it.
    ///
    /// # Errors
    /// If the read fails.
    fn regime_on(&self, date: NaiveDate) -> Result<Option<RegimeRecord>, StoreError>;

    /// Inserts or replaces a weights version (keyed by its name).
    ///
    /// # Errors
    /// If the write fails.
    fn save_weights_version(&self, version: &WeightsVersionRecord) -> Result<(), StoreError>;

    /// Every weights version, oldest first (by effective date, then name).
    ///
    /// # Errors
    /// If the read fails.
    fn weights_versions(&self) -> Result<Vec<WeightsVersionRecord>, StoreError>;

    /// Saves a run with its trades and daily returns; returns the run's id.
    ///
    /// # Errors
    /// [`StoreError::Constraint`] if two daily returns share a date (nothing is written).
    fn save_run(&self, run: &RunRecord, trades: &[TradeRecord], daily: &[DailyReturnRecord])
    -> Result<i64, StoreError>;

    /// A run with its trades and daily returns.
    ///
    /// # Errors
    /// If the read fails.
    fn run(&self, id: i64) -> Result<Option<StoredRun>, StoreError>;

    /// Ids and records of all runs, newest first.
    ///
    /// # Errors
    /// If the read fails.
    fn runs(&self) -> Result<Vec<(i64, RunRecord)>, StoreError>;

    /// Appends API call records.
    ///
    /// # Errors
    /// If the write fails (nothing is written).
    fn record_api_calls(&self, calls: &[ApiCallRecord]) -> Result<(), StoreError>;

    /// API calls at or after `since`, oldest first.
    ///
    /// # Errors
    /// If the read fails.
    fn api_calls_since(&self, since: Timestamp) -> Result<Vec<ApiCallRecord>, StoreError>;

    /// Appends an alert, error or notification.
    ///
    /// # Errors
    /// If the write fails.
    fn record_event(&self, event: &EventRecord) -> Result<(), StoreError>;

    /// Events at or after `since`, oldest first.
    ///
    /// # Errors
    /// If the read fails.
    fn events_since(&self, since: Timestamp) -> Result<Vec<EventRecord>, StoreError>;

    /// A setting (also used for flags every process sees, like the emergency stop).
    ///
    /// # Errors
    /// If the read fails.
    fn setting(&self, key: &str) -> Result<Option<String>, StoreError>;

    /// Sets a setting.
    ///
    /// # Errors
    /// If the write fails.
    fn set_setting(&self, key: &str, value: &str) -> Result<(), StoreError>;

    /// Records a scheduler run (or a decided non-run) and returns its id.
    ///
    /// # Errors
    /// If the write fails.
    fn record_job_run(&self, run: &JobRun) -> Result<i64, StoreError>;

    /// Replaces run `id` (a run's end: finished time, outcome, error).
    ///
    /// # Errors
    /// [`StoreError::NotFound`] if there is no run `id`; if the write fails.
    fn update_job_run(&self, id: i64, run: &JobRun) -> Result<(), StoreError>;

    /// The newest `limit` runs, of `job` or of every job, newest first, with their ids.
    ///
    /// # Errors
    /// If the read fails.
    fn job_runs(&self, job: Option<&str>, limit: usize) -> Result<Vec<(i64, JobRun)>, StoreError>;
    /// Claims a notification for delivery on its channel: stores `rec` (as given, normally
    /// `pending` with no attempts) and returns its id, or `None` when the channel already has a
    /// notification with the same dedup key that was sent or is pending (a duplicate, by this or an
    /// earlier process). One that finally failed is claimed again (same id, back to `pending`), so
    /// an event raised anew gets another chance. A record without a key is always stored.
    ///
    /// # Errors
    /// If the read or write fails.
    fn claim_notification(&self, rec: &NotificationRecord) -> Result<Option<i64>, StoreError>;

    /// Records how a claimed delivery ended: its status, the attempts made (added to those before),
    /// the last error.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] if `id` was never claimed; if the write fails.
    fn finish_notification(
        &self,
        id: i64,
        status: DeliveryStatus,
        attempts: u32,
        error: Option<&str>,
        at: Timestamp,
    ) -> Result<(), StoreError>;

    /// Notifications raised at or after `since`, oldest first.
    ///
    /// # Errors
    /// If the read fails.
    fn notifications_since(&self, since: Timestamp) -> Result<Vec<NotificationRecord>, StoreError>;

    /// Takes the lock that lets one trader run `account`: `None` if another holder (a thread, or
    /// a process using the same database) has it. The lock lasts as long as the returned guard,
    /// and ends with the holding process even if it is killed.
    ///
    /// # Errors
    /// If the lock cannot be attempted (the lock file or the server is unreachable).
    fn try_lock_account(&self, account: &str) -> Result<Option<AccountLock>, StoreError>;
}

/// The settings key of the emergency stop flag (`"1"` when set).
pub const EMERGENCY_STOP_KEY: &str = "emergency_stop";

/// Whether the emergency stop flag is set in `store` (by this or any other process).
///
/// # Errors
/// If the read fails.
pub fn emergency_stop(store: &dyn Store) -> Result<bool, StoreError> {
    Ok(store.setting(EMERGENCY_STOP_KEY)?.as_deref() == Some("1"))
}
