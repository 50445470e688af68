//! The end-of-day report: fills with slippage against the price seen at the decision, costs and P&L.
//! Built from the store (so it survives restarts) and persisted there.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::domain::{ClientOrderId, Money, Price, Side, StockCode, Timestamp};
use crate::store::{EventKind, EventRecord, Store, StoreError};

/// Event source of the decision records (one per order the trader let out).
pub const DECISION_SOURCE: &str = "trader.decision";

/// One fill of the day.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReportFill {
    /// The order.
    pub client_id: ClientOrderId,
    /// The stock.
    pub code: StockCode,
    /// Buy or sell.
    pub side: Side,
    /// Shares.
    pub qty: u64,
    /// Fill price.
    pub price: Price,
    /// Last trade price when the order was decided.
    pub decision_price: Option<Price>,
    /// Slippage in won against the decision price (positive: paid more / received less).
    pub slippage: Option<i64>,
    /// Commission.
    pub commission: Money,
    /// Tax.
    pub tax: Money,
    /// When.
    pub ts: Timestamp,
}

/// The day's report.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DayReport {
    /// Trading date.
    pub date: NaiveDate,
    /// Orders the trader let out.
    pub orders: usize,
    /// Fills.
    pub fills: Vec<ReportFill>,
    /// Won bought.
    pub bought: i64,
    /// Won sold.
    pub sold: i64,
    /// Commission paid.
    pub commission: Money,
    /// Tax paid.
    pub tax: Money,
    /// Total slippage in won (positive: cost).
    pub slippage: i64,
    /// Equity at the day's first start.
    pub start_equity: Money,
    /// Equity now.
    pub end_equity: Money,
    /// `end_equity - start_equity`: the day's P&L net of costs.
    pub pnl: Money,
}

impl DayReport {
    /// The settings key the report of `date` is kept under.
    #[must_use]
    pub fn key(date: NaiveDate) -> String {
        format!("trader.report.{date}")
    }

    /// A one-paragraph summary for people.
    #[must_use]
    pub fn summary(&self) -> String {
        format!(
            "{}: {} orders, {} fills, bought {} won, sold {} won, commission {}, tax {}, slippage {} won, P&L {}",
            self.date,
            self.orders,
            self.fills.len(),
            self.bought,
            self.sold,
            self.commission,
            self.tax,
            self.slippage,
            self.pnl
        )
    }
}

/// Records the price seen when an order was decided.
///
/// # Errors
/// If the write fails.
pub fn record_decision(
    store: &dyn Store,
    id: &ClientOrderId,
    price: Option<Price>,
    ts: Timestamp,
) -> Result<(), StoreError> {
    store.record_event(&EventRecord {
        ts,
        kind: EventKind::Notification,
        source: DECISION_SOURCE.to_owned(),
        message: format!("order {id} decided at {}", price.map_or_else(|| "-".to_owned(), |p| p.won().to_string())),
        detail: serde_json::json!({ "client_id": id.as_str(), "price": price.map(Price::won) }),
    })
}

/// Builds the report of the day starting at `day_start` from the store.
///
/// # Errors
/// If a read fails.
pub fn build(
    store: &dyn Store,
    day_start: Timestamp,
    start_equity: Money,
    end_equity: Money,
) -> Result<DayReport, StoreError> {
    let date = day_start.kst_date();
    let decisions: BTreeMap<String, Option<Price>> = store
        .events_since(day_start)?
        .into_iter()
        .filter(|e| e.source == DECISION_SOURCE)
        .filter_map(|e| {
            let id = e.detail.get("client_id")?.as_str()?.to_owned();
            let price =
                e.detail.get("price").and_then(serde_json::Value::as_i64).and_then(|p| Price::new_checked(p).ok());
            Some((id, price))
        })
        .collect();
    let fills: Vec<ReportFill> = store
        .fills_since(day_start)?
        .into_iter()
        .filter(|f| f.ts.kst_date() == date)
        .map(|f| {
            let decision_price = decisions.get(f.client_id.as_str()).copied().flatten();
            let slippage = decision_price.map(|d| (f.price.won() - d.won()) * f.side.sign() * f.qty.get() as i64);
            ReportFill {
                client_id: f.client_id,
                code: f.code,
                side: f.side,
                qty: f.qty.get(),
                price: f.price,
                decision_price,
                slippage,
                commission: f.commission,
                tax: f.tax,
                ts: f.ts,
            }
        })
        .collect();
    let side_sum = |s: Side| fills.iter().filter(|f| f.side == s).map(|f| f.price.won() * f.qty as i64).sum();
    Ok(DayReport {
        date,
        orders: decisions.len(),
        bought: side_sum(Side::Buy),
        sold: side_sum(Side::Sell),
        commission: fills.iter().map(|f| f.commission).sum(),
        tax: fills.iter().map(|f| f.tax).sum(),
        slippage: fills.iter().filter_map(|f| f.slippage).sum(),
        fills,
        start_equity,
        end_equity,
        pnl: end_equity - start_equity,
    })
}

/// Persists the report (settings key [`DayReport::key`]) and records it as an event.
///
/// # Errors
/// If a write fails.
pub fn persist(store: &dyn Store, report: &DayReport, ts: Timestamp) -> Result<(), StoreError> {
    let json =
        serde_json::to_string(report).map_err(|e| StoreError::Decode { table: "settings", message: e.to_string() })?;
    store.set_setting(&DayReport::key(report.date), &json)?;
    store.record_event(&EventRecord {
        ts,
        kind: EventKind::Notification,
        source: "trader".to_owned(),
        message: report.summary(),
        detail: serde_json::to_value(report).unwrap_or(serde_json::Value::Null),
    })
}
