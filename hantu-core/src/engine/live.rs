//! The live runner: drives an [`Engine`] with events from a live feed and carries its outbox to
//! an async [`Broker`]. Minimal by design: the caller owns the runtime and the event loop, so
//! hantu-core needs no async runtime.
//!
//! Journal first: with a store attached, every order is in the journal before `place` is
//! called. A submission whose outcome is unknown (timeout) stays `PendingNew` and is resolved by
//! [`LiveRunner::reconcile`] from the broker's list of today's orders — it is never re-sent.

use std::sync::Arc;

use super::{Engine, Outgoing};
use crate::broker::{Broker, BrokerError, BrokerOrder};
use crate::domain::{Bar, ClientOrderId, Fill, OrderStatus, Price, Qty, Tick, Timestamp};
use crate::strategy::Strategy;

/// An event for the live runner.
#[derive(Clone, Debug, PartialEq)]
pub enum LiveEvent {
    /// A completed bar.
    Bar(Bar),
    /// A trade print.
    Tick(Tick),
    /// The session closed at this time.
    DayEnd(Timestamp),
}

/// The two instants where a crash is most dangerous; a [`Hook`] is called at each, so a test harness
/// can pause (and kill) the process exactly there.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HookPoint {
    /// The order is in the journal; the broker has not been called.
    BeforePlace,
    /// The broker replied; the journal does not have the reply yet.
    AfterReply,
}

/// Called at each [`HookPoint`] with the order's client id.
pub type Hook = Arc<dyn Fn(HookPoint, &ClientOrderId) + Send + Sync>;

/// Connects an engine and a strategy to a broker.
pub struct LiveRunner<S: Strategy> {
    /// The engine.
    pub engine: Engine,
    /// The strategy.
    pub strategy: S,
    broker: Arc<dyn Broker>,
    hook: Option<Hook>,
}

impl<S: Strategy> LiveRunner<S> {
    /// A runner.
    pub fn new(engine: Engine, strategy: S, broker: Arc<dyn Broker>) -> Self {
        Self { engine, strategy, broker, hook: None }
    }

    /// Calls `hook` at each [`HookPoint`] (crash tests).
    #[must_use]
    pub fn with_hook(mut self, hook: Hook) -> Self {
        self.hook = Some(hook);
        self
    }

    /// The broker.
    #[must_use]
    pub fn broker(&self) -> &Arc<dyn Broker> {
        &self.broker
    }

    /// Handles one event, then sends what the engine decided.
    ///
    /// # Errors
    /// If the engine fails (journal) or a broker call fails in a way that is not an order's fate.
    pub async fn handle(&mut self, event: LiveEvent) -> crate::Result<()> {
        match &event {
            LiveEvent::Bar(b) => self.engine.on_bar(&mut self.strategy, b)?,
            LiveEvent::Tick(t) => self.engine.on_tick(&mut self.strategy, t)?,
            LiveEvent::DayEnd(ts) => self.engine.end_of_day(&mut self.strategy, *ts)?,
        }
        self.flush().await
    }

    /// Sends the engine's outbox to the broker.
    ///
    /// # Errors
    /// If the engine cannot record the outcome.
    pub async fn flush(&mut self) -> crate::Result<()> {
        let out: Vec<Outgoing> = self.engine.drain_outbox().collect();
        for msg in out {
            match msg {
                Outgoing::Place(approved) => {
                    let id = approved.order().client_id.clone();
                    let now = self.engine.now();
                    if let Some(h) = &self.hook {
                        h(HookPoint::BeforePlace, &id);
                    }
                    let reply = self.broker.place(&approved).await;
                    if let Some(h) = &self.hook {
                        h(HookPoint::AfterReply, &id);
                    }
                    match reply {
                        Ok(ack) => self.engine.on_order_status(
                            &mut self.strategy,
                            &id,
                            OrderStatus::Accepted,
                            Some(ack.broker_id),
                            None,
                            ack.ts,
                        )?,
                        Err(BrokerError::Unknown { reason, .. }) => {
                            tracing::warn!(client_id = %id, %reason, "Order outcome unknown; will reconcile, not resend");
                        }
                        Err(e) => self.engine.on_order_status(
                            &mut self.strategy,
                            &id,
                            OrderStatus::Rejected,
                            None,
                            Some(e.to_string()),
                            now,
                        )?,
                    }
                }
                Outgoing::Cancel(id) => {
                    let broker_id =
                        self.engine.open_orders().iter().find(|o| o.client_id == id).and_then(|o| o.broker_id.clone());
                    if let Some(b) = broker_id {
                        if let Err(e) = self.broker.cancel(&b).await {
                            tracing::warn!(client_id = %id, error = %e, "Cancel failed");
                        }
                    }
                }
            }
        }
        Ok(())
    }

    /// Brings the engine's working orders in line with the broker's view of today's orders:
    /// adopts broker order numbers for submissions whose outcome was unknown, books fills the
    /// engine has not seen (from cumulative filled quantities, so calling it twice books
    /// nothing twice), and closes orders the broker finished. Orders still unknown to the broker
    /// are left as they are.
    ///
    /// # Errors
    /// If the broker query or the engine fails.
    pub async fn reconcile(&mut self) -> crate::Result<()> {
        let broker_orders = self.broker.orders_today().await?;
        let mut claimed: Vec<&str> = Vec::new();
        let open: Vec<_> = self.engine.open_orders().to_vec();
        for order in open {
            let found: Option<&BrokerOrder> = match &order.broker_id {
                Some(b) => broker_orders.iter().find(|bo| &bo.broker_id == b),
                None => broker_orders.iter().find(|bo| {
                    bo.client_id.as_ref() == Some(&order.client_id)
                        || (bo.client_id.is_none()
                            && bo.code == order.request.code
                            && bo.side == order.request.side
                            && bo.qty == order.request.qty
                            && bo.kind == order.request.kind
                            && !claimed.contains(&bo.broker_id.as_str())
                            && !self.engine.open_orders().iter().any(|o| o.broker_id.as_deref() == Some(&bo.broker_id)))
                }),
            };
            let Some(bo) = found else { continue };
            claimed.push(&bo.broker_id);
            let id = order.client_id.clone();
            if order.status == OrderStatus::PendingNew {
                self.engine.on_order_status(
                    &mut self.strategy,
                    &id,
                    OrderStatus::Accepted,
                    Some(bo.broker_id.clone()),
                    None,
                    bo.ts,
                )?;
            }
            let new_qty = bo.filled_qty.get().saturating_sub(order.filled_qty.get());
            if new_qty > 0 {
                let total = bo.avg_price.unwrap_or(0.0) * bo.filled_qty.get() as f64;
                let px = ((total - order.filled_notional as f64) / new_qty as f64).round() as i64;
                let price = Price::new_checked(px).map_err(crate::Error::from)?;
                let fees = *self.engine.fees();
                let notional = price.notional(Qty::from_shares(new_qty));
                let info = self.engine.instruments().get(bo.code);
                let tax = fees.tax(
                    bo.side,
                    notional,
                    bo.ts.kst_date(),
                    info.map_or(crate::domain::Market::Kospi, |i| i.market),
                    info.map_or(crate::domain::InstrumentKind::of_code(bo.code), |i| i.kind),
                );
                let fill = Fill {
                    client_id: id.clone(),
                    code: bo.code,
                    side: bo.side,
                    qty: Qty::from_shares(new_qty),
                    price,
                    commission: fees.commission(notional),
                    tax,
                    ts: bo.ts,
                };
                self.engine.on_fill(&mut self.strategy, fill)?;
            }
            if !bo.status.is_open()
                && bo.status != OrderStatus::Filled
                && self.engine.open_orders().iter().any(|o| o.client_id == id)
            {
                self.engine.on_order_status(&mut self.strategy, &id, bo.status, None, None, bo.ts)?;
            }
        }
        self.flush().await
    }
}
