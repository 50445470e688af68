//! `/stream`: server-sent events of fills, order changes, alerts (every store event) and prices.
//!
//! The trader runs in another process, so the stream polls the store twice a second: new fills and
//! events since a cursor, order states that changed, and the prices in the trader's published status
//! when its heartbeat moves. Event names: `fill`, `order`, `alert` / `error` / `notification`, `price`.

use std::collections::{HashMap, VecDeque};
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::Stream;
use hantu_core::control::trader_status;
use hantu_core::domain::{ClientOrderId, OrderStatus, Qty, Timestamp};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::AppState;
use super::error::ApiError;
use super::read::{Params, now};
use super::views::{EventView, FillView, OrderView, iso};

/// How often the store is polled.
pub const POLL: Duration = Duration::from_millis(500);

/// `/stream` parameters.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct StreamQuery {
    /// Epoch milliseconds: replay fills and events since then first (default: only new ones).
    pub since: Option<i64>,
}

/// A price from the trader's status.
#[derive(Serialize, ToSchema)]
pub struct PriceView {
    /// Stock code.
    pub code: String,
    /// Last price (won).
    pub price: i64,
    /// Heartbeat the price came with.
    pub ts: String,
}

/// A cursor over an append-only, time-ordered list read with an inclusive `since`: rows at exactly
/// the cursor time that were already sent are skipped by count.
#[derive(Clone, Copy)]
struct Cursor {
    ts: Timestamp,
    seen_at_ts: usize,
}

impl Cursor {
    fn take<T>(&mut self, rows: Vec<T>, ts_of: impl Fn(&T) -> Timestamp) -> Vec<T> {
        let mut skip = self.seen_at_ts;
        let mut out = Vec::new();
        for r in rows {
            let ts = ts_of(&r);
            if ts == self.ts && skip > 0 {
                skip -= 1;
                continue;
            }
            if ts > self.ts {
                self.ts = ts;
                self.seen_at_ts = 0;
            }
            self.seen_at_ts += 1;
            out.push(r);
        }
        out
    }
}

struct Poller {
    state: Arc<AppState>,
    fills: Cursor,
    events: Cursor,
    orders: HashMap<ClientOrderId, (OrderStatus, Qty)>,
    orders_since: Timestamp,
    seeded: bool,
    heartbeat: Option<Timestamp>,
    queue: VecDeque<Event>,
}

fn event<T: Serialize>(name: &str, value: &T) -> Event {
    Event::default().event(name).json_data(value).unwrap_or_else(|_| Event::default().event(name).data("{}"))
}

impl Poller {
    async fn poll(&mut self) -> Result<(), ApiError> {
        let (fills, events, orders, status) = {
            let (f, e, o) = (self.fills, self.events, self.orders_since);
            self.state
                .with_store(move |s| {
                    let mut orders = s.open_orders()?;
                    orders.extend(s.orders_since(o)?);
                    Ok((s.fills_since(f.ts)?, s.events_since(e.ts)?, orders, trader_status(s).ok().flatten()))
                })
                .await?
        };
        for f in self.fills.take(fills, |f| f.ts) {
            self.queue.push_back(event("fill", &FillView::from(&f)));
        }
        for e in self.events.take(events, |e| e.ts) {
            self.queue.push_back(event(e.kind.as_str(), &EventView::from(&e)));
        }
        for o in orders {
            let now_state = (o.status, o.filled_qty);
            if self.orders.insert(o.client_id.clone(), now_state) != Some(now_state) && self.seeded {
                self.queue.push_back(event("order", &OrderView::from(&o)));
            }
        }
        self.seeded = true;
        if let Some(t) = status {
            if self.heartbeat != Some(t.heartbeat) {
                self.heartbeat = Some(t.heartbeat);
                for p in t.positions.iter().filter(|p| !p.qty.is_zero()) {
                    let price = PriceView { code: p.code.to_string(), price: p.last_price.won(), ts: iso(t.heartbeat) };
                    self.queue.push_back(event("price", &price));
                }
            }
        }
        Ok(())
    }
}

/// Server-sent events of fills, order changes, alerts and prices, polled from the store.
#[utoipa::path(get, path = "/stream", tag = "read", params(StreamQuery),
    responses((status = 200, description = "text/event-stream: events fill, order, alert, error, notification, price", content_type = "text/event-stream")))]
pub async fn events(
    State(state): State<Arc<AppState>>,
    Params(q): Params<StreamQuery>,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let start = now();
    let since = Timestamp::from_millis(q.since.unwrap_or(start.millis()));
    let shutdown = state.shutdown.clone();
    let mut first = VecDeque::new();
    first.push_back(Event::default().event("hello").data(iso(start)));
    let mut poller = Poller {
        state,
        fills: Cursor { ts: since, seen_at_ts: 0 },
        events: Cursor { ts: since, seen_at_ts: 0 },
        orders: HashMap::new(),
        orders_since: Timestamp::from_millis(start.millis() - 86_400_000),
        seeded: false,
        heartbeat: None,
        queue: first,
    };
    // Seed the order states now, so a change made right after connecting is sent, not absorbed.
    if let Err(e) = poller.poll().await {
        poller.queue.push_back(event("error", &serde_json::json!({ "message": e.message })));
    }
    let stream = futures_util::stream::unfold((poller, shutdown), |(mut p, mut shutdown)| async move {
        loop {
            if *shutdown.borrow() {
                return None;
            }
            if let Some(ev) = p.queue.pop_front() {
                return Some((Ok(ev), (p, shutdown)));
            }
            tokio::select! {
                () = tokio::time::sleep(POLL) => {}
                _ = shutdown.changed() => return None,
            }
            if let Err(e) = p.poll().await {
                p.queue.push_back(event("error", &serde_json::json!({ "message": e.message })));
            }
        }
    });
    Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
}
