//! The OpenAPI document, generated from the handlers' annotations and the view types, served at
//! `/openapi.json` (no key needed: it describes, it does not reveal).

use axum::Json;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::{control, error, jobs, metrics, read, research, stream, views};

/// The document.
#[derive(OpenApi)]
#[openapi(
    info(title = "hantu API", description = "Watch and steer a running hantu. Every route but /health, /openapi.json and the dashboard needs an X-API-Key header; control routes need a key with the control role."),
    paths(
        read::health, read::status, read::positions, read::orders, read::fills, research::picks,
        research::watchlist, research::why, research::backtests, research::equity, read::logs, control::jobs, stream::events, metrics::export,
        control::pause, control::resume, control::stop, control::force_exit, jobs::run_job,
    ),
    components(schemas(
        error::ErrorBody, error::ErrorDetail, views::Health, views::DependencyHealth, views::StatusView,
        views::ControlView, views::TraderView, views::PositionsView, views::PositionView, views::OrdersView,
        views::OrderView, views::FillsView, views::FillView, views::PicksView, views::PickView, views::NamedValue,
        views::WatchlistView, views::EntryView, views::WhyView, views::RunsView, views::RunView, views::EquityView,
        views::EquityPoint, views::JobsView, views::JobView, views::LogsView, views::EventView,
        views::ControlResult, control::ReasonBody, control::StopBody, control::ForceExitBody, stream::PriceView,
        jobs::JobStarted,
    )),
    modifiers(&KeyScheme),
    security(("api_key" = [])),
    tags((name = "read", description = "Read routes (any key)"), (name = "control", description = "Control routes (control keys)")),
)]
pub struct ApiDoc;

/// Declares the `X-API-Key` header scheme.
struct KeyScheme;

impl Modify for KeyScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components
            .add_security_scheme("api_key", SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::new("X-API-Key"))));
    }
}

/// `/openapi.json`.
pub async fn document() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
