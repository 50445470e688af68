//! Persistence. The [`Store`] trait is everything the engine and the pipeline need to keep
//! between runs; [`MemoryStore`] implements it in memory for tests, and the SQLite store
//! (feature `sqlite`) on disk.
//!
//! Orders are journaled before a broker sees them ([`Store::journal_order`]), and every
//! state change is appended ([`Store::update_order`]), so a restart can reconcile with the
//! broker instead of re-sending.

mod memory;

pub use memory::MemoryStore;

use chrono::NaiveDate;

use crate::domain::{Bar, ClientOrderId, Fill, Instrument, Order, StockCode};

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
}

/// The settings key of the emergency stop flag (`"1"` when set).
pub const EMERGENCY_STOP_KEY: &str = "emergency_stop";
