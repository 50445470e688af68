//! The schema, as an append-only list of migrations keyed by SQLite's `user_version`.
//!
//! Migration `i` (0-based) takes the database from version `i` to `i + 1`. Never edit or
//! reorder a released migration; add a new one. All pending migrations run in one transaction,
//! so a database is always at exactly one known version.
//!
//! Column conventions (shared with a future PostgreSQL schema):
//! - stock codes `TEXT` (6 characters);
//! - trading dates `INTEGER` as `YYYYMMDD` (readable in a SQL shell, sorts and ranges correctly);
//! - instants `INTEGER` milliseconds since the Unix epoch (UTC);
//! - prices and share counts `INTEGER` (whole won, whole shares);
//! - money (cash, fees, P&L) `TEXT` holding an exact decimal, never a float;
//! - JSON `TEXT` only for genuinely free-form detail (configurations, statistics, criteria lists).

use rusqlite::{Connection, TransactionBehavior};

use super::map_err;
use crate::store::StoreError;

/// One schema step.
#[derive(Clone, Copy, Debug)]
pub struct Migration {
    /// What it does, for logs.
    pub name: &'static str,
    /// SQL run as a batch.
    pub sql: &'static str,
}

/// Every migration, oldest first. The schema version of a database is the number applied.
pub const MIGRATIONS: &[Migration] = &[
    Migration { name: "initial schema", sql: V1 },
    Migration { name: "drop the by-date index of daily bars", sql: V2 },
    Migration { name: "round trips with average prices and open trips", sql: V3 },
    Migration { name: "learning: outcome excursions and levels, weights versions", sql: V4 },
    Migration { name: "scheduler job runs", sql: JOB_RUNS },
    Migration { name: "notification history", sql: V_NOTIFICATIONS },
    Migration { name: "instruments: KRX short codes of ETNs (Q + 6 characters)", sql: V_SHORT_CODES },
];

/// The schema version this code writes.
#[must_use]
pub fn latest_version() -> i64 {
    MIGRATIONS.len() as i64
}

/// The database's schema version.
///
/// # Errors
/// [`StoreError::Corrupt`] if the file is not a database.
pub fn version(conn: &Connection) -> Result<i64, StoreError> {
    conn.query_row("PRAGMA user_version", [], |r| r.get(0)).map_err(map_err)
}

/// Brings the database up to the last of `migrations`, in one transaction. Returns the version
/// it started from.
///
/// # Errors
/// [`StoreError::TooNew`] (before touching anything) if the database is newer than `migrations`;
/// any database error from a migration, in which case nothing was applied.
pub fn migrate(conn: &mut Connection, migrations: &[Migration]) -> Result<i64, StoreError> {
    let supported = migrations.len() as i64;
    let found = version(conn)?;
    if found > supported {
        return Err(StoreError::TooNew { found, supported });
    }
    if found == supported {
        return Ok(found);
    }
    // IMMEDIATE takes the write lock up front, so two processes opening a fresh file at once
    // cannot both decide to migrate it; the loser waits, then sees the new version.
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(map_err)?;
    let found = version(&tx)?;
    if found > supported {
        return Err(StoreError::TooNew { found, supported });
    }
    for (i, m) in migrations.iter().enumerate().skip(found as usize) {
        tracing::info!(version = i + 1, name = m.name, "Applying store migration");
        tx.execute_batch(m.sql).map_err(map_err)?;
    }
    tx.pragma_update(None, "user_version", supported).map_err(map_err)?;
    tx.commit().map_err(map_err)?;
    Ok(found)
}

const V1: &str = r"
CREATE TABLE settings (
    key        TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE TABLE instruments (
    code   TEXT PRIMARY KEY CHECK (length(code) = 6),
    name   TEXT NOT NULL,
    market TEXT NOT NULL CHECK (market IN ('KOSPI', 'KOSDAQ', 'KONEX')),
    sector TEXT,
    lot    INTEGER NOT NULL CHECK (lot > 0),
    kind   TEXT NOT NULL CHECK (kind IN ('stock', 'etf', 'etn', 'other'))
);
CREATE INDEX instruments_by_market_sector ON instruments (market, sector);

-- Bars carry no foreign key to instruments: history includes delisted codes that no current
-- master list has, and the check would cost the bulk import a lookup per row.
CREATE TABLE daily_bars (
    code   TEXT NOT NULL,
    date   INTEGER NOT NULL,
    open   INTEGER NOT NULL CHECK (open > 0),
    high   INTEGER NOT NULL CHECK (high >= open AND high >= close AND high >= low),
    low    INTEGER NOT NULL CHECK (low > 0 AND low <= open AND low <= close),
    close  INTEGER NOT NULL CHECK (close > 0),
    volume INTEGER NOT NULL CHECK (volume >= 0),
    PRIMARY KEY (code, date)
) WITHOUT ROWID;
CREATE INDEX daily_bars_by_date ON daily_bars (date);

CREATE TABLE minute_bars (
    code   TEXT NOT NULL,
    ts     INTEGER NOT NULL,
    open   INTEGER NOT NULL CHECK (open > 0),
    high   INTEGER NOT NULL CHECK (high >= open AND high >= close AND high >= low),
    low    INTEGER NOT NULL CHECK (low > 0 AND low <= open AND low <= close),
    close  INTEGER NOT NULL CHECK (close > 0),
    volume INTEGER NOT NULL CHECK (volume >= 0),
    PRIMARY KEY (code, ts)
) WITHOUT ROWID;

CREATE TABLE fundamentals (
    code           TEXT NOT NULL,
    as_of          INTEGER NOT NULL,
    per            REAL,
    pbr            REAL,
    eps            REAL,
    bps            REAL,
    roe_pct        REAL,
    debt_ratio_pct REAL,
    market_cap     INTEGER,
    listed_shares  INTEGER CHECK (listed_shares >= 0),
    PRIMARY KEY (code, as_of)
) WITHOUT ROWID;

CREATE TABLE screen_runs (
    id            INTEGER PRIMARY KEY,
    name          TEXT NOT NULL,
    ts            INTEGER NOT NULL,
    universe_size INTEGER NOT NULL CHECK (universe_size >= 0),
    config        TEXT NOT NULL CHECK (json_valid(config))
);
CREATE INDEX screen_runs_by_ts ON screen_runs (ts, id);

CREATE TABLE watchlist_entries (
    run_id   INTEGER NOT NULL REFERENCES screen_runs (id) ON DELETE CASCADE,
    code     TEXT NOT NULL,
    rank     INTEGER NOT NULL CHECK (rank > 0),
    score    REAL,
    passed   INTEGER NOT NULL CHECK (passed IN (0, 1)),
    criteria TEXT NOT NULL CHECK (json_valid(criteria)),
    PRIMARY KEY (run_id, code),
    UNIQUE (run_id, rank)
);
CREATE INDEX watchlist_entries_by_code ON watchlist_entries (code, run_id);

CREATE TABLE selections (
    date            INTEGER NOT NULL,
    code            TEXT NOT NULL,
    class           TEXT NOT NULL,
    confidence      REAL NOT NULL,
    score           REAL,
    weights_version TEXT NOT NULL,
    screen_run_id   INTEGER REFERENCES screen_runs (id) ON DELETE SET NULL,
    factors         TEXT NOT NULL CHECK (json_valid(factors)),
    config          TEXT NOT NULL CHECK (json_valid(config)),
    PRIMARY KEY (date, code)
);
CREATE INDEX selections_by_run ON selections (screen_run_id);

CREATE TABLE predictions (
    id              INTEGER PRIMARY KEY,
    date            INTEGER NOT NULL,
    code            TEXT NOT NULL,
    horizon_days    INTEGER NOT NULL CHECK (horizon_days > 0),
    source          TEXT NOT NULL,
    class           TEXT NOT NULL,
    confidence      REAL NOT NULL,
    expected_return REAL,
    weights_version TEXT NOT NULL,
    UNIQUE (date, code, horizon_days, source)
);

CREATE TABLE outcomes (
    prediction_id INTEGER PRIMARY KEY REFERENCES predictions (id) ON DELETE CASCADE,
    evaluated_on  INTEGER NOT NULL,
    actual_return REAL NOT NULL,
    max_drawdown  REAL NOT NULL,
    hit           INTEGER NOT NULL CHECK (hit IN (0, 1))
);
CREATE INDEX outcomes_by_evaluated_on ON outcomes (evaluated_on);

CREATE TABLE orders (
    client_id       TEXT PRIMARY KEY,
    broker_id       TEXT,
    code            TEXT NOT NULL,
    side            TEXT NOT NULL CHECK (side IN ('buy', 'sell')),
    qty             INTEGER NOT NULL CHECK (qty > 0),
    limit_price     INTEGER CHECK (limit_price > 0),
    tif             TEXT NOT NULL CHECK (tif IN ('day', 'ioc', 'fok')),
    status          TEXT NOT NULL,
    filled_qty      INTEGER NOT NULL CHECK (filled_qty >= 0 AND filled_qty <= qty),
    filled_notional INTEGER NOT NULL,
    created         INTEGER NOT NULL,
    updated         INTEGER NOT NULL,
    reason          TEXT
);
CREATE INDEX orders_open ON orders (status) WHERE status IN ('pending_new', 'accepted', 'partially_filled');
CREATE INDEX orders_by_broker_id ON orders (broker_id) WHERE broker_id IS NOT NULL;
CREATE INDEX orders_by_created ON orders (created);

-- Every recorded state of an order, the journal entry first.
CREATE TABLE order_events (
    id              INTEGER PRIMARY KEY,
    client_id       TEXT NOT NULL REFERENCES orders (client_id) ON DELETE CASCADE,
    ts              INTEGER NOT NULL,
    status          TEXT NOT NULL,
    broker_id       TEXT,
    filled_qty      INTEGER NOT NULL,
    filled_notional INTEGER NOT NULL,
    reason          TEXT
);
CREATE INDEX order_events_by_order ON order_events (client_id, id);

CREATE TABLE fills (
    id         INTEGER PRIMARY KEY,
    client_id  TEXT NOT NULL REFERENCES orders (client_id),
    code       TEXT NOT NULL,
    side       TEXT NOT NULL CHECK (side IN ('buy', 'sell')),
    qty        INTEGER NOT NULL CHECK (qty > 0),
    price      INTEGER NOT NULL CHECK (price > 0),
    commission TEXT NOT NULL,
    tax        TEXT NOT NULL,
    ts         INTEGER NOT NULL
);
CREATE INDEX fills_by_order ON fills (client_id, id);
CREATE INDEX fills_by_ts ON fills (ts);

-- A snapshot row exists even when nothing is held, so flat is distinguishable from never saved.
CREATE TABLE position_snapshots (
    ts INTEGER PRIMARY KEY
);

CREATE TABLE positions (
    ts           INTEGER NOT NULL REFERENCES position_snapshots (ts) ON DELETE CASCADE,
    code         TEXT NOT NULL,
    qty          INTEGER NOT NULL CHECK (qty >= 0),
    cost         TEXT NOT NULL,
    realized_pnl TEXT NOT NULL,
    last_price   INTEGER NOT NULL CHECK (last_price > 0),
    costs_paid   TEXT NOT NULL,
    PRIMARY KEY (ts, code)
) WITHOUT ROWID;

CREATE TABLE runs (
    id       INTEGER PRIMARY KEY,
    kind     TEXT NOT NULL CHECK (kind IN ('backtest', 'paper', 'live')),
    strategy TEXT NOT NULL,
    started  INTEGER NOT NULL,
    finished INTEGER,
    config   TEXT NOT NULL CHECK (json_valid(config)),
    stats    TEXT NOT NULL CHECK (json_valid(stats))
);
CREATE INDEX runs_by_strategy ON runs (strategy, started);

CREATE TABLE trades (
    id          INTEGER PRIMARY KEY,
    run_id      INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    code        TEXT NOT NULL,
    qty         INTEGER NOT NULL CHECK (qty > 0),
    entry_ts    INTEGER NOT NULL,
    entry_price INTEGER NOT NULL CHECK (entry_price > 0),
    exit_ts     INTEGER NOT NULL,
    exit_price  INTEGER NOT NULL CHECK (exit_price > 0),
    pnl         TEXT NOT NULL,
    costs       TEXT NOT NULL
);
CREATE INDEX trades_by_run ON trades (run_id, exit_ts);
CREATE INDEX trades_by_code ON trades (code);

CREATE TABLE daily_returns (
    run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    date   INTEGER NOT NULL,
    equity TEXT NOT NULL,
    ret    REAL NOT NULL,
    PRIMARY KEY (run_id, date)
) WITHOUT ROWID;

CREATE TABLE market_regimes (
    date   INTEGER PRIMARY KEY,
    regime TEXT NOT NULL,
    score  REAL NOT NULL,
    detail TEXT NOT NULL CHECK (json_valid(detail))
);

CREATE TABLE api_calls (
    id         INTEGER PRIMARY KEY,
    ts         INTEGER NOT NULL,
    endpoint   TEXT NOT NULL,
    tr_id      TEXT,
    latency_us INTEGER NOT NULL CHECK (latency_us >= 0),
    status     INTEGER,
    outcome    TEXT NOT NULL
);
CREATE INDEX api_calls_by_ts ON api_calls (ts);
CREATE INDEX api_calls_by_tr_id ON api_calls (tr_id, ts);

CREATE TABLE events (
    id      INTEGER PRIMARY KEY,
    ts      INTEGER NOT NULL,
    kind    TEXT NOT NULL CHECK (kind IN ('alert', 'error', 'notification')),
    source  TEXT NOT NULL,
    message TEXT NOT NULL,
    detail  TEXT NOT NULL CHECK (json_valid(detail))
);
CREATE INDEX events_by_ts ON events (ts);
CREATE INDEX events_by_kind ON events (kind, ts);
";

// A second B-tree keyed (date, code) took every bulk insert out of append order and halved the
// ingest rate; every read path goes by code first (the primary key), so it earned nothing.
const V2: &str = "DROP INDEX daily_bars_by_date;";

// The backtest's round trips carry average (fractional) prices and may still be open at the end
// of a run; SQLite cannot alter column types, so the table is rebuilt with its rows.
const V3: &str = r"
CREATE TABLE trades_v3 (
    id          INTEGER PRIMARY KEY,
    run_id      INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    code        TEXT NOT NULL,
    qty         INTEGER NOT NULL CHECK (qty > 0),
    entry_ts    INTEGER NOT NULL,
    entry_price REAL NOT NULL CHECK (entry_price > 0),
    exit_ts     INTEGER,
    exit_price  REAL CHECK (exit_price > 0),
    pnl         TEXT NOT NULL,
    costs       TEXT NOT NULL,
    return_pct  REAL NOT NULL,
    CHECK ((exit_ts IS NULL) = (exit_price IS NULL))
);
INSERT INTO trades_v3 (id, run_id, code, qty, entry_ts, entry_price, exit_ts, exit_price, pnl, costs, return_pct)
    SELECT id, run_id, code, qty, entry_ts, entry_price, exit_ts, exit_price, pnl, costs,
           100.0 * CAST(pnl AS REAL) / (entry_price * qty)
    FROM trades;
DROP TABLE trades;
ALTER TABLE trades_v3 RENAME TO trades;
CREATE INDEX trades_by_run ON trades (run_id, exit_ts);
CREATE INDEX trades_by_code ON trades (code);
";

const V4: &str = r"
ALTER TABLE outcomes ADD COLUMN entry_price INTEGER CHECK (entry_price > 0);
ALTER TABLE outcomes ADD COLUMN max_favourable REAL NOT NULL DEFAULT 0;
ALTER TABLE outcomes ADD COLUMN first_hit TEXT NOT NULL DEFAULT 'neither'
    CHECK (first_hit IN ('target', 'stop', 'neither', 'not_entered'));
ALTER TABLE outcomes ADD COLUMN days_held INTEGER NOT NULL DEFAULT 0 CHECK (days_held >= 0);

CREATE TABLE weights_versions (
    version        TEXT PRIMARY KEY,
    effective_from INTEGER NOT NULL,
    parent         TEXT REFERENCES weights_versions (version),
    weights        TEXT NOT NULL CHECK (json_valid(weights)),
    inputs         TEXT NOT NULL CHECK (json_valid(inputs)),
    status         TEXT NOT NULL CHECK (status IN ('approved', 'rolled_back'))
);
CREATE INDEX weights_versions_by_effective_from ON weights_versions (effective_from);
";

// Every decision of the scheduler about a fire time: runs with their start, end and outcome, and the
// fire times it did not run (misfired, refused, skipped) with the reason.
const JOB_RUNS: &str = r"
CREATE TABLE job_runs (
    id        INTEGER PRIMARY KEY,
    job       TEXT NOT NULL,
    scheduled INTEGER NOT NULL,
    started   INTEGER,
    finished  INTEGER,
    outcome   TEXT NOT NULL CHECK (outcome IN ('running', 'succeeded', 'failed', 'skipped', 'misfired', 'refused', 'cancelled')),
    error     TEXT,
    CHECK (finished IS NULL OR started IS NULL OR finished >= started)
);
CREATE INDEX job_runs_by_job ON job_runs (job, id);
";

// One row per notification per channel. `(channel, dedup_key)` is unique so a restarted process
// cannot deliver the same event twice (rows without a key never collide: NULLs are distinct).
const V_NOTIFICATIONS: &str = r"
CREATE TABLE notifications (
    id        INTEGER PRIMARY KEY,
    ts        INTEGER NOT NULL,
    channel   TEXT NOT NULL,
    level     TEXT NOT NULL CHECK (level IN ('info', 'warning', 'critical')),
    kind      TEXT NOT NULL,
    dedup_key TEXT,
    title     TEXT NOT NULL,
    body      TEXT NOT NULL,
    status    TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'failed')),
    attempts  INTEGER NOT NULL CHECK (attempts >= 0),
    error     TEXT,
    updated   INTEGER NOT NULL
);
CREATE UNIQUE INDEX notifications_by_key ON notifications (channel, dedup_key);
CREATE INDEX notifications_by_ts ON notifications (ts);
";

// ETNs are listed as `Q` + 6 characters. SQLite cannot change a CHECK in place; nothing references
// instruments, so the table is rebuilt.
const V_SHORT_CODES: &str = r"
CREATE TABLE instruments_v7 (
    code   TEXT PRIMARY KEY CHECK (length(code) IN (6, 7)),
    name   TEXT NOT NULL,
    market TEXT NOT NULL CHECK (market IN ('KOSPI', 'KOSDAQ', 'KONEX')),
    sector TEXT,
    lot    INTEGER NOT NULL CHECK (lot > 0),
    kind   TEXT NOT NULL CHECK (kind IN ('stock', 'etf', 'etn', 'other'))
);
INSERT INTO instruments_v7 (code, name, market, sector, lot, kind)
    SELECT code, name, market, sector, lot, kind FROM instruments;
DROP TABLE instruments;
ALTER TABLE instruments_v7 RENAME TO instruments;
CREATE INDEX instruments_by_market_sector ON instruments (market, sector);
";
