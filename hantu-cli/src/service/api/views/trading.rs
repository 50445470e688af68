//! Shapes of the trading day: health, status, positions, orders, fills, events, control results.

use hantu_core::domain::{Fill, Order, OrderKind, Position};
use hantu_core::store::EventRecord;
use serde::Serialize;
use utoipa::ToSchema;

use super::iso;

/// One dependency's health.
#[derive(Serialize, ToSchema)]
pub struct DependencyHealth {
    /// `store`, `trader`, `scheduler`.
    pub name: String,
    /// Whether it answers as it should.
    pub ok: bool,
    /// How long the check took.
    pub latency_ms: f64,
    /// What was seen.
    pub detail: String,
}

/// `/health`.
#[derive(Serialize, ToSchema)]
pub struct Health {
    /// `ok` when every required dependency is, else `degraded`.
    pub status: String,
    /// hantu version.
    pub version: String,
    /// Seconds since the API started.
    pub uptime_s: f64,
    /// Each dependency.
    pub dependencies: Vec<DependencyHealth>,
}

/// The control flag.
#[derive(Serialize, ToSchema)]
pub struct ControlView {
    /// `running`, `paused`, `stop` or `stop_flatten`.
    pub state: String,
    /// Who set it.
    pub by: Option<String>,
    /// When.
    pub at: Option<String>,
    /// Why.
    pub reason: Option<String>,
}

/// What the trader last published about itself.
#[derive(Serialize, ToSchema)]
pub struct TraderView {
    /// `live`, `paper` or `sandbox`.
    pub mode: String,
    /// Strategy.
    pub strategy: String,
    /// The state it acts on.
    pub state: String,
    /// Process id.
    pub pid: u32,
    /// Start time.
    pub started_at: String,
    /// Last heartbeat.
    pub heartbeat: String,
    /// Seconds since the heartbeat.
    pub heartbeat_age_s: f64,
    /// Whether the heartbeat is recent (the trader is running).
    pub alive: bool,
    /// Cash (won).
    pub cash: String,
    /// Cash plus holdings (won).
    pub equity: String,
    /// Today's P&L (won).
    pub pnl_today: String,
    /// Stocks held.
    pub positions: usize,
    /// Working orders.
    pub working_orders: usize,
    /// Last error.
    pub last_error: Option<String>,
}

/// `/status`.
#[derive(Serialize, ToSchema)]
pub struct StatusView {
    /// hantu version.
    pub version: String,
    /// The control flag.
    pub control: ControlView,
    /// Whether the emergency stop is set.
    pub emergency_stop: bool,
    /// The trader, if it ever published a status.
    pub trader: Option<TraderView>,
}

/// A holding with its P&L at the last price.
#[derive(Serialize, ToSchema)]
pub struct PositionView {
    /// Stock code.
    pub code: String,
    /// Shares.
    pub qty: u64,
    /// Average cost per share including buy costs (won), when held.
    pub avg_cost: Option<String>,
    /// Last price (won).
    pub last_price: i64,
    /// Shares × last price (won).
    pub market_value: i64,
    /// Cost of the shares held (won).
    pub cost: String,
    /// Market value minus cost (won).
    pub unrealized_pnl: String,
    /// Realised P&L so far (won).
    pub realized_pnl: String,
}

impl From<&Position> for PositionView {
    fn from(p: &Position) -> Self {
        Self {
            code: p.code.to_string(),
            qty: p.qty.get(),
            avg_cost: p.avg_cost().map(|m| m.get().round_dp(2).to_string()),
            last_price: p.last_price.won(),
            market_value: p.market_value(),
            cost: p.cost.to_string(),
            unrealized_pnl: p.unrealized_pnl().to_string(),
            realized_pnl: p.realized_pnl.to_string(),
        }
    }
}

/// `/positions`.
#[derive(Serialize, ToSchema)]
pub struct PositionsView {
    /// `trader` (live prices from the running trader) or `store` (the last saved snapshot).
    pub source: String,
    /// When the numbers were taken, if known.
    pub as_of: Option<String>,
    /// Holdings (shares > 0).
    pub positions: Vec<PositionView>,
}

/// An order.
#[derive(Serialize, ToSchema)]
pub struct OrderView {
    /// Our id.
    pub client_id: String,
    /// The broker's order number.
    pub broker_id: Option<String>,
    /// Stock code.
    pub code: String,
    /// `buy` or `sell`.
    pub side: String,
    /// Shares asked.
    pub qty: u64,
    /// `market` or `limit`.
    pub kind: String,
    /// Limit price (won).
    pub limit_price: Option<i64>,
    /// State.
    pub status: String,
    /// Shares filled.
    pub filled_qty: u64,
    /// Average fill price (won).
    pub avg_fill_price: Option<f64>,
    /// Created.
    pub created: String,
    /// Last change.
    pub updated: String,
    /// Why it was rejected, cancelled or expired.
    pub reason: Option<String>,
}

impl From<&Order> for OrderView {
    fn from(o: &Order) -> Self {
        Self {
            client_id: o.client_id.to_string(),
            broker_id: o.broker_id.clone(),
            code: o.request.code.to_string(),
            side: o.request.side.as_str().to_owned(),
            qty: o.request.qty.get(),
            kind: match o.request.kind {
                OrderKind::Market => "market".to_owned(),
                OrderKind::Limit(_) => "limit".to_owned(),
            },
            limit_price: o.request.kind.limit_price().map(|p| p.won()),
            status: o.status.as_str().to_owned(),
            filled_qty: o.filled_qty.get(),
            avg_fill_price: o.avg_fill_price(),
            created: iso(o.created),
            updated: iso(o.updated),
            reason: o.reason.clone(),
        }
    }
}

/// `/orders`.
#[derive(Serialize, ToSchema)]
pub struct OrdersView {
    /// Orders, newest change first.
    pub orders: Vec<OrderView>,
}

/// A fill.
#[derive(Serialize, ToSchema)]
pub struct FillView {
    /// The order.
    pub client_id: String,
    /// Stock code.
    pub code: String,
    /// `buy` or `sell`.
    pub side: String,
    /// Shares.
    pub qty: u64,
    /// Price (won).
    pub price: i64,
    /// Commission (won).
    pub commission: String,
    /// Transaction tax (won).
    pub tax: String,
    /// When.
    pub ts: String,
    /// When, epoch milliseconds.
    pub ts_ms: i64,
}

impl From<&Fill> for FillView {
    fn from(f: &Fill) -> Self {
        Self {
            client_id: f.client_id.to_string(),
            code: f.code.to_string(),
            side: f.side.as_str().to_owned(),
            qty: f.qty.get(),
            price: f.price.won(),
            commission: f.commission.to_string(),
            tax: f.tax.to_string(),
            ts: iso(f.ts),
            ts_ms: f.ts.millis(),
        }
    }
}

/// `/fills`.
#[derive(Serialize, ToSchema)]
pub struct FillsView {
    /// Fills, oldest first.
    pub fills: Vec<FillView>,
}

/// A scheduled job.
#[derive(Serialize, ToSchema)]
pub struct JobView {
    /// Job name.
    pub name: String,
    /// Run id in the store.
    pub id: i64,
    /// The fire time it was scheduled for.
    pub scheduled: String,
    /// When it started (`None`: not run — misfired, refused or skipped).
    pub started: Option<String>,
    /// When it ended.
    pub finished: Option<String>,
    /// `running`, `succeeded`, `failed`, `skipped`, `misfired`, `refused` or `cancelled`.
    pub outcome: String,
    /// Why it failed or was not run.
    pub error: Option<String>,
}

/// `/jobs`.
#[derive(Serialize, ToSchema)]
pub struct JobsView {
    /// Whether this build has a scheduler (always, since the scheduler service).
    pub scheduler: bool,
    /// The latest runs, newest first.
    pub jobs: Vec<JobView>,
}

/// An alert, error or notification.
#[derive(Serialize, ToSchema)]
pub struct EventView {
    /// When.
    pub ts: String,
    /// When, epoch milliseconds.
    pub ts_ms: i64,
    /// `alert`, `error` or `notification`.
    pub kind: String,
    /// Which part raised it.
    pub source: String,
    /// One line.
    pub message: String,
    /// Detail.
    #[schema(value_type = Object)]
    pub detail: serde_json::Value,
}

impl From<&EventRecord> for EventView {
    fn from(e: &EventRecord) -> Self {
        Self {
            ts: iso(e.ts),
            ts_ms: e.ts.millis(),
            kind: e.kind.as_str().to_owned(),
            source: e.source.clone(),
            message: e.message.clone(),
            detail: e.detail.clone(),
        }
    }
}

/// `/logs`.
#[derive(Serialize, ToSchema)]
pub struct LogsView {
    /// Events from the store, oldest first.
    pub events: Vec<EventView>,
    /// The last lines of the log file, when `log.file` is on.
    pub lines: Vec<String>,
}

/// The result of a control request.
#[derive(Serialize, ToSchema)]
pub struct ControlResult {
    /// The state now requested.
    pub state: String,
    /// Who asked (`api:<key name>`).
    pub by: String,
    /// When.
    pub at: String,
    /// Why.
    pub reason: Option<String>,
}
