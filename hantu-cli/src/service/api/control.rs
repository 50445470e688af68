//! Control routes (control role only): pause, resume, stop (optionally flattening), force exits,
//! and the job runs list (running one is [`super::jobs`]). Each writes the trader's control flag in the store through [`hantu_core::control`]; a running
//! trader acts on it within a second, and a restarted one finds it there.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::{Extension, Json};
use hantu_core::control::{ControlRecord, ControlState, ForceExitRequest, request_force_exit, set_control};
use hantu_core::domain::StockCode;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use utoipa::ToSchema;

use super::AppState;
use super::error::ApiError;
use super::guard::Caller;
use super::read::now;
use super::views::{ControlResult, JobView, JobsView, iso};

/// Longest `reason` kept.
pub const MAX_REASON: usize = 500;

/// Parses a JSON body, naming the field at fault: 400 `malformed_body` when it is not JSON at all,
/// 422 `invalid_field` when a field is missing, unknown or of the wrong type. An empty body is `{}`.
///
/// # Errors
/// As above.
pub fn parse_body<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    let body = if body.iter().all(u8::is_ascii_whitespace) { b"{}".as_slice() } else { body };
    let de = &mut serde_json::Deserializer::from_slice(body);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if inner.is_syntax() || inner.is_eof() {
            ApiError {
                field: None,
                ..ApiError::new(StatusCode::BAD_REQUEST, "malformed_body", format!("the body is not JSON: {inner}"))
            }
        } else {
            let field = if path == "." { field_in(&inner.to_string()).unwrap_or_else(|| "body".into()) } else { path };
            ApiError::invalid_field(&field, inner.to_string())
        }
    })
}

/// The field serde names in "missing field `x`" / "unknown field `x`" messages.
fn field_in(message: &str) -> Option<String> {
    let start = message.find('`')? + 1;
    let end = start + message[start..].find('`')?;
    Some(message[start..end].to_owned())
}

fn check_reason(reason: Option<&String>) -> Result<(), ApiError> {
    match reason {
        Some(r) if r.chars().count() > MAX_REASON => {
            Err(ApiError::invalid_field("reason", format!("at most {MAX_REASON} characters")))
        }
        Some(r) if r.chars().any(char::is_control) => {
            Err(ApiError::invalid_field("reason", "must be one line without control characters"))
        }
        _ => Ok(()),
    }
}

/// Body of pause and resume (may be empty).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReasonBody {
    /// Why (kept with the flag and in the event log; one line, at most 500 characters).
    pub reason: Option<String>,
}

/// Body of stop.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StopBody {
    /// Cancel every working order and sell every holding at market before stopping.
    pub flatten: bool,
    /// Why.
    pub reason: Option<String>,
}

/// Body of force-exit.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ForceExitBody {
    /// Stock codes to sell; omitted means every holding.
    pub codes: Option<Vec<String>>,
}

async fn set(
    state: &Arc<AppState>,
    caller: &Caller,
    st: ControlState,
    reason: Option<String>,
) -> Result<Json<ControlResult>, ApiError> {
    check_reason(reason.as_ref())?;
    let record = ControlRecord { state: st, by: format!("api:{}", caller.name), at: now(), reason };
    let result = ControlResult {
        state: st.as_str().into(),
        by: record.by.clone(),
        at: iso(record.at),
        reason: record.reason.clone(),
    };
    tracing::info!(state = st.as_str(), by = %record.by, "Trader control set through the API");
    state.with_store(move |s| Ok(set_control(s, &record)?)).await?;
    Ok(Json(result))
}

/// Pause: no new entries; exits, stops and cancels still work.
#[utoipa::path(post, path = "/trader/pause", tag = "control", request_body(content = ReasonBody, description = "optional"),
    responses((status = 200, body = ControlResult), (status = 403, body = super::error::ErrorBody), (status = 422, body = super::error::ErrorBody)))]
pub async fn pause(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    body: Bytes,
) -> Result<Json<ControlResult>, ApiError> {
    let b: ReasonBody = parse_body(&body)?;
    set(&state, &caller, ControlState::Paused, b.reason).await
}

/// Resume normal trading.
#[utoipa::path(post, path = "/trader/resume", tag = "control", request_body(content = ReasonBody, description = "optional"),
    responses((status = 200, body = ControlResult), (status = 403, body = super::error::ErrorBody)))]
pub async fn resume(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    body: Bytes,
) -> Result<Json<ControlResult>, ApiError> {
    let b: ReasonBody = parse_body(&body)?;
    set(&state, &caller, ControlState::Running, b.reason).await
}

/// Stop trading; with `flatten`, cancel everything and sell everything first (also sets the emergency stop).
#[utoipa::path(post, path = "/trader/stop", tag = "control", request_body = StopBody,
    responses((status = 200, body = ControlResult), (status = 403, body = super::error::ErrorBody), (status = 422, body = super::error::ErrorBody)))]
pub async fn stop(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    body: Bytes,
) -> Result<Json<ControlResult>, ApiError> {
    let b: StopBody = parse_body(&body)?;
    set(&state, &caller, ControlState::Stop { flatten: b.flatten }, b.reason).await
}

/// Sell holdings at market now (all, or the codes given); honoured while paused too.
#[utoipa::path(post, path = "/trader/force-exit", tag = "control", request_body = ForceExitBody,
    responses((status = 200, body = ControlResult), (status = 422, body = super::error::ErrorBody)))]
pub async fn force_exit(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    body: Bytes,
) -> Result<Json<ControlResult>, ApiError> {
    let b: ForceExitBody = parse_body(&body)?;
    let codes = match b.codes {
        None => None,
        Some(list) if list.is_empty() => {
            return Err(ApiError::invalid_field("codes", "give codes, or omit the field for all"));
        }
        Some(list) => Some(
            list.iter()
                .enumerate()
                .map(|(i, c)| {
                    c.parse::<StockCode>().map_err(|e| ApiError::invalid_field(&format!("codes[{i}]"), e.to_string()))
                })
                .collect::<Result<Vec<_>, _>>()?,
        ),
    };
    let req = ForceExitRequest { codes, by: format!("api:{}", caller.name), at: now() };
    let result = ControlResult { state: "force_exit".into(), by: req.by.clone(), at: iso(req.at), reason: None };
    state.with_store(move |s| Ok(request_force_exit(s, &req)?)).await?;
    Ok(Json(result))
}

/// The scheduler's latest runs (newest first, at most 100), as `hantu schedule history` shows them.
#[utoipa::path(get, path = "/jobs", tag = "read", responses((status = 200, body = JobsView)))]
pub async fn jobs(State(state): State<Arc<AppState>>) -> Result<Json<JobsView>, ApiError> {
    let runs = state.with_store(|s| Ok(s.job_runs(None, 100)?)).await?;
    let jobs = runs
        .iter()
        .map(|(id, r)| JobView {
            name: r.job.clone(),
            id: *id,
            scheduled: iso(r.scheduled),
            started: r.started.map(iso),
            finished: r.finished.map(iso),
            outcome: r.outcome.as_str().to_owned(),
            error: r.error.clone(),
        })
        .collect();
    Ok(Json(JobsView { scheduler: true, jobs }))
}
