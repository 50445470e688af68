//! Runs (with trades and daily returns), API calls, events and settings.

use rusqlite::{Connection, OptionalExtension, params};

use super::codec::{date_to_sql, get_date, json_from_sql};
use super::map_err_in;
use crate::domain::Timestamp;
use crate::store::{
    ApiCallRecord, DailyReturnRecord, EventKind, EventRecord, RunRecord, StoreError, StoredRun, TradeRecord,
};

pub(super) fn save_run(
    conn: &Connection,
    run: &RunRecord,
    trades: &[TradeRecord],
    daily: &[DailyReturnRecord],
) -> Result<i64, StoreError> {
    conn.prepare_cached(
        "INSERT INTO runs (kind, strategy, started, finished, config, stats) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )
    .and_then(|mut s| {
        s.execute(params![
            run.kind,
            run.strategy,
            run.started,
            run.finished,
            run.config.to_string(),
            run.stats.to_string()
        ])
    })
    .map_err(|e| map_err_in("runs", e))?;
    let id = conn.last_insert_rowid();
    let e = |err| map_err_in("trades", err);
    let mut stmt = conn
        .prepare_cached(
            "INSERT INTO trades (run_id, code, qty, entry_ts, entry_price, exit_ts, exit_price, pnl, costs, return_pct)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        )
        .map_err(e)?;
    for t in trades {
        let qty = i64::try_from(t.qty).map_err(|_| StoreError::Constraint(format!("trade qty {} too large", t.qty)))?;
        stmt.execute(params![
            id,
            t.code,
            qty,
            t.entry_ts,
            t.entry_price,
            t.exit_ts,
            t.exit_price,
            t.pnl,
            t.costs,
            t.return_pct
        ])
        .map_err(e)?;
    }
    let e = |err| map_err_in("daily_returns", err);
    let mut stmt = conn
        .prepare_cached("INSERT INTO daily_returns (run_id, date, equity, ret) VALUES (?1, ?2, ?3, ?4)")
        .map_err(e)?;
    for d in daily {
        stmt.execute(params![id, date_to_sql(d.date), d.equity, d.ret]).map_err(e)?;
    }
    Ok(id)
}

fn run_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<(i64, RunRecord, String, String)> {
    let run = RunRecord {
        kind: r.get(1)?,
        strategy: r.get(2)?,
        started: r.get(3)?,
        finished: r.get(4)?,
        config: serde_json::Value::Null,
        stats: serde_json::Value::Null,
    };
    Ok((r.get(0)?, run, r.get(5)?, r.get(6)?))
}

fn finish_run((id, mut run, config, stats): (i64, RunRecord, String, String)) -> Result<(i64, RunRecord), StoreError> {
    run.config = json_from_sql("runs", &config)?;
    run.stats = json_from_sql("runs", &stats)?;
    Ok((id, run))
}

const RUN_COLS: &str = "id, kind, strategy, started, finished, config, stats";

pub(super) fn runs(conn: &Connection) -> Result<Vec<(i64, RunRecord)>, StoreError> {
    let e = |err| map_err_in("runs", err);
    let mut stmt = conn.prepare_cached(&format!("SELECT {RUN_COLS} FROM runs ORDER BY id DESC")).map_err(e)?;
    let rows = stmt.query_map([], run_from_row).map_err(e)?;
    rows.map(|r| r.map_err(e).and_then(finish_run)).collect()
}

pub(super) fn run(conn: &Connection, id: i64) -> Result<Option<StoredRun>, StoreError> {
    let e = |err| map_err_in("runs", err);
    let head = conn
        .prepare_cached(&format!("SELECT {RUN_COLS} FROM runs WHERE id = ?1"))
        .and_then(|mut s| s.query_row([id], run_from_row).optional())
        .map_err(e)?;
    let Some(head) = head else { return Ok(None) };
    let (id, run) = finish_run(head)?;

    let e = |err| map_err_in("trades", err);
    let mut stmt = conn
        .prepare_cached(
            "SELECT code, qty, entry_ts, entry_price, exit_ts, exit_price, pnl, costs, return_pct FROM trades
             WHERE run_id = ?1 ORDER BY entry_ts, id",
        )
        .map_err(e)?;
    let trades = stmt
        .query_map([id], |r| {
            let qty: i64 = r.get(1)?;
            Ok(TradeRecord {
                code: r.get(0)?,
                qty: u64::try_from(qty).map_err(|_| rusqlite::Error::IntegralValueOutOfRange(1, qty))?,
                entry_ts: r.get(2)?,
                entry_price: r.get(3)?,
                exit_ts: r.get(4)?,
                exit_price: r.get(5)?,
                pnl: r.get(6)?,
                costs: r.get(7)?,
                return_pct: r.get(8)?,
            })
        })
        .map_err(e)?
        .collect::<rusqlite::Result<Vec<_>>>()
        .map_err(e)?;

    let e = |err| map_err_in("daily_returns", err);
    let mut stmt = conn
        .prepare_cached("SELECT date, equity, ret FROM daily_returns WHERE run_id = ?1 ORDER BY date")
        .map_err(e)?;
    let daily = stmt
        .query_map([id], |r| Ok(DailyReturnRecord { date: get_date(r, 0)?, equity: r.get(1)?, ret: r.get(2)? }))
        .map_err(e)?
        .collect::<rusqlite::Result<Vec<_>>>()
        .map_err(e)?;
    Ok(Some(StoredRun { id, run, trades, daily }))
}

pub(super) fn record_api_calls(conn: &Connection, calls: &[ApiCallRecord]) -> Result<(), StoreError> {
    let e = |err| map_err_in("api_calls", err);
    let mut stmt = conn
        .prepare_cached(
            "INSERT INTO api_calls (ts, endpoint, tr_id, latency_us, status, outcome) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )
        .map_err(e)?;
    for c in calls {
        let latency = i64::try_from(c.latency_us).unwrap_or(i64::MAX);
        stmt.execute(params![c.ts, c.endpoint, c.tr_id, latency, c.status, c.outcome]).map_err(e)?;
    }
    Ok(())
}

pub(super) fn api_calls_since(conn: &Connection, since: Timestamp) -> Result<Vec<ApiCallRecord>, StoreError> {
    let e = |err| map_err_in("api_calls", err);
    let mut stmt = conn
        .prepare_cached(
            "SELECT ts, endpoint, tr_id, latency_us, status, outcome FROM api_calls WHERE ts >= ?1 ORDER BY ts, id",
        )
        .map_err(e)?;
    let rows = stmt
        .query_map([since], |r| {
            let latency: i64 = r.get(3)?;
            Ok(ApiCallRecord {
                ts: r.get(0)?,
                endpoint: r.get(1)?,
                tr_id: r.get(2)?,
                latency_us: u64::try_from(latency).map_err(|_| rusqlite::Error::IntegralValueOutOfRange(3, latency))?,
                status: r.get(4)?,
                outcome: r.get(5)?,
            })
        })
        .map_err(e)?;
    rows.collect::<rusqlite::Result<Vec<_>>>().map_err(e)
}

pub(super) fn record_event(conn: &Connection, ev: &EventRecord) -> Result<(), StoreError> {
    conn.prepare_cached("INSERT INTO events (ts, kind, source, message, detail) VALUES (?1, ?2, ?3, ?4, ?5)")
        .and_then(|mut s| s.execute(params![ev.ts, ev.kind.as_str(), ev.source, ev.message, ev.detail.to_string()]))
        .map_err(|e| map_err_in("events", e))?;
    Ok(())
}

pub(super) fn events_since(conn: &Connection, since: Timestamp) -> Result<Vec<EventRecord>, StoreError> {
    let e = |err| map_err_in("events", err);
    let mut stmt = conn
        .prepare_cached("SELECT ts, kind, source, message, detail FROM events WHERE ts >= ?1 ORDER BY ts, id")
        .map_err(e)?;
    let rows = stmt
        .query_map([since], |r| {
            Ok((r.get::<_, Timestamp>(0)?, r.get::<_, String>(1)?, r.get(2)?, r.get(3)?, r.get::<_, String>(4)?))
        })
        .map_err(e)?;
    let mut out = Vec::new();
    for row in rows {
        let (ts, kind, source, message, detail) = row.map_err(e)?;
        let kind = EventKind::parse(&kind)
            .ok_or_else(|| StoreError::Decode { table: "events", message: format!("unknown kind {kind:?}") })?;
        out.push(EventRecord { ts, kind, source, message, detail: json_from_sql("events", &detail)? });
    }
    Ok(out)
}

pub(super) fn setting(conn: &Connection, key: &str) -> Result<Option<String>, StoreError> {
    conn.prepare_cached("SELECT value FROM settings WHERE key = ?1")
        .and_then(|mut s| s.query_row([key], |r| r.get(0)).optional())
        .map_err(|e| map_err_in("settings", e))
}

pub(super) fn set_setting(conn: &Connection, key: &str, value: &str) -> Result<(), StoreError> {
    // The store has no clock of its own (core code never reads the wall clock), so the change
    // time comes from SQLite, for operators only.
    conn.prepare_cached(
        "INSERT INTO settings (key, value, updated_at) VALUES (?1, ?2, CAST(unixepoch('subsec') * 1000 AS INTEGER))
         ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
    )
    .and_then(|mut s| s.execute(params![key, value]))
    .map_err(|e| map_err_in("settings", e))?;
    Ok(())
}
