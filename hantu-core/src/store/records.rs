//! Record types the store keeps for the pipeline (screen, select, learn), for runs and for
//! operations. Domain values (bars, orders, fills, positions, instruments, fundamentals) are
//! stored as themselves; these are the shapes that exist only to be persisted and read back.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::domain::{Money, Price, StockCode, Timestamp};

/// Named numeric values in a fixed order (criteria of a screen, factor scores of a pick).
/// Values may be NaN ("could not be computed"); the store keeps them as such.
pub type NamedValues = Vec<(String, f64)>;

/// One run of the screen (phase 1).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ScreenRunRecord {
    /// Name of the screen configuration.
    pub name: String,
    /// When it ran.
    pub ts: Timestamp,
    /// Stocks examined.
    pub universe_size: u32,
    /// The configuration that produced it (free-form, so a run can be replayed).
    pub config: serde_json::Value,
}

/// One stock on a watchlist, with the criteria values that put it there.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WatchlistEntryRecord {
    /// The stock.
    pub code: StockCode,
    /// 1-based rank by score.
    pub rank: u32,
    /// Combined score.
    pub score: f64,
    /// Whether it passed every required criterion.
    pub passed: bool,
    /// Criterion name → value, in the screen's order.
    pub criteria: NamedValues,
}

/// A stored screen run with its id and entries (ascending rank).
#[derive(Clone, Debug, PartialEq)]
pub struct Watchlist {
    /// The store's id of the run.
    pub run_id: i64,
    /// The run.
    pub run: ScreenRunRecord,
    /// Its entries, by rank.
    pub entries: Vec<WatchlistEntryRecord>,
}

/// One pick of the daily selection (phase 2). Natural key: `(date, code)`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SelectionRecord {
    /// Trading date the pick is for.
    pub date: NaiveDate,
    /// The stock.
    pub code: StockCode,
    /// Predicted class (`strong_buy`, `buy`, `hold`...).
    pub class: String,
    /// Confidence in `0..=1`.
    pub confidence: f64,
    /// Multi-factor score.
    pub score: f64,
    /// Version of the factor weights that produced it.
    pub weights_version: String,
    /// The screen run it was selected from, if stored.
    pub screen_run_id: Option<i64>,
    /// Factor scores, in the selector's order.
    pub factors: NamedValues,
    /// Selector configuration (free-form).
    pub config: serde_json::Value,
}

/// A prediction to be checked later (phase 4). Natural key: `(date, code, horizon_days, source)`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PredictionRecord {
    /// Date the prediction was made for.
    pub date: NaiveDate,
    /// The stock.
    pub code: StockCode,
    /// Trading days until the outcome is measured.
    pub horizon_days: u32,
    /// Who predicted: a strategy or selector name.
    pub source: String,
    /// Predicted class.
    pub class: String,
    /// Confidence in `0..=1`.
    pub confidence: f64,
    /// Predicted return over the horizon, if the model gives one.
    pub expected_return: Option<f64>,
    /// Version of the weights that produced it.
    pub weights_version: String,
}

/// What actually happened to a prediction. Matched to it by the prediction's natural key.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OutcomeRecord {
    /// Prediction date.
    pub date: NaiveDate,
    /// The stock.
    pub code: StockCode,
    /// Horizon of the prediction.
    pub horizon_days: u32,
    /// Source of the prediction.
    pub source: String,
    /// Date the outcome was measured.
    pub evaluated_on: NaiveDate,
    /// Realised return over the horizon (0.05 = +5%).
    pub actual_return: f64,
    /// Worst drawdown within the horizon (≤ 0).
    pub max_drawdown: f64,
    /// Whether the prediction counts as right.
    pub hit: bool,
    /// Entry price by the entry rule (`None`: never entered, the entry zone was not reached).
    pub entry_price: Option<Price>,
    /// Best move within the horizon, from the entry price (≥ 0).
    pub max_favourable: f64,
    /// Which of the pick's levels the price reached first.
    pub first_hit: FirstHit,
    /// Sessions from entry to exit (the level's day, or the horizon).
    pub days_held: u32,
}

/// Which of a pick's levels the price reached first within the horizon.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FirstHit {
    /// The target.
    Target,
    /// The stop (also when a session touched both: the stop is assumed first, the pessimistic case).
    Stop,
    /// Neither within the horizon: the exit is the last session's close.
    Neither,
    /// The pick was never entered.
    NotEntered,
}

impl FirstHit {
    /// Snake-case name, as stored.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            FirstHit::Target => "target",
            FirstHit::Stop => "stop",
            FirstHit::Neither => "neither",
            FirstHit::NotEntered => "not_entered",
        }
    }

    /// Parses [`FirstHit::as_str`].
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        [FirstHit::Target, FirstHit::Stop, FirstHit::Neither, FirstHit::NotEntered]
            .into_iter()
            .find(|f| f.as_str() == s)
    }
}

/// Whether a weights version may be used by selection.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WeightsStatus {
    /// In force from its effective date (the newest approved one wins).
    Approved,
    /// Withdrawn by a rollback; kept for the record.
    RolledBack,
}

impl WeightsStatus {
    /// Snake-case name, as stored.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            WeightsStatus::Approved => "approved",
            WeightsStatus::RolledBack => "rolled_back",
        }
    }

    /// Parses [`WeightsStatus::as_str`].
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        [WeightsStatus::Approved, WeightsStatus::RolledBack].into_iter().find(|f| f.as_str() == s)
    }
}

/// One version of the selection's factor weights (phase 4). Natural key: `version`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WeightsVersionRecord {
    /// Version name (what selections record as `weights_version`).
    pub version: String,
    /// The first as-of date whose selection may use it: never a day before it was made.
    pub effective_from: NaiveDate,
    /// The version it was derived from.
    pub parent: Option<String>,
    /// Weight per factor, in [`crate::select::Factor::ALL`] order.
    pub weights: NamedValues,
    /// What the update saw (sample sizes, factor ICs, limits; free-form).
    pub inputs: serde_json::Value,
    /// Approved or rolled back.
    pub status: WeightsStatus,
}

/// A backtest, paper or live run of a strategy.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunRecord {
    /// `backtest`, `paper` or `live`.
    pub kind: String,
    /// Strategy name.
    pub strategy: String,
    /// Start of the run (wall clock or simulated).
    pub started: Timestamp,
    /// End of the run, when finished.
    pub finished: Option<Timestamp>,
    /// Configuration (free-form).
    pub config: serde_json::Value,
    /// Summary statistics (free-form: Sharpe, drawdown, win rate...).
    pub stats: serde_json::Value,
}

/// A round trip: a position opened from flat and closed back to flat (or still open at the
/// end of the run).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TradeRecord {
    /// The stock.
    pub code: StockCode,
    /// Shares bought over the trip.
    pub qty: u64,
    /// First buy.
    pub entry_ts: Timestamp,
    /// Average buy price in won (an average, so not a whole-won [`crate::domain::Price`]).
    pub entry_price: f64,
    /// The sell that brought the position back to zero; `None` while open.
    pub exit_ts: Option<Timestamp>,
    /// Average sell price in won; `None` while open.
    pub exit_price: Option<f64>,
    /// P&L net of all costs.
    pub pnl: Money,
    /// Commission and tax paid.
    pub costs: Money,
    /// `pnl` over the cost of the shares bought, in percent (5.0 = +5%), as the backtest reports it.
    pub return_pct: f64,
}

/// Equity at the end of one day of a run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DailyReturnRecord {
    /// Trading date.
    pub date: NaiveDate,
    /// Equity at the close.
    pub equity: Money,
    /// Return over the previous close (0.01 = +1%).
    pub ret: f64,
}

/// A stored run with everything it wrote.
#[derive(Clone, Debug, PartialEq)]
pub struct StoredRun {
    /// The store's id of the run.
    pub id: i64,
    /// The run.
    pub run: RunRecord,
    /// Its round trips, by entry time.
    pub trades: Vec<TradeRecord>,
    /// Its daily returns, by date.
    pub daily: Vec<DailyReturnRecord>,
}

/// The market regime of a day. Natural key: `date`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RegimeRecord {
    /// Trading date.
    pub date: NaiveDate,
    /// Regime name (`bull`, `bear`, `sideways`...).
    pub regime: String,
    /// Strength or probability of the regime.
    pub score: f64,
    /// Inputs that decided it (free-form).
    pub detail: serde_json::Value,
}

/// One call to a broker API.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiCallRecord {
    /// When the call started.
    pub ts: Timestamp,
    /// Endpoint path.
    pub endpoint: String,
    /// KIS transaction id (`tr_id`), if any.
    pub tr_id: Option<String>,
    /// Round-trip time in microseconds.
    pub latency_us: u64,
    /// HTTP status, if a response arrived.
    pub status: Option<u16>,
    /// `ok`, `rate_limited`, `error: ...`.
    pub outcome: String,
}

/// What kind of operational event a record is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// A price or risk alert.
    Alert,
    /// An error worth keeping.
    Error,
    /// A message sent to the operator.
    Notification,
}

impl EventKind {
    /// The stored name.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            EventKind::Alert => "alert",
            EventKind::Error => "error",
            EventKind::Notification => "notification",
        }
    }

    /// Parses [`EventKind::as_str`].
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "alert" => Some(EventKind::Alert),
            "error" => Some(EventKind::Error),
            "notification" => Some(EventKind::Notification),
            _ => None,
        }
    }
}

/// An alert, error or notification.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EventRecord {
    /// When.
    pub ts: Timestamp,
    /// What kind.
    pub kind: EventKind,
    /// Which part of the system raised it (`monitor`, `engine`, `kis`...).
    pub source: String,
    /// One line for humans.
    pub message: String,
    /// Structured detail (free-form).
    pub detail: serde_json::Value,
}
