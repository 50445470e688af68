//! Read routes of the research day: picks, the watchlist and why a stock is on it, stored runs and
//! their equity curves.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use chrono::NaiveDate;
use hantu_core::control::trader_status;
use hantu_core::domain::StockCode;
use hantu_core::krx::KrxCalendar;
use serde::Deserialize;
use utoipa::IntoParams;

use super::AppState;
use super::error::ApiError;
use super::read::{MAX_LIMIT, Params};
use super::views::*;

/// `/picks` parameters.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct PicksQuery {
    /// The session (YYYY-MM-DD); default: the session after the latest screen.
    pub date: Option<NaiveDate>,
}

/// The picks for a session, best score first.
#[utoipa::path(get, path = "/picks", tag = "read", params(PicksQuery), responses((status = 200, body = PicksView)))]
pub async fn picks(
    State(state): State<Arc<AppState>>,
    Params(q): Params<PicksQuery>,
) -> Result<Json<PicksView>, ApiError> {
    state
        .with_store(move |s| {
            let date = match q.date {
                Some(d) => Some(d),
                None => s.latest_watchlist()?.map(|w| KrxCalendar::next_trading_day(w.run.ts.kst_date())),
            };
            let picks = match date {
                Some(d) => s.selections_on(d)?,
                None => Vec::new(),
            };
            Ok(Json(PicksView { date: date.map(|d| d.to_string()), picks: picks.iter().map(Into::into).collect() }))
        })
        .await
}

/// The latest screen's watchlist.
#[utoipa::path(get, path = "/watchlist", tag = "read", responses((status = 200, body = WatchlistView)))]
pub async fn watchlist(State(state): State<Arc<AppState>>) -> Result<Json<WatchlistView>, ApiError> {
    state
        .with_store(|s| {
            let w = s.latest_watchlist()?;
            Ok(Json(match w {
                None => WatchlistView { run_id: None, name: None, ts: None, universe_size: 0, entries: Vec::new() },
                Some(w) => WatchlistView {
                    run_id: Some(w.run_id),
                    name: Some(w.run.name.clone()),
                    ts: Some(iso(w.run.ts)),
                    universe_size: w.run.universe_size,
                    entries: w.entries.iter().map(Into::into).collect(),
                },
            }))
        })
        .await
}

/// Why a stock is (or is not) on the latest watchlist: its criteria values and the screen's settings.
#[utoipa::path(get, path = "/screen/why/{code}", tag = "read",
    params(("code" = String, Path, description = "6-character stock code")),
    responses((status = 200, body = WhyView), (status = 400, body = super::error::ErrorBody)))]
pub async fn why(State(state): State<Arc<AppState>>, Path(code): Path<String>) -> Result<Json<WhyView>, ApiError> {
    let code: StockCode = code.parse().map_err(|e| ApiError::bad_param("code", format!("{e}")))?;
    state
        .with_store(move |s| {
            let Some(w) = s.latest_watchlist()? else {
                return Ok(Json(WhyView {
                    code: code.to_string(),
                    on_watchlist: false,
                    run_id: None,
                    entry: None,
                    screen: serde_json::Value::Null,
                    message: "no screen has run yet (hantu screen)".into(),
                }));
            };
            let entry = w.entries.iter().find(|e| e.code == code);
            let message = match entry {
                Some(e) => {
                    format!("{code} is #{} of {} on {} (score {:.3})", e.rank, w.entries.len(), w.run.name, e.score)
                }
                None => format!(
                    "{code} is not on the latest watchlist of {} ({} stocks examined): it failed a required criterion \
                     or was not in the universe; `hantu screen --why {code}` shows each value",
                    w.run.name, w.run.universe_size
                ),
            };
            Ok(Json(WhyView {
                code: code.to_string(),
                on_watchlist: entry.is_some(),
                run_id: Some(w.run_id),
                entry: entry.map(Into::into),
                screen: w.run.config.get("screen").cloned().unwrap_or(serde_json::Value::Null),
                message,
            }))
        })
        .await
}

/// Stored backtest, paper and live runs, newest first.
#[utoipa::path(get, path = "/backtests", tag = "read", responses((status = 200, body = RunsView)))]
pub async fn backtests(State(state): State<Arc<AppState>>) -> Result<Json<RunsView>, ApiError> {
    state
        .with_store(|s| {
            let runs = s.runs()?;
            Ok(Json(RunsView {
                runs: runs
                    .into_iter()
                    .take(MAX_LIMIT)
                    .map(|(id, r)| RunView {
                        id,
                        kind: r.kind,
                        strategy: r.strategy,
                        started: iso(r.started),
                        finished: r.finished.map(iso),
                        stats: r.stats,
                    })
                    .collect(),
            }))
        })
        .await
}

/// `/equity` parameters.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct EquityQuery {
    /// Run id (default: the newest run).
    pub run: Option<i64>,
}

/// An equity curve: the daily closes of a run, and the running trader's equity now.
#[utoipa::path(get, path = "/equity", tag = "read", params(EquityQuery),
    responses((status = 200, body = EquityView), (status = 404, body = super::error::ErrorBody)))]
pub async fn equity(
    State(state): State<Arc<AppState>>,
    Params(q): Params<EquityQuery>,
) -> Result<Json<EquityView>, ApiError> {
    state
        .with_store(move |s| {
            let id = match q.run {
                Some(id) => Some(id),
                None => s.runs()?.first().map(|(id, _)| *id),
            };
            let run = match id {
                Some(id) => Some(s.run(id)?.ok_or_else(|| ApiError::not_found(format!("no run {id}")))?),
                None => None,
            };
            let current = trader_status(s)?.map(|t| t.equity.to_string());
            Ok(Json(EquityView {
                run_id: run.as_ref().map(|r| r.id),
                run: run.as_ref().map(|r| format!("{} {}", r.run.kind, r.run.strategy)),
                points: run
                    .map(|r| {
                        r.daily
                            .iter()
                            .map(|d| EquityPoint { date: d.date.to_string(), equity: d.equity.to_string(), ret: d.ret })
                            .collect()
                    })
                    .unwrap_or_default(),
                current,
            }))
        })
        .await
}
