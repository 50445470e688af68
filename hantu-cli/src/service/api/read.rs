//! Read routes of the trading day (health, status, positions, orders, fills, logs) and what every
//! read route shares. Each reads the store on the blocking pool and answers a [`super::views`] shape.

use std::io::{Read as _, Seek as _, SeekFrom};
use std::sync::Arc;
use std::time::Instant;

use axum::Json;
use axum::extract::{FromRequestParts, Query, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use hantu_core::control::{read_control, trader_status};
use hantu_core::domain::Timestamp;
use hantu_core::store::{EventKind, Store, emergency_stop};
use serde::Deserialize;
use utoipa::IntoParams;

use super::AppState;
use super::error::ApiError;
use super::views::*;

/// A trader status older than this means the trader is not running.
pub const HEARTBEAT_STALE_S: f64 = 10.0;
/// Most rows any list answers.
pub const MAX_LIMIT: usize = 1000;
const DEFAULT_LIMIT: usize = 200;
const DAY_MS: i64 = 86_400_000;

/// Query parameters, with a 400 naming the parameter when one does not parse.
pub struct Params<T>(pub T);

impl<S: Send + Sync, T: serde::de::DeserializeOwned> FromRequestParts<S> for Params<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match Query::<T>::from_request_parts(parts, state).await {
            Ok(Query(v)) => Ok(Self(v)),
            Err(rej) => {
                let text = rej.body_text();
                let detail = text.split_once("query string: ").map_or(text.as_str(), |(_, d)| d);
                let field = detail.split_once(": ").map_or("query", |(f, _)| f);
                Err(ApiError::bad_param(field, detail.to_owned()))
            }
        }
    }
}

/// The current time.
pub fn now() -> Timestamp {
    Timestamp::from_millis(chrono::Utc::now().timestamp_millis())
}

fn limit(l: Option<usize>) -> Result<usize, ApiError> {
    match l {
        None => Ok(DEFAULT_LIMIT),
        Some(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
        Some(n) => Err(ApiError::bad_param("limit", format!("{n} must be in 1..={MAX_LIMIT}"))),
    }
}

/// Store, trader, services, KIS WebSocket and notifier checks; `degraded` when one fails, 503 when
/// the store does not answer.
#[utoipa::path(get, path = "/health", tag = "read", security(()),
    responses((status = 200, body = Health), (status = 503, body = Health)))]
pub async fn health(State(state): State<Arc<AppState>>) -> Response {
    let checks = state
        .with_store(|s| {
            let t = Instant::now();
            let store = s.setting(hantu_core::control::CONTROL_KEY).map(|_| ());
            let store_ms = t.elapsed().as_secs_f64() * 1e3;
            let t = Instant::now();
            let trader = trader_status(s);
            let trader_ms = t.elapsed().as_secs_f64() * 1e3;
            Ok((store, store_ms, trader, trader_ms))
        })
        .await;
    let mut deps = Vec::new();
    let mut ok = false;
    match checks {
        Ok((store, store_ms, trader, trader_ms)) => {
            ok = store.is_ok();
            deps.push(DependencyHealth {
                name: "store".into(),
                ok,
                latency_ms: store_ms,
                detail: store.map_or_else(|e| e.to_string(), |()| "answers".into()),
            });
            let (t_ok, detail) = match trader {
                Ok(Some(t)) => {
                    let age = (now().millis() - t.heartbeat.millis()) as f64 / 1e3;
                    (age <= HEARTBEAT_STALE_S, format!("{} {} — heartbeat {age:.1} s ago", t.mode, t.strategy))
                }
                Ok(None) => (false, "no trader has published a status".into()),
                Err(e) => (false, e.to_string()),
            };
            deps.push(DependencyHealth { name: "trader".into(), ok: t_ok, latency_ms: trader_ms, detail });
        }
        Err(e) => deps.push(DependencyHealth { name: "store".into(), ok: false, latency_ms: 0.0, detail: e.message }),
    }
    // The services, KIS WebSocket and notifiers: a failing one degrades the answer; only a store
    // that does not answer makes it 503.
    let mut all_ok = ok;
    if let Some(p) = &state.probes {
        for c in p.run().await {
            all_ok &= c.ok;
            deps.push(DependencyHealth { name: c.name, ok: c.ok, latency_ms: c.latency_ms, detail: c.detail });
        }
    }
    let body = Health {
        status: if all_ok { "ok" } else { "degraded" }.into(),
        version: env!("CARGO_PKG_VERSION").into(),
        uptime_s: state.started.elapsed().as_secs_f64(),
        dependencies: deps,
    };
    let code = if ok { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    (code, Json(body)).into_response()
}

/// The trader view of a status, if one was published.
pub fn trader_view(s: &dyn Store) -> Result<Option<TraderView>, ApiError> {
    Ok(trader_status(s)?.map(|t| {
        let age = (now().millis() - t.heartbeat.millis()) as f64 / 1e3;
        TraderView {
            mode: t.mode,
            strategy: t.strategy,
            state: t.state.as_str().into(),
            pid: t.pid,
            started_at: iso(t.started_at),
            heartbeat: iso(t.heartbeat),
            heartbeat_age_s: age,
            alive: age <= HEARTBEAT_STALE_S,
            cash: t.cash.to_string(),
            equity: t.equity.to_string(),
            pnl_today: t.pnl_today.to_string(),
            positions: t.positions.iter().filter(|p| !p.qty.is_zero()).count(),
            working_orders: t.working_orders.len(),
            last_error: t.last_error,
        }
    }))
}

/// The control flag, the emergency stop and the trader's last published status.
#[utoipa::path(get, path = "/status", tag = "read", responses((status = 200, body = StatusView)))]
pub async fn status(State(state): State<Arc<AppState>>) -> Result<Json<StatusView>, ApiError> {
    state
        .with_store(|s| {
            let control = read_control(s)?;
            Ok(Json(StatusView {
                version: env!("CARGO_PKG_VERSION").into(),
                control: ControlView {
                    state: control.as_ref().map_or("running", |c| c.state.as_str()).into(),
                    by: control.as_ref().map(|c| c.by.clone()),
                    at: control.as_ref().map(|c| iso(c.at)),
                    reason: control.and_then(|c| c.reason),
                },
                emergency_stop: emergency_stop(s)?,
                trader: trader_view(s)?,
            }))
        })
        .await
}

/// Holdings with P&L: live from a running trader, else the last saved snapshot.
#[utoipa::path(get, path = "/positions", tag = "read", responses((status = 200, body = PositionsView)))]
pub async fn positions(State(state): State<Arc<AppState>>) -> Result<Json<PositionsView>, ApiError> {
    state
        .with_store(|s| {
            if let Some(t) = trader_status(s)? {
                if (now().millis() - t.heartbeat.millis()) as f64 / 1e3 <= HEARTBEAT_STALE_S {
                    return Ok(Json(PositionsView {
                        source: "trader".into(),
                        as_of: Some(iso(t.heartbeat)),
                        positions: t.positions.iter().filter(|p| !p.qty.is_zero()).map(Into::into).collect(),
                    }));
                }
            }
            Ok(Json(PositionsView {
                source: "store".into(),
                as_of: None,
                positions: s.positions()?.iter().filter(|p| !p.qty.is_zero()).map(Into::into).collect(),
            }))
        })
        .await
}

/// `/orders` parameters.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct OrdersQuery {
    /// `open` (working orders only) or `recent` (default: working orders and every order changed since `since`).
    pub status: Option<String>,
    /// Epoch milliseconds (default: 7 days ago).
    pub since: Option<i64>,
    /// Most orders answered (1..=1000, default 200).
    pub limit: Option<usize>,
}

/// Working orders and recently changed ones, newest change first.
#[utoipa::path(get, path = "/orders", tag = "read", params(OrdersQuery), responses((status = 200, body = OrdersView)))]
pub async fn orders(
    State(state): State<Arc<AppState>>,
    Params(q): Params<OrdersQuery>,
) -> Result<Json<OrdersView>, ApiError> {
    let limit = limit(q.limit)?;
    let open_only = match q.status.as_deref() {
        None | Some("recent") => false,
        Some("open") => true,
        Some(other) => return Err(ApiError::bad_param("status", format!("{other:?} must be open or recent"))),
    };
    let since = Timestamp::from_millis(q.since.unwrap_or_else(|| now().millis() - 7 * DAY_MS));
    state
        .with_store(move |s| {
            let mut orders = s.open_orders()?;
            if !open_only {
                for o in s.orders_since(since)? {
                    if !orders.iter().any(|x| x.client_id == o.client_id) {
                        orders.push(o);
                    }
                }
            }
            orders.sort_by(|a, b| b.updated.cmp(&a.updated).then_with(|| a.client_id.cmp(&b.client_id)));
            orders.truncate(limit);
            Ok(Json(OrdersView { orders: orders.iter().map(Into::into).collect() }))
        })
        .await
}

/// `/fills` and `/logs` parameters.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct SinceQuery {
    /// Epoch milliseconds (default: 7 days ago).
    pub since: Option<i64>,
    /// Most rows answered, the newest kept (1..=1000, default 200).
    pub limit: Option<usize>,
}

/// Fills since a time, oldest first (the newest `limit`).
#[utoipa::path(get, path = "/fills", tag = "read", params(SinceQuery), responses((status = 200, body = FillsView)))]
pub async fn fills(
    State(state): State<Arc<AppState>>,
    Params(q): Params<SinceQuery>,
) -> Result<Json<FillsView>, ApiError> {
    let limit = limit(q.limit)?;
    let since = Timestamp::from_millis(q.since.unwrap_or_else(|| now().millis() - 7 * DAY_MS));
    state
        .with_store(move |s| {
            let all = s.fills_since(since)?;
            let tail = &all[all.len().saturating_sub(limit)..];
            Ok(Json(FillsView { fills: tail.iter().map(Into::into).collect() }))
        })
        .await
}

/// `/logs` parameters.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct LogsQuery {
    /// Epoch milliseconds (default: 7 days ago).
    pub since: Option<i64>,
    /// Most events and lines answered, the newest kept (1..=1000, default 200).
    pub limit: Option<usize>,
    /// Only `alert`, `error` or `notification` events.
    pub kind: Option<String>,
}

/// Alerts, errors and notifications from the store, and the tail of the log file.
#[utoipa::path(get, path = "/logs", tag = "read", params(LogsQuery), responses((status = 200, body = LogsView)))]
pub async fn logs(
    State(state): State<Arc<AppState>>,
    Params(q): Params<LogsQuery>,
) -> Result<Json<LogsView>, ApiError> {
    let limit = limit(q.limit)?;
    let kind = match q.kind.as_deref() {
        None => None,
        Some(k) => Some(
            EventKind::parse(k)
                .ok_or_else(|| ApiError::bad_param("kind", format!("{k:?} must be alert, error or notification")))?,
        ),
    };
    let since = Timestamp::from_millis(q.since.unwrap_or_else(|| now().millis() - 7 * DAY_MS));
    let dir = state.log_dir.clone();
    state
        .with_store(move |s| {
            let mut events = s.events_since(since)?;
            if let Some(k) = kind {
                events.retain(|e| e.kind == k);
            }
            let tail = &events[events.len().saturating_sub(limit)..];
            Ok(Json(LogsView {
                events: tail.iter().map(Into::into).collect(),
                lines: dir.map(|d| log_tail(&d, limit)).unwrap_or_default(),
            }))
        })
        .await
}

/// The last `n` lines of the newest `hantu.log*` file in `dir` (reads at most the last 256 KiB).
fn log_tail(dir: &std::path::Path, n: usize) -> Vec<String> {
    let Ok(rd) = std::fs::read_dir(dir) else { return Vec::new() };
    let mut files: Vec<_> = rd
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.file_name().is_some_and(|f| f.to_string_lossy().starts_with("hantu.log")))
        .collect();
    files.sort();
    let Some(path) = files.pop() else { return Vec::new() };
    let Ok(mut f) = std::fs::File::open(path) else { return Vec::new() };
    let len = f.metadata().map(|m| m.len()).unwrap_or(0);
    let start = len.saturating_sub(256 * 1024);
    let mut buf = Vec::new();
    if f.seek(SeekFrom::Start(start)).is_err() || f.read_to_end(&mut buf).is_err() {
        return Vec::new();
    }
    let text = String::from_utf8_lossy(&buf);
    let mut lines: Vec<&str> = text.lines().collect();
    if start > 0 && !lines.is_empty() {
        lines.remove(0);
    }
    lines[lines.len().saturating_sub(n)..].iter().map(|l| (*l).to_owned()).collect()
}
