//! Opening the store every command uses: the SQLite file (`data.db`, `--db FILE`) by default,
//! or a PostgreSQL server when `data.url` (or `--db postgres://…`) names one. The password
//! comes only from `HANTU_PG_PASSWORD` (or a `HANTU_DATA_URL` that carries it) and is never
//! printed: every message shows the URL as `user:***@host`.

use std::path::Path;

use anyhow::Context as _;
use chrono::NaiveDate;
use hantu_core::domain::{Bar, ClientOrderId, Fill, Fundamentals, Instrument, Order, Position, StockCode, Timestamp};
use hantu_core::io::FileReport;
use hantu_core::store::bulk::{ImportProgress, ImportReport};
use hantu_core::store::postgres::is_postgres_url;
use hantu_core::store::transfer::TableIo;
use hantu_core::store::{
    AccountLock, ApiCallRecord, DailyReturnRecord, EventRecord, OutcomeRecord, PgOptions, PgStore, PgUrl,
    PredictionRecord, RegimeRecord, RunRecord, ScreenRunRecord, SelectionRecord, SqliteStore, Store, StoreError,
    StoredRun, TradeRecord, Watchlist, WatchlistEntryRecord, WeightsVersionRecord,
};

use crate::commands::Ctx;

/// The store on either backend.
pub enum AnyStore {
    /// A SQLite file.
    Sqlite(SqliteStore),
    /// A PostgreSQL server.
    Postgres(PgStore),
}

/// Implements each listed method by calling it on whichever store is open.
macro_rules! delegate {
    ($(fn $name:ident(&self $(, $arg:ident: $ty:ty)*) -> $ret:ty;)*) => {
        $(fn $name(&self $(, $arg: $ty)*) -> $ret {
            match self {
                AnyStore::Sqlite(s) => s.$name($($arg),*),
                AnyStore::Postgres(s) => s.$name($($arg),*),
            }
        })*
    };
}

impl Store for AnyStore {
    delegate! {
        fn journal_order(&self, order: &Order) -> Result<(), StoreError>;
        fn update_order(&self, order: &Order) -> Result<(), StoreError>;
        fn record_fill(&self, fill: &Fill) -> Result<(), StoreError>;
        fn order(&self, client_id: &ClientOrderId) -> Result<Option<Order>, StoreError>;
        fn open_orders(&self) -> Result<Vec<Order>, StoreError>;
        fn orders_since(&self, since: Timestamp) -> Result<Vec<Order>, StoreError>;
        fn fills_for(&self, client_id: &ClientOrderId) -> Result<Vec<Fill>, StoreError>;
        fn upsert_instruments(&self, instruments: &[Instrument]) -> Result<(), StoreError>;
        fn instruments(&self) -> Result<Vec<Instrument>, StoreError>;
        fn upsert_daily_bars(&self, bars: &[Bar]) -> Result<usize, StoreError>;
        fn daily_bars(&self, code: StockCode, from: NaiveDate, to: NaiveDate) -> Result<Vec<Bar>, StoreError>;
        fn order_history(&self, client_id: &ClientOrderId) -> Result<Vec<Order>, StoreError>;
        fn fills_since(&self, since: Timestamp) -> Result<Vec<Fill>, StoreError>;
        fn save_positions(&self, ts: Timestamp, positions: &[Position]) -> Result<(), StoreError>;
        fn positions(&self) -> Result<Vec<Position>, StoreError>;
        fn upsert_minute_bars(&self, bars: &[Bar]) -> Result<usize, StoreError>;
        fn minute_bars(&self, code: StockCode, from: Timestamp, to: Timestamp) -> Result<Vec<Bar>, StoreError>;
        fn upsert_fundamentals(&self, rows: &[Fundamentals]) -> Result<(), StoreError>;
        fn latest_fundamentals(&self) -> Result<Vec<Fundamentals>, StoreError>;
        fn save_screen_run(&self, run: &ScreenRunRecord, entries: &[WatchlistEntryRecord]) -> Result<i64, StoreError>;
        fn latest_watchlist(&self) -> Result<Option<Watchlist>, StoreError>;
        fn save_selections(&self, picks: &[SelectionRecord]) -> Result<(), StoreError>;
        fn selections_on(&self, date: NaiveDate) -> Result<Vec<SelectionRecord>, StoreError>;
        fn save_predictions(&self, predictions: &[PredictionRecord]) -> Result<(), StoreError>;
        fn record_outcomes(&self, outcomes: &[OutcomeRecord]) -> Result<(), StoreError>;
        fn open_predictions(&self) -> Result<Vec<PredictionRecord>, StoreError>;
        fn outcomes_since(&self, since: NaiveDate) -> Result<Vec<(PredictionRecord, OutcomeRecord)>, StoreError>;
        fn set_regime(&self, regime: &RegimeRecord) -> Result<(), StoreError>;
        fn regime_on(&self, date: NaiveDate) -> Result<Option<RegimeRecord>, StoreError>;
        fn save_weights_version(&self, version: &WeightsVersionRecord) -> Result<(), StoreError>;
        fn weights_versions(&self) -> Result<Vec<WeightsVersionRecord>, StoreError>;
        fn record_job_run(&self, run: &hantu_core::schedule::JobRun) -> Result<i64, StoreError>;
        fn update_job_run(&self, id: i64, run: &hantu_core::schedule::JobRun) -> Result<(), StoreError>;
        fn job_runs(&self, job: Option<&str>, limit: usize) -> Result<Vec<(i64, hantu_core::schedule::JobRun)>, StoreError>;
        fn claim_notification(&self, rec: &hantu_core::notify::NotificationRecord) -> Result<Option<i64>, StoreError>;
        fn finish_notification(
            &self,
            id: i64,
            status: hantu_core::notify::DeliveryStatus,
            attempts: u32,
            error: Option<&str>,
            at: Timestamp
        ) -> Result<(), StoreError>;
        fn notifications_since(&self, since: Timestamp) -> Result<Vec<hantu_core::notify::NotificationRecord>, StoreError>;
        fn save_run(&self, run: &RunRecord, trades: &[TradeRecord], daily: &[DailyReturnRecord]) -> Result<i64, StoreError>;
        fn run(&self, id: i64) -> Result<Option<StoredRun>, StoreError>;
        fn runs(&self) -> Result<Vec<(i64, RunRecord)>, StoreError>;
        fn record_api_calls(&self, calls: &[ApiCallRecord]) -> Result<(), StoreError>;
        fn api_calls_since(&self, since: Timestamp) -> Result<Vec<ApiCallRecord>, StoreError>;
        fn record_event(&self, event: &EventRecord) -> Result<(), StoreError>;
        fn events_since(&self, since: Timestamp) -> Result<Vec<EventRecord>, StoreError>;
        fn setting(&self, key: &str) -> Result<Option<String>, StoreError>;
        fn set_setting(&self, key: &str, value: &str) -> Result<(), StoreError>;
        fn try_lock_account(&self, account: &str) -> Result<Option<AccountLock>, StoreError>;
    }
}

impl AnyStore {
    /// Where the data lives, safe to print.
    pub fn label(&self) -> String {
        self.table_io().label()
    }

    /// Table-level access for `hantu db`.
    pub fn table_io(&self) -> &dyn TableIo {
        match self {
            AnyStore::Sqlite(s) => s,
            AnyStore::Postgres(s) => s,
        }
    }

    /// See [`SqliteStore::import_csv_dir`].
    pub fn import_csv_dir(&self, dir: &Path, progress: impl FnMut(&ImportProgress)) -> anyhow::Result<ImportReport> {
        Ok(match self {
            AnyStore::Sqlite(s) => s.import_csv_dir(dir, progress)?,
            AnyStore::Postgres(s) => s.import_csv_dir(dir, progress)?,
        })
    }

    /// See [`SqliteStore::import_instruments`].
    pub fn import_instruments(&self, path: &Path) -> anyhow::Result<FileReport> {
        Ok(match self {
            AnyStore::Sqlite(s) => s.import_instruments(path)?,
            AnyStore::Postgres(s) => s.import_instruments(path)?,
        })
    }

    /// See [`SqliteStore::import_fundamentals`].
    pub fn import_fundamentals(&self, path: &Path) -> anyhow::Result<usize> {
        Ok(match self {
            AnyStore::Sqlite(s) => s.import_fundamentals(path)?,
            AnyStore::Postgres(s) => s.import_fundamentals(path)?,
        })
    }

    /// See [`SqliteStore::export_csv_dir`].
    pub fn export_csv_dir(&self, dir: &Path) -> anyhow::Result<usize> {
        Ok(match self {
            AnyStore::Sqlite(s) => s.export_csv_dir(dir)?,
            AnyStore::Postgres(s) => s.export_csv_dir(dir)?,
        })
    }
}

/// A PostgreSQL URL with the password from `HANTU_PG_PASSWORD` when the URL has none.
pub fn pg_url(ctx: &Ctx, raw: &str) -> anyhow::Result<PgUrl> {
    let url = PgUrl::parse(raw)?;
    Ok(match ctx.cfg.secrets.get("HANTU_PG_PASSWORD") {
        Some((pw, _)) if !url.has_password() => url.with_password(pw.expose()),
        _ => url,
    })
}

/// Opens a store named on the command line: `postgres://…`, `sqlite:PATH` or a file path.
pub fn open_location(ctx: &Ctx, location: &str) -> anyhow::Result<AnyStore> {
    if is_postgres_url(location) {
        let url = pg_url(ctx, location)?;
        let store =
            PgStore::connect(&url, &PgOptions::default()).with_context(|| format!("opening the store {url}"))?;
        return Ok(AnyStore::Postgres(store));
    }
    let path = Path::new(location.strip_prefix("sqlite:").unwrap_or(location));
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let store = SqliteStore::open(path).with_context(|| format!("opening the store {}", path.display()))?;
    Ok(AnyStore::Sqlite(store))
}

/// Opens the configured store: `--db` if given, else `data.url` if set, else `data.db`.
pub fn open(ctx: &Ctx) -> anyhow::Result<AnyStore> {
    if ctx.db_from_flag {
        return open_location(ctx, &ctx.db.to_string_lossy());
    }
    match &ctx.cfg.config.data.url {
        Some(url) => open_location(ctx, url.expose()),
        None => open_location(ctx, &ctx.db.to_string_lossy()),
    }
}

/// Where the configured store is, safe to print.
pub fn describe(ctx: &Ctx) -> String {
    match (&ctx.cfg.config.data.url, ctx.db_from_flag) {
        (Some(url), false) => url.redacted(),
        _ => ctx.db.display().to_string(),
    }
}
