//! Runs (with trades and daily returns), API calls, events and settings.

use ::postgres::{Row, Transaction};

use super::codec::{big, code, get, instant, instant_opt, money, num, ts, ts_opt, unsigned};
use super::map_err;
use crate::domain::Timestamp;
use crate::store::{
    ApiCallRecord, DailyReturnRecord, EventKind, EventRecord, RunRecord, StoreError, StoredRun, TradeRecord,
};

pub(super) fn save_run(
    t: &mut Transaction<'_>,
    run: &RunRecord,
    trades: &[TradeRecord],
    daily: &[DailyReturnRecord],
) -> Result<i64, StoreError> {
    let id: i64 = t
        .query_one(
            "INSERT INTO runs (kind, strategy, started, finished, config, stats) VALUES ($1, $2, $3, $4, $5, $6)
             RETURNING id",
            &[&run.kind, &run.strategy, &ts(run.started)?, &ts_opt(run.finished)?, &run.config, &run.stats],
        )
        .map_err(map_err)
        .and_then(|r| get(&r, 0, "runs"))?;
    let stmt = t
        .prepare(
            "INSERT INTO trades (run_id, code, qty, entry_ts, entry_price, exit_ts, exit_price, pnl, costs, return_pct)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .map_err(map_err)?;
    for tr in trades {
        t.execute(
            &stmt,
            &[
                &id,
                &tr.code.as_str(),
                &big(tr.qty, "trade qty")?,
                &ts(tr.entry_ts)?,
                &tr.entry_price,
                &ts_opt(tr.exit_ts)?,
                &tr.exit_price,
                &num(tr.pnl),
                &num(tr.costs),
                &tr.return_pct,
            ],
        )
        .map_err(map_err)?;
    }
    let stmt =
        t.prepare("INSERT INTO daily_returns (run_id, date, equity, ret) VALUES ($1, $2, $3, $4)").map_err(map_err)?;
    for d in daily {
        t.execute(&stmt, &[&id, &d.date, &num(d.equity), &d.ret]).map_err(map_err)?;
    }
    Ok(id)
}

const RUN_COLS: &str = "id, kind, strategy, started, finished, config, stats";

fn run_from_row(r: &Row) -> Result<(i64, RunRecord), StoreError> {
    const T: &str = "runs";
    let run = RunRecord {
        kind: get(r, 1, T)?,
        strategy: get(r, 2, T)?,
        started: instant(r, 3, T)?,
        finished: instant_opt(r, 4, T)?,
        config: get(r, 5, T)?,
        stats: get(r, 6, T)?,
    };
    Ok((get(r, 0, T)?, run))
}

pub(super) fn runs(t: &mut Transaction<'_>) -> Result<Vec<(i64, RunRecord)>, StoreError> {
    t.query(&format!("SELECT {RUN_COLS} FROM runs ORDER BY id DESC"), &[])
        .map_err(map_err)?
        .iter()
        .map(run_from_row)
        .collect()
}

pub(super) fn run(t: &mut Transaction<'_>, id: i64) -> Result<Option<StoredRun>, StoreError> {
    let Some(head) = t.query_opt(&format!("SELECT {RUN_COLS} FROM runs WHERE id = $1"), &[&id]).map_err(map_err)?
    else {
        return Ok(None);
    };
    let (id, run) = run_from_row(&head)?;
    const T: &str = "trades";
    let trades = t
        .query(
            "SELECT code, qty, entry_ts, entry_price, exit_ts, exit_price, pnl, costs, return_pct FROM trades
             WHERE run_id = $1 ORDER BY entry_ts, id",
            &[&id],
        )
        .map_err(map_err)?
        .iter()
        .map(|r| {
            Ok(TradeRecord {
                code: code(r, 0, T)?,
                qty: unsigned(r, 1, T)?,
                entry_ts: instant(r, 2, T)?,
                entry_price: get(r, 3, T)?,
                exit_ts: instant_opt(r, 4, T)?,
                exit_price: get(r, 5, T)?,
                pnl: money(r, 6, T)?,
                costs: money(r, 7, T)?,
                return_pct: get(r, 8, T)?,
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    const D: &str = "daily_returns";
    let daily = t
        .query("SELECT date, equity, ret FROM daily_returns WHERE run_id = $1 ORDER BY date", &[&id])
        .map_err(map_err)?
        .iter()
        .map(|r| Ok(DailyReturnRecord { date: get(r, 0, D)?, equity: money(r, 1, D)?, ret: get(r, 2, D)? }))
        .collect::<Result<Vec<_>, StoreError>>()?;
    Ok(Some(StoredRun { id, run, trades, daily }))
}

pub(super) fn record_api_calls(t: &mut Transaction<'_>, calls: &[ApiCallRecord]) -> Result<(), StoreError> {
    let stmt = t
        .prepare(
            "INSERT INTO api_calls (ts, endpoint, tr_id, latency_us, status, outcome) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .map_err(map_err)?;
    for c in calls {
        let latency = i64::try_from(c.latency_us).unwrap_or(i64::MAX);
        t.execute(&stmt, &[&ts(c.ts)?, &c.endpoint, &c.tr_id, &latency, &c.status.map(i64::from), &c.outcome])
            .map_err(map_err)?;
    }
    Ok(())
}

pub(super) fn api_calls_since(t: &mut Transaction<'_>, since: Timestamp) -> Result<Vec<ApiCallRecord>, StoreError> {
    const T: &str = "api_calls";
    t.query(
        "SELECT ts, endpoint, tr_id, latency_us, status, outcome FROM api_calls WHERE ts >= $1 ORDER BY ts, id",
        &[&ts(since)?],
    )
    .map_err(map_err)?
    .iter()
    .map(|r| {
        let status = get::<Option<i64>>(r, 4, T)?
            .map(|s| {
                u16::try_from(s)
                    .map_err(|_| StoreError::Decode { table: T, message: format!("status {s} out of range") })
            })
            .transpose()?;
        Ok(ApiCallRecord {
            ts: instant(r, 0, T)?,
            endpoint: get(r, 1, T)?,
            tr_id: get(r, 2, T)?,
            latency_us: unsigned(r, 3, T)?,
            status,
            outcome: get(r, 5, T)?,
        })
    })
    .collect()
}

pub(super) fn record_event(t: &mut Transaction<'_>, ev: &EventRecord) -> Result<(), StoreError> {
    t.execute(
        "INSERT INTO events (ts, kind, source, message, detail) VALUES ($1, $2, $3, $4, $5)",
        &[&ts(ev.ts)?, &ev.kind.as_str(), &ev.source, &ev.message, &ev.detail],
    )
    .map_err(map_err)?;
    Ok(())
}

pub(super) fn events_since(t: &mut Transaction<'_>, since: Timestamp) -> Result<Vec<EventRecord>, StoreError> {
    const T: &str = "events";
    t.query("SELECT ts, kind, source, message, detail FROM events WHERE ts >= $1 ORDER BY ts, id", &[&ts(since)?])
        .map_err(map_err)?
        .iter()
        .map(|r| {
            let kind: &str = get(r, 1, T)?;
            let kind = EventKind::parse(kind)
                .ok_or_else(|| StoreError::Decode { table: T, message: format!("unknown kind {kind:?}") })?;
            Ok(EventRecord {
                ts: instant(r, 0, T)?,
                kind,
                source: get(r, 2, T)?,
                message: get(r, 3, T)?,
                detail: get(r, 4, T)?,
            })
        })
        .collect()
}

pub(super) fn setting(t: &mut Transaction<'_>, key: &str) -> Result<Option<String>, StoreError> {
    t.query_opt("SELECT value FROM settings WHERE key = $1", &[&key])
        .map_err(map_err)?
        .map(|r| get(&r, 0, "settings"))
        .transpose()
}

pub(super) fn set_setting(t: &mut Transaction<'_>, key: &str, value: &str) -> Result<(), StoreError> {
    t.execute(
        "INSERT INTO settings (key, value, updated_at) VALUES ($1, $2, now())
         ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
        &[&key, &value],
    )
    .map_err(map_err)?;
    Ok(())
}
