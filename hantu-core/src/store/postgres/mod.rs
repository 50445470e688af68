//! [`PgStore`]: the store on a PostgreSQL server, for setups that outgrow one machine (several
//! traders and accounts, the API and dashboard, analysts reading the same data).
//!
//! The same schema as SQLite in PostgreSQL's types ([`migrations`]); the same behaviour, checked
//! by the same contract tests. Connections come from an `r2d2` pool of the synchronous
//! `postgres` client (the [`crate::store::Store`] trait is synchronous), so any number of
//! threads and processes can read and write at once. Every write method is one transaction,
//! retried when the server aborts it as a serialisation failure or deadlock; reads of several
//! tables run in one `REPEATABLE READ` snapshot. Bulk bars go through binary `COPY`.
//! [`crate::store::Store::try_lock_account`] is a session-level advisory lock, which the server
//! releases when the holding process dies.

mod codec;
mod import;
mod journal;
mod market;
pub mod migrations;
mod ops;
mod pipeline;
pub mod raw;
mod service;
mod url;

use std::time::Duration;

use ::postgres::error::SqlState;
use ::postgres::{Client, IsolationLevel, NoTls, Transaction};
use chrono::NaiveDate;
use r2d2_postgres::PostgresConnectionManager;

pub use url::{PgUrl, is_postgres_url};

use super::{
    AccountLock, ApiCallRecord, DailyReturnRecord, EventRecord, OutcomeRecord, PredictionRecord, RegimeRecord,
    RunRecord, ScreenRunRecord, SelectionRecord, StoreError, StoredRun, TradeRecord, Watchlist, WatchlistEntryRecord,
    account_lock_key,
};
use crate::domain::{Bar, ClientOrderId, Fill, Fundamentals, Instrument, Order, Position, StockCode, Timestamp};

type Pool = r2d2::Pool<PostgresConnectionManager<NoTls>>;
type Pooled = r2d2::PooledConnection<PostgresConnectionManager<NoTls>>;

/// How to connect.
#[derive(Clone, Debug)]
pub struct PgOptions {
    /// Most connections the pool keeps open.
    pub pool_size: u32,
    /// How long to wait for a connection (from the pool or the server) before [`StoreError::Busy`].
    pub connect_timeout: Duration,
    /// A schema to use instead of `public` (created if missing): several independent stores in
    /// one database, as the tests use to run in parallel.
    pub schema: Option<String>,
    /// How many times a write aborted by a serialisation failure or deadlock is retried.
    pub retries: u32,
}

impl Default for PgOptions {
    fn default() -> Self {
        Self { pool_size: 8, connect_timeout: Duration::from_secs(10), schema: None, retries: 8 }
    }
}

/// A [`super::Store`] on a PostgreSQL server. Cheap to share behind an `Arc`.
pub struct PgStore {
    pool: Pool,
    url: PgUrl,
    schema: Option<String>,
    retries: u32,
}

impl std::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgStore").field("url", &self.url).field("schema", &self.schema).finish()
    }
}

fn valid_schema(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        && !s.as_bytes()[0].is_ascii_digit()
}

impl PgStore {
    /// Connects to `url` and migrates the schema to the current version.
    ///
    /// # Errors
    /// [`StoreError::TooNew`] if the database was written by a newer hantu (nothing touched);
    /// [`StoreError::Busy`] if no connection could be made in time (the message says why, e.g.
    /// a refused connection or failed authentication); any error of a migration (none applied).
    pub fn connect(url: &PgUrl, options: &PgOptions) -> Result<Self, StoreError> {
        let mut config = url.config().clone();
        config.connect_timeout(options.connect_timeout);
        config.application_name("hantu");
        // One direct connection first: its error says what is wrong (refused, authentication
        // failed, no such database), where the pool would only report a timeout.
        let mut first = config.connect(NoTls).map_err(|e| connect_error(url, e))?;
        if let Some(schema) = &options.schema {
            if !valid_schema(schema) {
                return Err(StoreError::Other(format!(
                    "schema name {schema:?} must be lowercase letters, digits and _ (not starting with a digit)"
                )));
            }
            first.batch_execute(&format!("CREATE SCHEMA IF NOT EXISTS {schema}")).map_err(map_err)?;
            config.options(&format!("-c search_path={schema}"));
        }
        drop(first);
        let manager = PostgresConnectionManager::new(config, NoTls);
        let pool = r2d2::Pool::builder()
            .max_size(options.pool_size.max(1))
            .min_idle(Some(1))
            .connection_timeout(options.connect_timeout)
            .build(manager)
            .map_err(|e| StoreError::Busy(format!("connecting to {url}: {e}")))?;
        let store = Self { pool, url: url.clone(), schema: options.schema.clone(), retries: options.retries };
        migrations::migrate(client(&mut store.conn()?), migrations::MIGRATIONS)?;
        Ok(store)
    }

    /// The server the store talks to (password hidden).
    #[must_use]
    pub fn url(&self) -> &PgUrl {
        &self.url
    }

    /// The schema the store lives in (`None`: the server's default, `public`).
    #[must_use]
    pub fn schema(&self) -> Option<&str> {
        self.schema.as_deref()
    }

    /// The schema version of the database.
    ///
    /// # Errors
    /// If the read fails.
    pub fn schema_version(&self) -> Result<i64, StoreError> {
        migrations::version(client(&mut self.conn()?))
    }

    /// A connection from the pool.
    ///
    /// # Errors
    /// [`StoreError::Busy`] if none is free within the timeout.
    pub fn conn(&self) -> Result<Pooled, StoreError> {
        self.pool.get().map_err(|e| StoreError::Busy(format!("no database connection: {e}")))
    }

    /// Runs `f` in one write transaction, committing only if it succeeds; a transaction the
    /// server aborted as a serialisation failure or deadlock is run again from the start.
    fn write<T>(&self, mut f: impl FnMut(&mut Transaction<'_>) -> Result<T, StoreError>) -> Result<T, StoreError> {
        let mut conn = self.conn()?;
        let mut attempt = 0;
        loop {
            let result = (|| {
                let mut tx = conn.transaction().map_err(map_err)?;
                let out = f(&mut tx)?;
                tx.commit().map_err(map_err)?;
                Ok(out)
            })();
            match result {
                Err(StoreError::Busy(m)) if attempt < self.retries && is_retryable(&m) => {
                    attempt += 1;
                    tracing::debug!(attempt, "Retrying a PostgreSQL transaction after a serialisation failure");
                    std::thread::sleep(Duration::from_millis(5 << attempt.min(6)));
                }
                other => return other,
            }
        }
    }

    /// Runs `f` in one read-only snapshot, so reads of several tables agree with each other.
    fn read<T>(&self, f: impl FnOnce(&mut Transaction<'_>) -> Result<T, StoreError>) -> Result<T, StoreError> {
        let mut conn = self.conn()?;
        let mut tx = conn
            .build_transaction()
            .isolation_level(IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()
            .map_err(map_err)?;
        let out = f(&mut tx)?;
        tx.commit().map_err(map_err)?;
        Ok(out)
    }
}

/// A failed connection attempt, saying why (the driver's own message hides the server's reason
/// in its source) and where, without the password.
fn connect_error(url: &PgUrl, e: ::postgres::Error) -> StoreError {
    let reason = match e.as_db_error() {
        Some(db) => db.message().to_owned(),
        None => std::error::Error::source(&e).map_or_else(|| e.to_string(), |s| format!("{e}: {s}")),
    };
    StoreError::Other(format!("cannot connect to {url}: {reason}"))
}

/// Marker in [`StoreError::Busy`] messages of aborted transactions worth running again.
const RETRY_MARK: &str = "(transaction aborted, retryable)";

fn is_retryable(message: &str) -> bool {
    message.ends_with(RETRY_MARK)
}

/// Maps a driver error to the store's typed errors.
pub(crate) fn map_err(e: ::postgres::Error) -> StoreError {
    let Some(db) = e.as_db_error() else {
        if e.is_closed() {
            return StoreError::Busy(format!("connection closed: {e}"));
        }
        return StoreError::Other(e.to_string());
    };
    let text = match (db.table(), db.constraint()) {
        (Some(t), Some(c)) => format!("{} ({t}: {c})", db.message()),
        (Some(t), None) => format!("{} ({t})", db.message()),
        _ => db.message().to_owned(),
    };
    let code = db.code();
    if *code == SqlState::T_R_SERIALIZATION_FAILURE || *code == SqlState::T_R_DEADLOCK_DETECTED {
        return StoreError::Busy(format!("{text} {RETRY_MARK}"));
    }
    if *code == SqlState::LOCK_NOT_AVAILABLE || *code == SqlState::TOO_MANY_CONNECTIONS {
        return StoreError::Busy(text);
    }
    if *code == SqlState::DISK_FULL || *code == SqlState::INSUFFICIENT_RESOURCES {
        return StoreError::Full(text);
    }
    if *code == SqlState::DATA_CORRUPTED || *code == SqlState::INDEX_CORRUPTED {
        return StoreError::Corrupt(text);
    }
    match code.code().get(..2) {
        Some("23") => StoreError::Constraint(text),
        Some("22") => StoreError::Constraint(format!("bad value: {text}")),
        _ => StoreError::Other(text),
    }
}

/// Holds a session-level advisory lock; unlocking on drop returns a clean connection to the pool.
struct AdvisoryLock {
    conn: Pooled,
    key: i64,
}

impl Drop for AdvisoryLock {
    fn drop(&mut self) {
        if self.conn.execute("SELECT pg_advisory_unlock($1)", &[&self.key]).is_err() {
            // The session is broken; the server drops its locks with it.
            tracing::warn!("Could not release an account lock; it ends with the connection");
        }
    }
}

fn client(conn: &mut Pooled) -> &mut Client {
    conn
}

impl super::Store for PgStore {
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
        self.read(|t| journal::order(t, client_id))
    }

    fn open_orders(&self) -> Result<Vec<Order>, StoreError> {
        self.read(journal::open_orders)
    }

    fn orders_since(&self, since: Timestamp) -> Result<Vec<Order>, StoreError> {
        self.read(|t| journal::orders_since(t, since))
    }

    fn fills_for(&self, client_id: &ClientOrderId) -> Result<Vec<Fill>, StoreError> {
        self.read(|t| journal::fills_for(t, client_id))
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
        self.read(|t| market::daily_bars(t, code, from, to))
    }

    fn order_history(&self, client_id: &ClientOrderId) -> Result<Vec<Order>, StoreError> {
        self.read(|t| journal::order_history(t, client_id))
    }

    fn fills_since(&self, since: Timestamp) -> Result<Vec<Fill>, StoreError> {
        self.read(|t| journal::fills_since(t, since))
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
        self.read(|t| market::minute_bars(t, code, from, to))
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
        self.read(|t| pipeline::selections_on(t, date))
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
        self.read(|t| pipeline::outcomes_since(t, since))
    }

    fn set_regime(&self, regime: &RegimeRecord) -> Result<(), StoreError> {
        self.write(|t| pipeline::set_regime(t, regime))
    }

    fn regime_on(&self, date: NaiveDate) -> Result<Option<RegimeRecord>, StoreError> {
        self.read(|t| pipeline::regime_on(t, date))
    }

    fn save_weights_version(&self, version: &super::WeightsVersionRecord) -> Result<(), StoreError> {
        self.write(|t| pipeline::save_weights_version(t, version))
    }

    fn weights_versions(&self) -> Result<Vec<super::WeightsVersionRecord>, StoreError> {
        self.read(pipeline::weights_versions)
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
        self.read(|t| ops::run(t, id))
    }

    fn runs(&self) -> Result<Vec<(i64, RunRecord)>, StoreError> {
        self.read(ops::runs)
    }

    fn record_api_calls(&self, calls: &[ApiCallRecord]) -> Result<(), StoreError> {
        self.write(|t| ops::record_api_calls(t, calls))
    }

    fn api_calls_since(&self, since: Timestamp) -> Result<Vec<ApiCallRecord>, StoreError> {
        self.read(|t| ops::api_calls_since(t, since))
    }

    fn record_event(&self, event: &EventRecord) -> Result<(), StoreError> {
        self.write(|t| ops::record_event(t, event))
    }

    fn events_since(&self, since: Timestamp) -> Result<Vec<EventRecord>, StoreError> {
        self.read(|t| ops::events_since(t, since))
    }

    fn setting(&self, key: &str) -> Result<Option<String>, StoreError> {
        self.read(|t| ops::setting(t, key))
    }

    fn set_setting(&self, key: &str, value: &str) -> Result<(), StoreError> {
        self.write(|t| ops::set_setting(t, key, value))
    }

    fn record_job_run(&self, run: &crate::schedule::JobRun) -> Result<i64, StoreError> {
        self.write(|t| service::record_job_run(t, run))
    }

    fn update_job_run(&self, id: i64, run: &crate::schedule::JobRun) -> Result<(), StoreError> {
        self.write(|t| service::update_job_run(t, id, run))
    }

    fn job_runs(&self, job: Option<&str>, limit: usize) -> Result<Vec<(i64, crate::schedule::JobRun)>, StoreError> {
        self.read(|t| service::job_runs(t, job, limit))
    }

    fn claim_notification(&self, rec: &crate::notify::NotificationRecord) -> Result<Option<i64>, StoreError> {
        self.write(|t| service::claim_notification(t, rec))
    }

    fn finish_notification(
        &self,
        id: i64,
        status: crate::notify::DeliveryStatus,
        attempts: u32,
        error: Option<&str>,
        at: Timestamp,
    ) -> Result<(), StoreError> {
        self.write(|t| service::finish_notification(t, id, status, attempts, error, at))
    }

    fn notifications_since(&self, since: Timestamp) -> Result<Vec<crate::notify::NotificationRecord>, StoreError> {
        self.read(|t| service::notifications_since(t, since))
    }

    fn try_lock_account(&self, account: &str) -> Result<Option<AccountLock>, StoreError> {
        // The key is a hash: the account number itself never reaches the server or its logs.
        let key = account_lock_key(account) as i64;
        let mut conn = self.conn()?;
        let got: bool = client(&mut conn)
            .query_one("SELECT pg_try_advisory_lock($1)", &[&key])
            .and_then(|r| r.try_get(0))
            .map_err(map_err)?;
        Ok(got.then(|| AccountLock::new(AdvisoryLock { conn, key })))
    }
}
