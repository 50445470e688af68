//! Shapes of the research day: picks, watchlists, explanations, runs and equity curves.

use hantu_core::store::{SelectionRecord, WatchlistEntryRecord};
use serde::Serialize;
use utoipa::ToSchema;

use super::{NamedValue, named};

/// A pick.
#[derive(Serialize, ToSchema)]
pub struct PickView {
    /// Stock code.
    pub code: String,
    /// Predicted class.
    pub class: String,
    /// Confidence in 0..=1.
    pub confidence: f64,
    /// Score.
    pub score: Option<f64>,
    /// Weights version.
    pub weights_version: String,
    /// Factor scores.
    pub factors: Vec<NamedValue>,
}

impl From<&SelectionRecord> for PickView {
    fn from(s: &SelectionRecord) -> Self {
        Self {
            code: s.code.to_string(),
            class: s.class.clone(),
            confidence: s.confidence,
            score: s.score.is_finite().then_some(s.score),
            weights_version: s.weights_version.clone(),
            factors: named(&s.factors),
        }
    }
}

/// `/picks`.
#[derive(Serialize, ToSchema)]
pub struct PicksView {
    /// The session the picks are for (`null` when there are none).
    pub date: Option<String>,
    /// Best score first.
    pub picks: Vec<PickView>,
}

/// A watchlist entry.
#[derive(Serialize, ToSchema)]
pub struct EntryView {
    /// Stock code.
    pub code: String,
    /// 1-based rank.
    pub rank: u32,
    /// Score.
    pub score: Option<f64>,
    /// Passed every required criterion.
    pub passed: bool,
    /// Criterion values.
    pub criteria: Vec<NamedValue>,
}

impl From<&WatchlistEntryRecord> for EntryView {
    fn from(e: &WatchlistEntryRecord) -> Self {
        Self {
            code: e.code.to_string(),
            rank: e.rank,
            score: e.score.is_finite().then_some(e.score),
            passed: e.passed,
            criteria: named(&e.criteria),
        }
    }
}

/// `/watchlist`.
#[derive(Serialize, ToSchema)]
pub struct WatchlistView {
    /// The screen run's id (`null` when no screen ever ran).
    pub run_id: Option<i64>,
    /// Screen name.
    pub name: Option<String>,
    /// When the run's data ends.
    pub ts: Option<String>,
    /// Stocks examined.
    pub universe_size: u32,
    /// Entries by rank.
    pub entries: Vec<EntryView>,
}

/// `/screen/why/{code}`.
#[derive(Serialize, ToSchema)]
pub struct WhyView {
    /// Stock code.
    pub code: String,
    /// Whether it is on the latest watchlist.
    pub on_watchlist: bool,
    /// The screen run consulted.
    pub run_id: Option<i64>,
    /// Its entry, when on the list.
    pub entry: Option<EntryView>,
    /// The screen's settings (thresholds), to compare with.
    #[schema(value_type = Object)]
    pub screen: serde_json::Value,
    /// One line for people.
    pub message: String,
}

/// A stored run.
#[derive(Serialize, ToSchema)]
pub struct RunView {
    /// Run id.
    pub id: i64,
    /// `backtest`, `paper` or `live`.
    pub kind: String,
    /// Strategy.
    pub strategy: String,
    /// Start.
    pub started: String,
    /// End.
    pub finished: Option<String>,
    /// Summary statistics.
    #[schema(value_type = Object)]
    pub stats: serde_json::Value,
}

/// `/backtests`.
#[derive(Serialize, ToSchema)]
pub struct RunsView {
    /// Runs, newest first.
    pub runs: Vec<RunView>,
}

/// A point on the equity curve.
#[derive(Serialize, ToSchema)]
pub struct EquityPoint {
    /// Date.
    pub date: String,
    /// Equity at the close (won).
    pub equity: String,
    /// Return over the previous close.
    pub ret: f64,
}

/// `/equity`.
#[derive(Serialize, ToSchema)]
pub struct EquityView {
    /// The run the curve comes from.
    pub run_id: Option<i64>,
    /// Its kind and strategy.
    pub run: Option<String>,
    /// Daily points, oldest first.
    pub points: Vec<EquityPoint>,
    /// The running trader's equity now, if it publishes one.
    pub current: Option<String>,
}
