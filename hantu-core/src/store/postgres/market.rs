//! Market data: instruments, daily and minute bars (bulk writes through binary `COPY`),
//! fundamentals.

use ::postgres::Transaction;
use ::postgres::binary_copy::BinaryCopyInWriter;
use ::postgres::types::{ToSql, Type};
use chrono::NaiveDate;

use super::codec::{big, code, get, instant, price, small, ts, unsigned};
use super::map_err;
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

pub(super) fn upsert_instruments(t: &mut Transaction<'_>, rows: &[Instrument]) -> Result<(), StoreError> {
    let stmt = t
        .prepare(
            "INSERT INTO instruments (code, name, market, sector, lot, kind) VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (code) DO UPDATE SET name = excluded.name, market = excluded.market,
                 sector = excluded.sector, lot = excluded.lot, kind = excluded.kind",
        )
        .map_err(map_err)?;
    for i in rows {
        t.execute(
            &stmt,
            &[&i.code.as_str(), &i.name, &i.market.as_str(), &i.sector, &i64::from(i.lot), &kind_str(i.kind)],
        )
        .map_err(map_err)?;
    }
    Ok(())
}

pub(super) fn instruments(t: &mut Transaction<'_>) -> Result<Vec<Instrument>, StoreError> {
    const T: &str = "instruments";
    let rows =
        t.query("SELECT code, name, market, sector, lot, kind FROM instruments ORDER BY code", &[]).map_err(map_err)?;
    rows.iter()
        .map(|r| {
            let code = code(r, 0, T)?;
            let bad = |m: String| StoreError::Decode { table: T, message: format!("{code}: {m}") };
            let market: &str = get(r, 2, T)?;
            let market: Market = market.parse().map_err(|e: crate::domain::ValidationError| bad(e.to_string()))?;
            let kind: &str = get(r, 5, T)?;
            let kind = kind_parse(kind).ok_or_else(|| bad(format!("unknown kind {kind:?}")))?;
            Ok(Instrument { code, name: get(r, 1, T)?, market, sector: get(r, 3, T)?, lot: small(r, 4, T)?, kind })
        })
        .collect()
}

/// Which bar table, and how its key column is written.
#[derive(Clone, Copy)]
enum BarTable {
    Daily,
    Minute,
}

impl BarTable {
    fn name(self) -> &'static str {
        match self {
            BarTable::Daily => "daily_bars",
            BarTable::Minute => "minute_bars",
        }
    }

    fn key(self) -> &'static str {
        match self {
            BarTable::Daily => "date",
            BarTable::Minute => "ts",
        }
    }

    fn key_type(self) -> Type {
        match self {
            BarTable::Daily => Type::DATE,
            BarTable::Minute => Type::TIMESTAMPTZ,
        }
    }
}

/// Upserts bars: binary `COPY` into a session-local staging table, then one `INSERT ... SELECT
/// ... ON CONFLICT DO UPDATE`. If a batch holds the same key twice, the later bar wins, as with
/// row-by-row upserts. The caller owns the transaction.
fn upsert_bars(t: &mut Transaction<'_>, table: BarTable, bars: &[Bar]) -> Result<usize, StoreError> {
    if bars.is_empty() {
        return Ok(0);
    }
    let (name, key) = (table.name(), table.key());
    let key_sql = match table {
        BarTable::Daily => "DATE",
        BarTable::Minute => "TIMESTAMPTZ",
    };
    t.batch_execute(&format!(
        "CREATE TEMP TABLE IF NOT EXISTS {name}_in (n BIGINT, code TEXT, {key} {key_sql}, open BIGINT, high BIGINT,
             low BIGINT, close BIGINT, volume BIGINT) ON COMMIT DELETE ROWS;
         TRUNCATE {name}_in"
    ))
    .map_err(map_err)?;
    let sink = t
        .copy_in(&format!("COPY {name}_in (n, code, {key}, open, high, low, close, volume) FROM STDIN (FORMAT binary)"))
        .map_err(map_err)?;
    let types = [Type::INT8, Type::TEXT, table.key_type(), Type::INT8, Type::INT8, Type::INT8, Type::INT8, Type::INT8];
    let mut w = BinaryCopyInWriter::new(sink, &types);
    for (n, b) in bars.iter().enumerate() {
        let volume = i64::try_from(b.volume)
            .map_err(|_| StoreError::Constraint(format!("volume {} of {} at {} too large", b.volume, b.code, b.ts)))?;
        let date = b.ts.kst_date();
        let at = ts(b.ts)?;
        let key_value: &(dyn ToSql + Sync) = match table {
            BarTable::Daily => &date,
            BarTable::Minute => &at,
        };
        let n = n as i64;
        w.write(&[
            &n,
            &b.code.as_str(),
            key_value,
            &b.open.won(),
            &b.high.won(),
            &b.low.won(),
            &b.close.won(),
            &volume,
        ])
        .map_err(map_err)?;
    }
    w.finish().map_err(map_err)?;
    t.batch_execute(&format!(
        "INSERT INTO {name} (code, {key}, open, high, low, close, volume)
         SELECT DISTINCT ON (code, {key}) code, {key}, open, high, low, close, volume FROM {name}_in
         ORDER BY code, {key}, n DESC
         ON CONFLICT (code, {key}) DO UPDATE SET open = excluded.open, high = excluded.high,
             low = excluded.low, close = excluded.close, volume = excluded.volume"
    ))
    .map_err(map_err)?;
    Ok(bars.len())
}

pub(super) fn upsert_daily_bars(t: &mut Transaction<'_>, bars: &[Bar]) -> Result<usize, StoreError> {
    upsert_bars(t, BarTable::Daily, bars)
}

pub(super) fn upsert_minute_bars(t: &mut Transaction<'_>, bars: &[Bar]) -> Result<usize, StoreError> {
    upsert_bars(t, BarTable::Minute, bars)
}

fn bar_from_row(code: StockCode, ts: Timestamp, r: &::postgres::Row, table: &'static str) -> Result<Bar, StoreError> {
    Ok(Bar {
        code,
        ts,
        open: price(r, 1, table)?,
        high: price(r, 2, table)?,
        low: price(r, 3, table)?,
        close: price(r, 4, table)?,
        volume: unsigned(r, 5, table)?,
    })
}

pub(super) fn daily_bars(
    t: &mut Transaction<'_>,
    code: StockCode,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<Bar>, StoreError> {
    const T: &str = "daily_bars";
    t.query(
        "SELECT date, open, high, low, close, volume FROM daily_bars
         WHERE code = $1 AND date BETWEEN $2 AND $3 ORDER BY date",
        &[&code.as_str(), &from, &to],
    )
    .map_err(map_err)?
    .iter()
    .map(|r| bar_from_row(code, Timestamp::daily_close(get(r, 0, T)?), r, T))
    .collect()
}

pub(super) fn minute_bars(
    t: &mut Transaction<'_>,
    code: StockCode,
    from: Timestamp,
    to: Timestamp,
) -> Result<Vec<Bar>, StoreError> {
    const T: &str = "minute_bars";
    t.query(
        "SELECT ts, open, high, low, close, volume FROM minute_bars
         WHERE code = $1 AND ts BETWEEN $2 AND $3 ORDER BY ts",
        &[&code.as_str(), &ts(from)?, &ts(to)?],
    )
    .map_err(map_err)?
    .iter()
    .map(|r| bar_from_row(code, instant(r, 0, T)?, r, T))
    .collect()
}

pub(super) fn upsert_fundamentals(t: &mut Transaction<'_>, rows: &[Fundamentals]) -> Result<(), StoreError> {
    let stmt = t
        .prepare(
            "INSERT INTO fundamentals (code, as_of, per, pbr, eps, bps, roe_pct, debt_ratio_pct, market_cap, listed_shares)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
             ON CONFLICT (code, as_of) DO UPDATE SET per = excluded.per, pbr = excluded.pbr, eps = excluded.eps,
                 bps = excluded.bps, roe_pct = excluded.roe_pct, debt_ratio_pct = excluded.debt_ratio_pct,
                 market_cap = excluded.market_cap, listed_shares = excluded.listed_shares",
        )
        .map_err(map_err)?;
    for f in rows {
        let shares = f.listed_shares.map(|s| big(s, "listed shares")).transpose()?;
        t.execute(
            &stmt,
            &[
                &f.code.as_str(),
                &f.as_of,
                &f.per,
                &f.pbr,
                &f.eps,
                &f.bps,
                &f.roe_pct,
                &f.debt_ratio_pct,
                &f.market_cap,
                &shares,
            ],
        )
        .map_err(map_err)?;
    }
    Ok(())
}

pub(super) fn latest_fundamentals(t: &mut Transaction<'_>) -> Result<Vec<Fundamentals>, StoreError> {
    const T: &str = "fundamentals";
    t.query(
        "SELECT DISTINCT ON (code) code, as_of, per, pbr, eps, bps, roe_pct, debt_ratio_pct, market_cap, listed_shares
         FROM fundamentals ORDER BY code, as_of DESC",
        &[],
    )
    .map_err(map_err)?
    .iter()
    .map(|r| {
        Ok(Fundamentals {
            code: code(r, 0, T)?,
            as_of: get(r, 1, T)?,
            per: get(r, 2, T)?,
            pbr: get(r, 3, T)?,
            eps: get(r, 4, T)?,
            bps: get(r, 5, T)?,
            roe_pct: get(r, 6, T)?,
            debt_ratio_pct: get(r, 7, T)?,
            market_cap: get(r, 8, T)?,
            listed_shares: get::<Option<i64>>(r, 9, T)?
                .map(|v| {
                    u64::try_from(v)
                        .map_err(|_| StoreError::Decode { table: T, message: format!("negative listed shares {v}") })
                })
                .transpose()?,
        })
    })
    .collect()
}
