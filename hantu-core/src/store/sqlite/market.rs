//! Market data: instruments, daily and minute bars, fundamentals.

use chrono::NaiveDate;
use rusqlite::{Connection, Row, params};

use super::codec::{date_to_sql, get_date};
use super::map_err_in;
use crate::domain::{Bar, Fundamentals, Instrument, InstrumentKind, Market, StockCode, Timestamp};
use crate::store::StoreError;

fn kind_str(k: InstrumentKind) -> &'static str {
    match k {
        InstrumentKind::Stock => "stock",
        InstrumentKind::Etf => "etf",
        InstrumentKind::Etn => "etn",
        InstrumentKind::Other => "other",
    }
}

fn kind_parse(s: &str) -> Option<InstrumentKind> {
    Some(match s {
        "stock" => InstrumentKind::Stock,
        "etf" => InstrumentKind::Etf,
        "etn" => InstrumentKind::Etn,
        "other" => InstrumentKind::Other,
        _ => return None,
    })
}

pub(super) fn upsert_instruments(conn: &Connection, rows: &[Instrument]) -> Result<(), StoreError> {
    let e = |err| map_err_in("instruments", err);
    let mut stmt = conn
        .prepare_cached(
            "INSERT INTO instruments (code, name, market, sector, lot, kind) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT (code) DO UPDATE SET name = excluded.name, market = excluded.market,
                 sector = excluded.sector, lot = excluded.lot, kind = excluded.kind",
        )
        .map_err(e)?;
    for i in rows {
        stmt.execute(params![i.code, i.name, i.market.as_str(), i.sector, i.lot, kind_str(i.kind)]).map_err(e)?;
    }
    Ok(())
}

pub(super) fn instruments(conn: &Connection) -> Result<Vec<Instrument>, StoreError> {
    let e = |err| map_err_in("instruments", err);
    let mut stmt = conn
        .prepare_cached("SELECT code, name, market, sector, lot, kind FROM instruments ORDER BY code")
        .map_err(e)?;
    let rows = stmt
        .query_map([], |r| {
            Ok((
                r.get::<_, StockCode>(0)?,
                r.get(1)?,
                r.get::<_, String>(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get::<_, String>(5)?,
            ))
        })
        .map_err(e)?;
    let mut out = Vec::new();
    for row in rows {
        let (code, name, market, sector, lot, kind) = row.map_err(e)?;
        let bad = |m: String| StoreError::Decode { table: "instruments", message: format!("{code}: {m}") };
        let market: Market = market.parse().map_err(|err: crate::domain::ValidationError| bad(err.to_string()))?;
        let kind = kind_parse(&kind).ok_or_else(|| bad(format!("unknown kind {kind:?}")))?;
        out.push(Instrument { code, name, market, sector, lot, kind });
    }
    Ok(out)
}

/// Bars bound per multi-row `INSERT`: one statement step per 64 rows instead of per row
/// roughly doubles the ingest rate; 64 × 7 parameters stays far below SQLite's limit.
const BARS_PER_STATEMENT: usize = 64;

fn bar_upsert_sql(table: &str, key: &str, rows: usize) -> String {
    let mut sql = format!("INSERT INTO {table} (code, {key}, open, high, low, close, volume) VALUES ");
    for i in 0..rows {
        if i > 0 {
            sql.push(',');
        }
        sql.push_str("(?, ?, ?, ?, ?, ?, ?)");
    }
    sql.push_str(&format!(
        " ON CONFLICT (code, {key}) DO UPDATE SET open = excluded.open, high = excluded.high, \
         low = excluded.low, close = excluded.close, volume = excluded.volume"
    ));
    sql
}

fn bind_bars(
    stmt: &mut rusqlite::Statement<'_>,
    bars: &[Bar],
    key_of: &impl Fn(&Bar) -> i64,
) -> Result<(), StoreError> {
    let e = |err| map_err_in("bars", err);
    for (i, b) in bars.iter().enumerate() {
        let volume = i64::try_from(b.volume)
            .map_err(|_| StoreError::Constraint(format!("volume {} of {} at {} too large", b.volume, b.code, b.ts)))?;
        let at = i * 7;
        stmt.raw_bind_parameter(at + 1, b.code).map_err(e)?;
        stmt.raw_bind_parameter(at + 2, key_of(b)).map_err(e)?;
        stmt.raw_bind_parameter(at + 3, b.open).map_err(e)?;
        stmt.raw_bind_parameter(at + 4, b.high).map_err(e)?;
        stmt.raw_bind_parameter(at + 5, b.low).map_err(e)?;
        stmt.raw_bind_parameter(at + 6, b.close).map_err(e)?;
        stmt.raw_bind_parameter(at + 7, volume).map_err(e)?;
    }
    Ok(())
}

/// Upserts bars in multi-row statements. The caller owns the transaction.
fn upsert_bars(
    conn: &Connection,
    table: &'static str,
    key: &str,
    bars: &[Bar],
    key_of: impl Fn(&Bar) -> i64,
) -> Result<usize, StoreError> {
    let e = |err| map_err_in(table, err);
    let mut chunks = bars.chunks_exact(BARS_PER_STATEMENT);
    let mut stmt = conn.prepare_cached(&bar_upsert_sql(table, key, BARS_PER_STATEMENT)).map_err(e)?;
    for chunk in &mut chunks {
        bind_bars(&mut stmt, chunk, &key_of)?;
        stmt.raw_execute().map_err(e)?;
    }
    let mut one = conn.prepare_cached(&bar_upsert_sql(table, key, 1)).map_err(e)?;
    for b in chunks.remainder() {
        bind_bars(&mut one, std::slice::from_ref(b), &key_of)?;
        one.raw_execute().map_err(e)?;
    }
    Ok(bars.len())
}

/// Upserts daily bars keyed by (code, KST date). The caller owns the transaction.
pub(super) fn upsert_daily_bars(conn: &Connection, bars: &[Bar]) -> Result<usize, StoreError> {
    upsert_bars(conn, "daily_bars", "date", bars, |b| date_to_sql(b.ts.kst_date()))
}

fn bar_from_row(code: StockCode, ts: Timestamp, r: &Row<'_>) -> rusqlite::Result<Bar> {
    Ok(Bar {
        code,
        ts,
        open: r.get(1)?,
        high: r.get(2)?,
        low: r.get(3)?,
        close: r.get(4)?,
        volume: u64::try_from(r.get::<_, i64>(5)?).map_err(|_| rusqlite::Error::IntegralValueOutOfRange(5, -1))?,
    })
}

pub(super) fn daily_bars(
    conn: &Connection,
    code: StockCode,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<Bar>, StoreError> {
    let e = |err| map_err_in("daily_bars", err);
    let mut stmt = conn
        .prepare_cached(
            "SELECT date, open, high, low, close, volume FROM daily_bars
             WHERE code = ?1 AND date BETWEEN ?2 AND ?3 ORDER BY date",
        )
        .map_err(e)?;
    let rows = stmt
        .query_map(params![code, date_to_sql(from), date_to_sql(to)], |r| {
            bar_from_row(code, Timestamp::daily_close(get_date(r, 0)?), r)
        })
        .map_err(e)?;
    rows.collect::<rusqlite::Result<Vec<_>>>().map_err(e)
}

/// Every code that has daily bars, ascending.
pub(super) fn daily_codes(conn: &Connection) -> Result<Vec<StockCode>, StoreError> {
    let e = |err| map_err_in("daily_bars", err);
    let mut stmt = conn.prepare("SELECT DISTINCT code FROM daily_bars ORDER BY code").map_err(e)?;
    let rows = stmt.query_map([], |r| r.get(0)).map_err(e)?;
    rows.collect::<rusqlite::Result<Vec<_>>>().map_err(e)
}

/// Upserts minute bars keyed by (code, end time). The caller owns the transaction.
pub(super) fn upsert_minute_bars(conn: &Connection, bars: &[Bar]) -> Result<usize, StoreError> {
    upsert_bars(conn, "minute_bars", "ts", bars, |b| b.ts.millis())
}

pub(super) fn minute_bars(
    conn: &Connection,
    code: StockCode,
    from: Timestamp,
    to: Timestamp,
) -> Result<Vec<Bar>, StoreError> {
    let e = |err| map_err_in("minute_bars", err);
    let mut stmt = conn
        .prepare_cached(
            "SELECT ts, open, high, low, close, volume FROM minute_bars
             WHERE code = ?1 AND ts BETWEEN ?2 AND ?3 ORDER BY ts",
        )
        .map_err(e)?;
    let rows = stmt.query_map(params![code, from, to], |r| bar_from_row(code, r.get(0)?, r)).map_err(e)?;
    rows.collect::<rusqlite::Result<Vec<_>>>().map_err(e)
}

pub(super) fn upsert_fundamentals(conn: &Connection, rows: &[Fundamentals]) -> Result<(), StoreError> {
    let e = |err| map_err_in("fundamentals", err);
    let mut stmt = conn
        .prepare_cached(
            "INSERT INTO fundamentals (code, as_of, per, pbr, eps, bps, roe_pct, debt_ratio_pct, market_cap, listed_shares)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
             ON CONFLICT (code, as_of) DO UPDATE SET per = excluded.per, pbr = excluded.pbr, eps = excluded.eps,
                 bps = excluded.bps, roe_pct = excluded.roe_pct, debt_ratio_pct = excluded.debt_ratio_pct,
                 market_cap = excluded.market_cap, listed_shares = excluded.listed_shares",
        )
        .map_err(e)?;
    for f in rows {
        let shares = f
            .listed_shares
            .map(i64::try_from)
            .transpose()
            .map_err(|_| StoreError::Constraint(format!("listed shares of {} too large", f.code)))?;
        stmt.execute(params![
            f.code,
            date_to_sql(f.as_of),
            f.per,
            f.pbr,
            f.eps,
            f.bps,
            f.roe_pct,
            f.debt_ratio_pct,
            f.market_cap,
            shares
        ])
        .map_err(e)?;
    }
    Ok(())
}

pub(super) fn latest_fundamentals(conn: &Connection) -> Result<Vec<Fundamentals>, StoreError> {
    let e = |err| map_err_in("fundamentals", err);
    // SQLite returns the other columns from the row that holds max(as_of) in a grouped query.
    let mut stmt = conn
        .prepare_cached(
            "SELECT code, max(as_of), per, pbr, eps, bps, roe_pct, debt_ratio_pct, market_cap, listed_shares
             FROM fundamentals GROUP BY code ORDER BY code",
        )
        .map_err(e)?;
    let rows = stmt
        .query_map([], |r| {
            Ok(Fundamentals {
                code: r.get(0)?,
                as_of: get_date(r, 1)?,
                per: r.get(2)?,
                pbr: r.get(3)?,
                eps: r.get(4)?,
                bps: r.get(5)?,
                roe_pct: r.get(6)?,
                debt_ratio_pct: r.get(7)?,
                market_cap: r.get(8)?,
                listed_shares: r
                    .get::<_, Option<i64>>(9)?
                    .map(|v| u64::try_from(v).map_err(|_| rusqlite::Error::IntegralValueOutOfRange(9, v)))
                    .transpose()?,
            })
        })
        .map_err(e)?;
    rows.collect::<rusqlite::Result<Vec<_>>>().map_err(e)
}
