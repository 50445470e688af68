//! The daily pipeline: screen runs and watchlists, selections, predictions and outcomes, regimes.

use chrono::NaiveDate;
use rusqlite::{Connection, OptionalExtension, Row, params};

use super::codec::{date_to_sql, get_date, json_from_sql, named_from_json, named_to_json};
use super::map_err_in;
use crate::domain::Price;
use crate::store::{
    FirstHit, OutcomeRecord, PredictionRecord, RegimeRecord, ScreenRunRecord, SelectionRecord, StoreError, Watchlist,
    WatchlistEntryRecord,
};

pub(super) fn save_screen_run(
    conn: &Connection,
    run: &ScreenRunRecord,
    entries: &[WatchlistEntryRecord],
) -> Result<i64, StoreError> {
    let e = |err| map_err_in("screen_runs", err);
    conn.prepare_cached("INSERT INTO screen_runs (name, ts, universe_size, config) VALUES (?1, ?2, ?3, ?4)")
        .and_then(|mut s| s.execute(params![run.name, run.ts, run.universe_size, run.config.to_string()]))
        .map_err(e)?;
    let run_id = conn.last_insert_rowid();
    let mut stmt = conn
        .prepare_cached(
            "INSERT INTO watchlist_entries (run_id, code, rank, score, passed, criteria) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )
        .map_err(|err| map_err_in("watchlist_entries", err))?;
    for w in entries {
        // NaN scores become NULL (SQLite has no NaN) and come back as NaN.
        let score = (!w.score.is_nan()).then_some(w.score);
        stmt.execute(params![run_id, w.code, w.rank, score, w.passed, named_to_json(&w.criteria)])
            .map_err(|err| map_err_in("watchlist_entries", err))?;
    }
    Ok(run_id)
}

pub(super) fn latest_watchlist(conn: &Connection) -> Result<Option<Watchlist>, StoreError> {
    let e = |err| map_err_in("screen_runs", err);
    let head = conn
        .prepare_cached("SELECT id, name, ts, universe_size, config FROM screen_runs ORDER BY ts DESC, id DESC LIMIT 1")
        .and_then(|mut s| {
            s.query_row([], |r| Ok((r.get::<_, i64>(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get::<_, String>(4)?)))
                .optional()
        })
        .map_err(e)?;
    let Some((run_id, name, ts, universe_size, config)) = head else { return Ok(None) };
    let run = ScreenRunRecord { name, ts, universe_size, config: json_from_sql("screen_runs", &config)? };
    let e = |err| map_err_in("watchlist_entries", err);
    let mut stmt = conn
        .prepare_cached(
            "SELECT code, rank, score, passed, criteria FROM watchlist_entries WHERE run_id = ?1 ORDER BY rank",
        )
        .map_err(e)?;
    let rows = stmt
        .query_map([run_id], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get::<_, Option<f64>>(2)?, r.get(3)?, r.get::<_, String>(4)?))
        })
        .map_err(e)?;
    let mut entries = Vec::new();
    for row in rows {
        let (code, rank, score, passed, criteria) = row.map_err(e)?;
        let criteria = named_from_json("watchlist_entries", &criteria)?;
        entries.push(WatchlistEntryRecord { code, rank, score: score.unwrap_or(f64::NAN), passed, criteria });
    }
    Ok(Some(Watchlist { run_id, run, entries }))
}

pub(super) fn save_selections(conn: &Connection, picks: &[SelectionRecord]) -> Result<(), StoreError> {
    let e = |err| map_err_in("selections", err);
    let mut stmt = conn
        .prepare_cached(
            "INSERT INTO selections (date, code, class, confidence, score, weights_version, screen_run_id, factors, config)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
             ON CONFLICT (date, code) DO UPDATE SET class = excluded.class, confidence = excluded.confidence,
                 score = excluded.score, weights_version = excluded.weights_version,
                 screen_run_id = excluded.screen_run_id, factors = excluded.factors, config = excluded.config",
        )
        .map_err(e)?;
    for p in picks {
        let score = (!p.score.is_nan()).then_some(p.score);
        stmt.execute(params![
            date_to_sql(p.date),
            p.code,
            p.class,
            p.confidence,
            score,
            p.weights_version,
            p.screen_run_id,
            named_to_json(&p.factors),
            p.config.to_string()
        ])
        .map_err(e)?;
    }
    Ok(())
}

pub(super) fn selections_on(conn: &Connection, date: NaiveDate) -> Result<Vec<SelectionRecord>, StoreError> {
    let e = |err| map_err_in("selections", err);
    let mut stmt = conn
        .prepare_cached(
            "SELECT date, code, class, confidence, score, weights_version, screen_run_id, factors, config
             FROM selections WHERE date = ?1 ORDER BY score DESC, code",
        )
        .map_err(e)?;
    let rows = stmt
        .query_map([date_to_sql(date)], |r| {
            Ok((
                get_date(r, 0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get::<_, Option<f64>>(4)?,
                r.get(5)?,
                r.get(6)?,
                r.get::<_, String>(7)?,
                r.get::<_, String>(8)?,
            ))
        })
        .map_err(e)?;
    let mut out = Vec::new();
    for row in rows {
        let (date, code, class, confidence, score, weights_version, screen_run_id, factors, config) = row.map_err(e)?;
        out.push(SelectionRecord {
            date,
            code,
            class,
            confidence,
            score: score.unwrap_or(f64::NAN),
            weights_version,
            screen_run_id,
            factors: named_from_json("selections", &factors)?,
            config: json_from_sql("selections", &config)?,
        });
    }
    Ok(out)
}

pub(super) fn save_predictions(conn: &Connection, rows: &[PredictionRecord]) -> Result<(), StoreError> {
    let e = |err| map_err_in("predictions", err);
    let mut stmt = conn
        .prepare_cached(
            "INSERT INTO predictions (date, code, horizon_days, source, class, confidence, expected_return, weights_version)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
             ON CONFLICT (date, code, horizon_days, source) DO UPDATE SET class = excluded.class,
                 confidence = excluded.confidence, expected_return = excluded.expected_return,
                 weights_version = excluded.weights_version",
        )
        .map_err(e)?;
    for p in rows {
        stmt.execute(params![
            date_to_sql(p.date),
            p.code,
            p.horizon_days,
            p.source,
            p.class,
            p.confidence,
            p.expected_return,
            p.weights_version
        ])
        .map_err(e)?;
    }
    Ok(())
}

pub(super) fn record_outcomes(conn: &Connection, rows: &[OutcomeRecord]) -> Result<(), StoreError> {
    let e = |err| map_err_in("outcomes", err);
    let mut find = conn
        .prepare_cached(
            "SELECT id FROM predictions WHERE date = ?1 AND code = ?2 AND horizon_days = ?3 AND source = ?4",
        )
        .map_err(e)?;
    let mut put = conn
        .prepare_cached(
            "INSERT INTO outcomes (prediction_id, evaluated_on, actual_return, max_drawdown, hit,
                 entry_price, max_favourable, first_hit, days_held)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
             ON CONFLICT (prediction_id) DO UPDATE SET evaluated_on = excluded.evaluated_on,
                 actual_return = excluded.actual_return, max_drawdown = excluded.max_drawdown, hit = excluded.hit,
                 entry_price = excluded.entry_price, max_favourable = excluded.max_favourable,
                 first_hit = excluded.first_hit, days_held = excluded.days_held",
        )
        .map_err(e)?;
    for o in rows {
        let id: Option<i64> = find
            .query_row(params![date_to_sql(o.date), o.code, o.horizon_days, o.source], |r| r.get(0))
            .optional()
            .map_err(e)?;
        let Some(id) = id else {
            return Err(StoreError::NotFound(format!(
                "prediction {} {} +{}d by {}",
                o.date, o.code, o.horizon_days, o.source
            )));
        };
        put.execute(params![
            id,
            date_to_sql(o.evaluated_on),
            o.actual_return,
            o.max_drawdown,
            o.hit,
            o.entry_price.map(Price::won),
            o.max_favourable,
            o.first_hit.as_str(),
            o.days_held
        ])
        .map_err(e)?;
    }
    Ok(())
}

const PREDICTION_COLS: &str =
    "p.date, p.code, p.horizon_days, p.source, p.class, p.confidence, p.expected_return, p.weights_version";

fn prediction_from_row(r: &Row<'_>) -> rusqlite::Result<PredictionRecord> {
    Ok(PredictionRecord {
        date: get_date(r, 0)?,
        code: r.get(1)?,
        horizon_days: r.get(2)?,
        source: r.get(3)?,
        class: r.get(4)?,
        confidence: r.get(5)?,
        expected_return: r.get(6)?,
        weights_version: r.get(7)?,
    })
}

pub(super) fn open_predictions(conn: &Connection) -> Result<Vec<PredictionRecord>, StoreError> {
    let e = |err| map_err_in("predictions", err);
    let sql = format!(
        "SELECT {PREDICTION_COLS} FROM predictions p LEFT JOIN outcomes o ON o.prediction_id = p.id
         WHERE o.prediction_id IS NULL ORDER BY p.date, p.code, p.horizon_days, p.source"
    );
    let mut stmt = conn.prepare_cached(&sql).map_err(e)?;
    let rows = stmt.query_map([], prediction_from_row).map_err(e)?;
    rows.collect::<rusqlite::Result<Vec<_>>>().map_err(e)
}

pub(super) fn outcomes_since(
    conn: &Connection,
    since: NaiveDate,
) -> Result<Vec<(PredictionRecord, OutcomeRecord)>, StoreError> {
    let e = |err| map_err_in("outcomes", err);
    let sql = format!(
        "SELECT {PREDICTION_COLS}, o.evaluated_on, o.actual_return, o.max_drawdown, o.hit,
             o.entry_price, o.max_favourable, o.first_hit, o.days_held
         FROM outcomes o JOIN predictions p ON p.id = o.prediction_id
         WHERE o.evaluated_on >= ?1 ORDER BY p.date, p.code, p.horizon_days, p.source"
    );
    let mut stmt = conn.prepare_cached(&sql).map_err(e)?;
    let rows = stmt
        .query_map([date_to_sql(since)], |r| {
            let p = prediction_from_row(r)?;
            let o = OutcomeRecord {
                date: p.date,
                code: p.code,
                horizon_days: p.horizon_days,
                source: p.source.clone(),
                evaluated_on: get_date(r, 8)?,
                actual_return: r.get(9)?,
                max_drawdown: r.get(10)?,
                hit: r.get(11)?,
                entry_price: r.get::<_, Option<i64>>(12)?.map(price_from_sql).transpose()?,
                max_favourable: r.get(13)?,
                first_hit: first_hit_from_sql(&r.get::<_, String>(14)?)?,
                days_held: r.get(15)?,
            };
            Ok((p, o))
        })
        .map_err(e)?;
    rows.collect::<rusqlite::Result<Vec<_>>>().map_err(e)
}

pub(super) fn set_regime(conn: &Connection, r: &RegimeRecord) -> Result<(), StoreError> {
    conn.prepare_cached(
        "INSERT INTO market_regimes (date, regime, score, detail) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (date) DO UPDATE SET regime = excluded.regime, score = excluded.score, detail = excluded.detail",
    )
    .and_then(|mut s| s.execute(params![date_to_sql(r.date), r.regime, r.score, r.detail.to_string()]))
    .map_err(|err| map_err_in("market_regimes", err))?;
    Ok(())
}

pub(super) fn regime_on(conn: &Connection, date: NaiveDate) -> Result<Option<RegimeRecord>, StoreError> {
    let e = |err| map_err_in("market_regimes", err);
    let row = conn
        .prepare_cached(
            "SELECT date, regime, score, detail FROM market_regimes WHERE date <= ?1 ORDER BY date DESC LIMIT 1",
        )
        .and_then(|mut s| {
            s.query_row([date_to_sql(date)], |r| Ok((get_date(r, 0)?, r.get(1)?, r.get(2)?, r.get::<_, String>(3)?)))
                .optional()
        })
        .map_err(e)?;
    row.map(|(date, regime, score, detail)| {
        Ok(RegimeRecord { date, regime, score, detail: json_from_sql("market_regimes", &detail)? })
    })
    .transpose()
}

fn price_from_sql(won: i64) -> rusqlite::Result<Price> {
    Price::new_checked(won)
        .map_err(|err| rusqlite::Error::FromSqlConversionFailure(12, rusqlite::types::Type::Integer, Box::new(err)))
}

fn first_hit_from_sql(s: &str) -> rusqlite::Result<FirstHit> {
    FirstHit::parse(s).ok_or_else(|| {
        rusqlite::Error::FromSqlConversionFailure(
            14,
            rusqlite::types::Type::Text,
            format!("unknown first_hit {s:?}").into(),
        )
    })
}
