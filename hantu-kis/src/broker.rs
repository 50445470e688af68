//! [`KisBroker`]: hantu-core's [`Broker`] and [`MarketData`] over the KIS REST endpoints.
//!
//! KIS codes become domain types here, and [`KisError`]s become [`BrokerError`]s that say what
//! happened: rejected with KIS's reason, rate limited, unauthorized, unavailable, unsupported,
//! malformed, or — for an order whose reply never arrived — [`BrokerError::Unknown`], which
//! the engine resolves by querying orders. Submissions are never retried.

use std::collections::HashMap;
use std::sync::Mutex;

use async_trait::async_trait;
use chrono::{Duration, NaiveDate, NaiveTime};
use hantu_core::broker::{Balance, Broker, BrokerError, BrokerFill, BrokerOrder, BrokerPosition, PlaceAck};
use hantu_core::data::MarketData;
use hantu_core::domain::{
    Bar, ClientOrderId, Money, OrderKind, OrderStatus, Price, Qty, Quote, StockCode, TimeInForce, Timestamp,
};
use hantu_core::risk::Approved;

use crate::auth::AccountNo;
use crate::env::Environment;
use crate::error::{ErrorClass, KisError};
use crate::rest::client::KisClient;
use crate::rest::{
    ChartPeriod, DailyOrder, FillFilter, InquireBalance, InquireDailyCcld, InquireDailyItemChartPrice, InquirePrice,
    InquirePsblOrder, InquireTimeItemChartPrice, OrderCash, OrderDivision, OrderRvsecncl, ReviseCancel,
};

/// Maps a KIS error to the broker error that says what happened.
#[must_use]
pub fn broker_error(e: &KisError) -> BrokerError {
    match (e, e.class()) {
        (KisError::Unsupported { .. }, _) => BrokerError::Unsupported(e.to_string()),
        (KisError::Parse { .. }, _) => BrokerError::Malformed(e.to_string()),
        (KisError::Config(_), _) => BrokerError::InvalidRequest(e.to_string()),
        (_, ErrorClass::RateLimited) => BrokerError::RateLimited(e.to_string()),
        (_, ErrorClass::Auth) => BrokerError::Unauthorized(e.to_string()),
        (KisError::Api { msg_cd, msg, .. }, ErrorClass::Fatal) => {
            BrokerError::Rejected { code: Some(msg_cd.clone()), reason: msg.clone() }
        }
        _ => BrokerError::Unavailable(e.to_string()),
    }
}

/// Maps the error of an order submission: anything that may have reached KIS is `Unknown`.
fn place_error(e: &KisError, client_id: &ClientOrderId) -> BrokerError {
    if e.outcome_unknown() {
        BrokerError::Unknown { client_id: client_id.clone(), reason: e.to_string() }
    } else {
        broker_error(e)
    }
}

#[derive(Clone, Debug)]
struct Known {
    branch: String,
    client_id: ClientOrderId,
}

/// The KIS broker and market-data source.
#[derive(Debug)]
pub struct KisBroker {
    client: KisClient,
    account: AccountNo,
    name: &'static str,
    known: Mutex<HashMap<u64, Known>>,
}

fn odno_key(s: &str) -> Option<u64> {
    s.trim().parse().ok()
}

impl KisBroker {
    /// A broker over `client`, which must have an account configured.
    ///
    /// # Errors
    /// [`KisError::Config`] without an account.
    pub fn new(client: KisClient) -> Result<Self, KisError> {
        let account =
            client.config().account.clone().ok_or_else(|| KisError::Config("KisBroker needs an account".into()))?;
        let name = match client.config().env {
            Environment::Real => "kis-real",
            Environment::Paper => "kis-paper",
        };
        Ok(Self { client, account, name, known: Mutex::new(HashMap::new()) })
    }

    /// The REST client.
    #[must_use]
    pub fn client(&self) -> &KisClient {
        &self.client
    }

    fn today(&self) -> NaiveDate {
        self.client.config().clock.now().kst_date()
    }

    fn remember(&self, odno: &str, branch: &str, client_id: &ClientOrderId) {
        if let Some(k) = odno_key(odno) {
            self.known
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .insert(k, Known { branch: branch.to_owned(), client_id: client_id.clone() });
        }
    }

    fn lookup(&self, odno: &str) -> Option<Known> {
        let k = odno_key(odno)?;
        self.known.lock().unwrap_or_else(std::sync::PoisonError::into_inner).get(&k).cloned()
    }

    fn division(&self, kind: OrderKind, tif: TimeInForce) -> Result<OrderDivision, BrokerError> {
        let d = match (kind, tif) {
            (OrderKind::Limit(_), TimeInForce::Day) => OrderDivision::Limit,
            (OrderKind::Market, TimeInForce::Day) => OrderDivision::Market,
            (OrderKind::Limit(_), TimeInForce::Ioc) => OrderDivision::IocLimit,
            (OrderKind::Limit(_), TimeInForce::Fok) => OrderDivision::FokLimit,
            (OrderKind::Market, TimeInForce::Ioc) => OrderDivision::IocMarket,
            (OrderKind::Market, TimeInForce::Fok) => OrderDivision::FokMarket,
        };
        if self.client.config().env == Environment::Paper && !matches!(d, OrderDivision::Limit | OrderDivision::Market)
        {
            return Err(BrokerError::Unsupported(format!("{tif:?} orders are not offered on KIS paper trading")));
        }
        Ok(d)
    }

    /// Today's order rows (all pages), including revise/cancel rows.
    ///
    /// # Errors
    /// The mapped KIS error.
    pub async fn order_rows(&self, from: NaiveDate, to: NaiveDate) -> Result<Vec<DailyOrder>, BrokerError> {
        let req = InquireDailyCcld {
            account: self.account.clone(),
            from,
            to,
            filter: FillFilter::All,
            code: None,
            order_no: None,
            legacy: self.client.config().legacy_tr_ids,
        };
        self.client.call_all(&req).await.map(|r| r.orders).map_err(|e| broker_error(&e))
    }

    fn to_broker_order(&self, o: &DailyOrder) -> BrokerOrder {
        let remaining = o.qty.saturating_sub(o.filled_qty + o.cancelled_qty);
        let status = if o.qty > 0 && o.filled_qty >= o.qty {
            OrderStatus::Filled
        } else if o.rejected_qty > 0 && o.filled_qty == 0 {
            OrderStatus::Rejected
        } else if remaining == 0 {
            OrderStatus::Cancelled
        } else if o.filled_qty > 0 {
            OrderStatus::PartiallyFilled
        } else {
            OrderStatus::Accepted
        };
        let kind = match (o.division.as_str(), o.price) {
            ("01" | "13" | "14", _) | (_, None) => OrderKind::Market,
            (_, Some(p)) => OrderKind::Limit(p),
        };
        BrokerOrder {
            broker_id: o.order_no.clone(),
            client_id: self.lookup(&o.order_no).map(|k| k.client_id),
            code: o.code,
            side: o.side,
            kind,
            qty: Qty::from_shares(o.qty),
            filled_qty: Qty::from_shares(o.filled_qty),
            avg_price: (o.filled_qty > 0).then(|| o.filled_amount as f64 / o.filled_qty as f64),
            status,
            ts: Timestamp::from_kst(o.date.and_time(o.time)),
        }
    }
}

#[async_trait]
impl Broker for KisBroker {
    fn name(&self) -> &str {
        self.name
    }

    async fn place(&self, order: &Approved) -> Result<PlaceAck, BrokerError> {
        let o = order.order();
        let r = &o.request;
        let division = self.division(r.kind, r.tif)?;
        let req = OrderCash {
            account: self.account.clone(),
            side: r.side,
            code: r.code,
            division,
            qty: r.qty.get(),
            price: r.kind.limit_price(),
            legacy: self.client.config().legacy_tr_ids,
        };
        tracing::info!(client_id = %o.client_id, code = %r.code, side = %r.side, qty = r.qty.get(), "Placing KIS order");
        match self.client.call(&req).await {
            Ok(ack) => {
                self.remember(&ack.order_no, &ack.branch, &o.client_id);
                Ok(PlaceAck { broker_id: ack.order_no, ts: Timestamp::from_kst(self.today().and_time(ack.time)) })
            }
            Err(e) => {
                let mapped = place_error(&e, &o.client_id);
                tracing::warn!(client_id = %o.client_id, error = %e, "KIS order not confirmed");
                Err(mapped)
            }
        }
    }

    async fn cancel(&self, broker_id: &str) -> Result<(), BrokerError> {
        let known = self.lookup(broker_id);
        let branch = match &known {
            Some(k) => k.branch.clone(),
            None => {
                let today = self.today();
                let rows = self.order_rows(today, today).await?;
                rows.iter()
                    .find(|r| odno_key(&r.order_no) == odno_key(broker_id) && !r.is_cancel)
                    .map(|r| r.branch.clone())
                    .ok_or_else(|| BrokerError::InvalidRequest(format!("no order {broker_id} today")))?
            }
        };
        let req = OrderRvsecncl {
            account: self.account.clone(),
            branch,
            order_no: broker_id.to_owned(),
            action: ReviseCancel::Cancel,
            division: OrderDivision::Limit,
            qty: None,
            price: None,
            legacy: self.client.config().legacy_tr_ids,
        };
        match self.client.call(&req).await {
            Ok(_) => Ok(()),
            Err(e) if e.outcome_unknown() => Err(match known {
                Some(k) => BrokerError::Unknown { client_id: k.client_id, reason: format!("cancel: {e}") },
                None => BrokerError::Unavailable(format!("cancel outcome unknown: {e}")),
            }),
            Err(e) => Err(broker_error(&e)),
        }
    }

    async fn open_orders(&self) -> Result<Vec<BrokerOrder>, BrokerError> {
        Ok(self.orders_today().await?.into_iter().filter(|o| o.status.is_open()).collect())
    }

    async fn orders_today(&self) -> Result<Vec<BrokerOrder>, BrokerError> {
        let today = self.today();
        let rows = self.order_rows(today, today).await?;
        Ok(rows.iter().filter(|r| !r.is_cancel).map(|r| self.to_broker_order(r)).collect())
    }

    /// KIS's REST API reports fills per order (cumulative quantity and average price), not per
    /// execution: each order with fills gives one [`BrokerFill`] with the cumulative quantity,
    /// the average price rounded to the won, and the order time. Per-execution fills arrive
    /// through the real-time notice (WebSocket).
    async fn fills_since(&self, since: Timestamp) -> Result<Vec<BrokerFill>, BrokerError> {
        let rows = self.order_rows(since.kst_date(), self.today()).await?;
        Ok(rows
            .iter()
            .filter(|r| !r.is_cancel && r.filled_qty > 0)
            .filter_map(|r| {
                Some(BrokerFill {
                    broker_id: r.order_no.clone(),
                    code: r.code,
                    side: r.side,
                    qty: Qty::from_shares(r.filled_qty),
                    price: r.avg_price?,
                    ts: Timestamp::from_kst(r.date.and_time(r.time)),
                })
            })
            .collect())
    }

    async fn positions(&self) -> Result<Vec<BrokerPosition>, BrokerError> {
        let b = self
            .client
            .call_all(&InquireBalance { account: self.account.clone() })
            .await
            .map_err(|e| broker_error(&e))?;
        Ok(b.holdings
            .into_iter()
            .filter(|h| h.qty > 0)
            .map(|h| BrokerPosition {
                code: h.code,
                qty: Qty::from_shares(h.qty),
                sellable: Qty::from_shares(h.sellable),
                avg_price: Money::new(h.avg_price),
                last_price: h.last,
            })
            .collect())
    }

    async fn balance(&self) -> Result<Balance, BrokerError> {
        let b = self
            .client
            .call_all(&InquireBalance { account: self.account.clone() })
            .await
            .map_err(|e| broker_error(&e))?;
        let p = self
            .client
            .call(&InquirePsblOrder { account: self.account.clone(), code: None, price: None })
            .await
            .map_err(|e| broker_error(&e))?;
        Ok(Balance {
            cash: Money::from_won(b.summary.deposit),
            buying_power: Money::from_won(p.cash),
            total_equity: Money::from_won(b.summary.total_value),
        })
    }
}

/// Rows per call of the daily chart endpoint.
const CHART_ROWS: usize = 100;

fn to_bar(code: StockCode, b: &crate::rest::DailyBar) -> Result<Bar, BrokerError> {
    Bar::new_checked(code, Timestamp::daily_close(b.date), b.open, b.high, b.low, b.close, b.volume)
        .map_err(|e| BrokerError::Malformed(format!("inquire-daily-itemchartprice: {e}")))
}

#[async_trait]
impl MarketData for KisBroker {
    async fn quote(&self, code: StockCode) -> Result<Quote, BrokerError> {
        let q = self.client.call(&InquirePrice { code }).await.map_err(|e| match &e {
            // KIS answers an unknown code with rt_cd 0 and a zero-filled output.
            KisError::Parse { source, .. } if source.field == "output.stck_prpr" && source.value == "0" => {
                BrokerError::InvalidRequest(format!("unknown stock code {code}"))
            }
            _ => broker_error(&e),
        })?;
        Ok(Quote {
            code,
            ts: self.client.config().clock.now(),
            last: q.last,
            bid: None,
            ask: None,
            bid_qty: 0,
            ask_qty: 0,
            prev_close: Some(q.base),
            volume: q.volume,
        })
    }

    /// Pages backwards 100 bars at a time (moving the end date before the oldest bar returned).
    async fn daily_bars(&self, code: StockCode, from: NaiveDate, to: NaiveDate) -> Result<Vec<Bar>, BrokerError> {
        let mut out: Vec<Bar> = Vec::new();
        let mut end = to;
        while end >= from {
            let req = InquireDailyItemChartPrice { code, from, to: end, period: ChartPeriod::Day, adjusted: true };
            let chart = self.client.call(&req).await.map_err(|e| broker_error(&e))?;
            let Some(oldest) = chart.bars.iter().map(|b| b.date).min() else { break };
            for b in chart.bars.iter().filter(|b| (from..=to).contains(&b.date)) {
                out.push(to_bar(code, b)?);
            }
            if chart.bars.len() < CHART_ROWS || oldest <= from {
                break;
            }
            end = oldest - Duration::days(1);
        }
        out.sort_by_key(|b| b.ts);
        out.dedup_by_key(|b| b.ts);
        Ok(out)
    }

    /// Pages backwards 30 minutes at a time from now to 09:00.
    async fn minute_bars(&self, code: StockCode) -> Result<Vec<Bar>, BrokerError> {
        let now = self.client.config().clock.now().kst_datetime();
        let open = NaiveTime::from_hms_opt(9, 0, 0).unwrap_or_default();
        let mut until = now.time().min(NaiveTime::from_hms_opt(15, 30, 0).unwrap_or_default());
        let mut out: Vec<Bar> = Vec::new();
        loop {
            let chart =
                self.client.call(&InquireTimeItemChartPrice { code, until }).await.map_err(|e| broker_error(&e))?;
            let Some(oldest) = chart.bars.iter().map(|b| b.time).min() else { break };
            for m in chart.bars.iter().filter(|m| m.date == now.date()) {
                // KIS labels a minute bar by its start; hantu stamps bars at their end (as the
                // simulated market and the live bar builder do), so history and live agree.
                let bar = Bar::new_checked(
                    code,
                    Timestamp::from_kst(m.date.and_time(m.time) + Duration::minutes(1)),
                    m.open,
                    m.high,
                    m.low,
                    m.close,
                    m.volume,
                )
                .map_err(|e| BrokerError::Malformed(format!("inquire-time-itemchartprice: {e}")))?;
                out.push(bar);
            }
            if oldest <= open || oldest >= until || chart.bars.len() < 30 {
                break;
            }
            until = oldest - Duration::minutes(1);
        }
        out.sort_by_key(|b| b.ts);
        out.dedup_by_key(|b| b.ts);
        Ok(out)
    }
}

/// Average price helper for callers that want a [`Price`] from a [`BrokerOrder`].
#[must_use]
pub fn avg_price_won(order: &BrokerOrder) -> Option<Price> {
    order.avg_price.and_then(|p| Price::new_checked(p.round() as i64).ok())
}
