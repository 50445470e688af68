//! The daily pipeline: screen runs and watchlists, selections, predictions and outcomes, regimes.

use ::postgres::{Row, Transaction};
use chrono::NaiveDate;

use super::codec::{code, get, instant, named_from_json, named_to_json, price_opt, score, small, ts};
use super::map_err;
use crate::domain::Price;
use crate::store::{
    FirstHit, OutcomeRecord, PredictionRecord, RegimeRecord, ScreenRunRecord, SelectionRecord, StoreError, Watchlist,
    WatchlistEntryRecord, WeightsStatus, WeightsVersionRecord,
};

pub(super) fn save_screen_run(
    t: &mut Transaction<'_>,
    run: &ScreenRunRecord,
    entries: &[WatchlistEntryRecord],
) -> Result<i64, StoreError> {
    let run_id: i64 = t
        .query_one(
            "INSERT INTO screen_runs (name, ts, universe_size, config) VALUES ($1, $2, $3, $4) RETURNING id",
            &[&run.name, &ts(run.ts)?, &i64::from(run.universe_size), &run.config],
        )
        .map_err(map_err)
        .and_then(|r| get(&r, 0, "screen_runs"))?;
    let stmt = t
        .prepare(
            "INSERT INTO watchlist_entries (run_id, code, rank, score, passed, criteria) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .map_err(map_err)?;
    for w in entries {
        t.execute(
            &stmt,
            &[&run_id, &w.code.as_str(), &i64::from(w.rank), &score(w.score), &w.passed, &named_to_json(&w.criteria)],
        )
        .map_err(map_err)?;
    }
    Ok(run_id)
}

pub(super) fn latest_watchlist(t: &mut Transaction<'_>) -> Result<Option<Watchlist>, StoreError> {
    const T: &str = "screen_runs";
    let Some(head) = t
        .query_opt("SELECT id, name, ts, universe_size, config FROM screen_runs ORDER BY ts DESC, id DESC LIMIT 1", &[])
        .map_err(map_err)?
    else {
        return Ok(None);
    };
    let run_id: i64 = get(&head, 0, T)?;
    let run = ScreenRunRecord {
        name: get(&head, 1, T)?,
        ts: instant(&head, 2, T)?,
        universe_size: small(&head, 3, T)?,
        config: get(&head, 4, T)?,
    };
    const E: &str = "watchlist_entries";
    let entries = t
        .query(
            "SELECT code, rank, score, passed, criteria FROM watchlist_entries WHERE run_id = $1 ORDER BY rank",
            &[&run_id],
        )
        .map_err(map_err)?
        .iter()
        .map(|r| {
            Ok(WatchlistEntryRecord {
                code: code(r, 0, E)?,
                rank: small(r, 1, E)?,
                score: get::<Option<f64>>(r, 2, E)?.unwrap_or(f64::NAN),
                passed: get(r, 3, E)?,
                criteria: named_from_json(E, get(r, 4, E)?)?,
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    Ok(Some(Watchlist { run_id, run, entries }))
}

pub(super) fn save_selections(t: &mut Transaction<'_>, picks: &[SelectionRecord]) -> Result<(), StoreError> {
    let stmt = t
        .prepare(
            "INSERT INTO selections (date, code, class, confidence, score, weights_version, screen_run_id, factors, config)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
             ON CONFLICT (date, code) DO UPDATE SET class = excluded.class, confidence = excluded.confidence,
                 score = excluded.score, weights_version = excluded.weights_version,
                 screen_run_id = excluded.screen_run_id, factors = excluded.factors, config = excluded.config",
        )
        .map_err(map_err)?;
    for p in picks {
        t.execute(
            &stmt,
            &[
                &p.date,
                &p.code.as_str(),
                &p.class,
                &p.confidence,
                &score(p.score),
                &p.weights_version,
                &p.screen_run_id,
                &named_to_json(&p.factors),
                &p.config,
            ],
        )
        .map_err(map_err)?;
    }
    Ok(())
}

pub(super) fn selections_on(t: &mut Transaction<'_>, date: NaiveDate) -> Result<Vec<SelectionRecord>, StoreError> {
    const T: &str = "selections";
    // NULL (NaN) scores last, as SQLite orders NULL below every number in a descending sort.
    t.query(
        "SELECT date, code, class, confidence, score, weights_version, screen_run_id, factors, config
         FROM selections WHERE date = $1 ORDER BY score DESC NULLS LAST, code",
        &[&date],
    )
    .map_err(map_err)?
    .iter()
    .map(|r| {
        Ok(SelectionRecord {
            date: get(r, 0, T)?,
            code: code(r, 1, T)?,
            class: get(r, 2, T)?,
            confidence: get(r, 3, T)?,
            score: get::<Option<f64>>(r, 4, T)?.unwrap_or(f64::NAN),
            weights_version: get(r, 5, T)?,
            screen_run_id: get(r, 6, T)?,
            factors: named_from_json(T, get(r, 7, T)?)?,
            config: get(r, 8, T)?,
        })
    })
    .collect()
}

pub(super) fn save_predictions(t: &mut Transaction<'_>, rows: &[PredictionRecord]) -> Result<(), StoreError> {
    let stmt = t
        .prepare(
            "INSERT INTO predictions (date, code, horizon_days, source, class, confidence, expected_return, weights_version)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
             ON CONFLICT (date, code, horizon_days, source) DO UPDATE SET class = excluded.class,
                 confidence = excluded.confidence, expected_return = excluded.expected_return,
                 weights_version = excluded.weights_version",
        )
        .map_err(map_err)?;
    for p in rows {
        t.execute(
            &stmt,
            &[
                &p.date,
                &p.code.as_str(),
                &i64::from(p.horizon_days),
                &p.source,
                &p.class,
                &p.confidence,
                &p.expected_return,
                &p.weights_version,
            ],
        )
        .map_err(map_err)?;
    }
    Ok(())
}

pub(super) fn record_outcomes(t: &mut Transaction<'_>, rows: &[OutcomeRecord]) -> Result<(), StoreError> {
    let find = t
        .prepare("SELECT id FROM predictions WHERE date = $1 AND code = $2 AND horizon_days = $3 AND source = $4")
        .map_err(map_err)?;
    let put = t
        .prepare(
            "INSERT INTO outcomes (prediction_id, evaluated_on, actual_return, max_drawdown, hit,
                 entry_price, max_favourable, first_hit, days_held)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
             ON CONFLICT (prediction_id) DO UPDATE SET evaluated_on = excluded.evaluated_on,
                 actual_return = excluded.actual_return, max_drawdown = excluded.max_drawdown, hit = excluded.hit,
                 entry_price = excluded.entry_price, max_favourable = excluded.max_favourable,
                 first_hit = excluded.first_hit, days_held = excluded.days_held",
        )
        .map_err(map_err)?;
    for o in rows {
        let id: Option<i64> = t
            .query_opt(&find, &[&o.date, &o.code.as_str(), &i64::from(o.horizon_days), &o.source])
            .map_err(map_err)?
            .map(|r| get(&r, 0, "predictions"))
            .transpose()?;
        let Some(id) = id else {
            return Err(StoreError::NotFound(format!(
                "prediction {} {} +{}d by {}",
                o.date, o.code, o.horizon_days, o.source
            )));
        };
        t.execute(
            &put,
            &[
                &id,
                &o.evaluated_on,
                &o.actual_return,
                &o.max_drawdown,
                &o.hit,
                &o.entry_price.map(Price::won),
                &o.max_favourable,
                &o.first_hit.as_str(),
                &i64::from(o.days_held),
            ],
        )
        .map_err(map_err)?;
    }
    Ok(())
}

const PREDICTION_COLS: &str =
    "p.date, p.code, p.horizon_days, p.source, p.class, p.confidence, p.expected_return, p.weights_version";

fn prediction_from_row(r: &Row) -> Result<PredictionRecord, StoreError> {
    const T: &str = "predictions";
    Ok(PredictionRecord {
        date: get(r, 0, T)?,
        code: code(r, 1, T)?,
        horizon_days: small(r, 2, T)?,
        source: get(r, 3, T)?,
        class: get(r, 4, T)?,
        confidence: get(r, 5, T)?,
        expected_return: get(r, 6, T)?,
        weights_version: get(r, 7, T)?,
    })
}

pub(super) fn open_predictions(t: &mut Transaction<'_>) -> Result<Vec<PredictionRecord>, StoreError> {
    let sql = format!(
        "SELECT {PREDICTION_COLS} FROM predictions p LEFT JOIN outcomes o ON o.prediction_id = p.id
         WHERE o.prediction_id IS NULL ORDER BY p.date, p.code, p.horizon_days, p.source"
    );
    t.query(&sql, &[]).map_err(map_err)?.iter().map(prediction_from_row).collect()
}

pub(super) fn outcomes_since(
    t: &mut Transaction<'_>,
    since: NaiveDate,
) -> Result<Vec<(PredictionRecord, OutcomeRecord)>, StoreError> {
    const T: &str = "outcomes";
    let sql = format!(
        "SELECT {PREDICTION_COLS}, o.evaluated_on, o.actual_return, o.max_drawdown, o.hit,
             o.entry_price, o.max_favourable, o.first_hit, o.days_held
         FROM outcomes o JOIN predictions p ON p.id = o.prediction_id
         WHERE o.evaluated_on >= $1 ORDER BY p.date, p.code, p.horizon_days, p.source"
    );
    t.query(&sql, &[&since])
        .map_err(map_err)?
        .iter()
        .map(|r| {
            let p = prediction_from_row(r)?;
            let o = OutcomeRecord {
                date: p.date,
                code: p.code,
                horizon_days: p.horizon_days,
                source: p.source.clone(),
                evaluated_on: get(r, 8, T)?,
                actual_return: get(r, 9, T)?,
                max_drawdown: get(r, 10, T)?,
                hit: get(r, 11, T)?,
                entry_price: price_opt(r, 12, T)?,
                max_favourable: get(r, 13, T)?,
                first_hit: {
                    let s: &str = get(r, 14, T)?;
                    FirstHit::parse(s)
                        .ok_or_else(|| StoreError::Decode { table: T, message: format!("unknown first_hit {s:?}") })?
                },
                days_held: small(r, 15, T)?,
            };
            Ok((p, o))
        })
        .collect()
}

pub(super) fn set_regime(t: &mut Transaction<'_>, r: &RegimeRecord) -> Result<(), StoreError> {
    t.execute(
        "INSERT INTO market_regimes (date, regime, score, detail) VALUES ($1, $2, $3, $4)
         ON CONFLICT (date) DO UPDATE SET regime = excluded.regime, score = excluded.score, detail = excluded.detail",
        &[&r.date, &r.regime, &r.score, &r.detail],
    )
    .map_err(map_err)?;
    Ok(())
}

pub(super) fn regime_on(t: &mut Transaction<'_>, date: NaiveDate) -> Result<Option<RegimeRecord>, StoreError> {
    const T: &str = "market_regimes";
    t.query_opt(
        "SELECT date, regime, score, detail FROM market_regimes WHERE date <= $1 ORDER BY date DESC LIMIT 1",
        &[&date],
    )
    .map_err(map_err)?
    .map(|r| {
        Ok(RegimeRecord { date: get(&r, 0, T)?, regime: get(&r, 1, T)?, score: get(&r, 2, T)?, detail: get(&r, 3, T)? })
    })
    .transpose()
}

pub(super) fn save_weights_version(t: &mut Transaction<'_>, v: &WeightsVersionRecord) -> Result<(), StoreError> {
    t.execute(
        "INSERT INTO weights_versions (version, effective_from, parent, weights, inputs, status)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (version) DO UPDATE SET effective_from = excluded.effective_from, parent = excluded.parent,
             weights = excluded.weights, inputs = excluded.inputs, status = excluded.status",
        &[&v.version, &v.effective_from, &v.parent, &named_to_json(&v.weights), &v.inputs, &v.status.as_str()],
    )
    .map_err(map_err)?;
    Ok(())
}

pub(super) fn weights_versions(t: &mut Transaction<'_>) -> Result<Vec<WeightsVersionRecord>, StoreError> {
    const T: &str = "weights_versions";
    t.query(
        "SELECT version, effective_from, parent, weights, inputs, status FROM weights_versions
         ORDER BY effective_from, version",
        &[],
    )
    .map_err(map_err)?
    .iter()
    .map(|r| {
        let status: &str = get(r, 5, T)?;
        let status = WeightsStatus::parse(status)
            .ok_or_else(|| StoreError::Decode { table: T, message: format!("unknown status {status:?}") })?;
        Ok(WeightsVersionRecord {
            version: get(r, 0, T)?,
            effective_from: get(r, 1, T)?,
            parent: get(r, 2, T)?,
            weights: named_from_json(T, get(r, 3, T)?)?,
            inputs: get(r, 4, T)?,
            status,
        })
    })
    .collect()
}
