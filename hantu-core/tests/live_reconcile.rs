//! The live runner never re-sends an order whose outcome was unknown: it reconciles with the
//! broker's list of today's orders, books the fill once, and books nothing on a second pass.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use async_trait::async_trait;
use chrono::NaiveDate;
use hantu_core::broker::{Balance, Broker, BrokerError, BrokerFill, BrokerOrder, BrokerPosition, PlaceAck};
use hantu_core::clock::SimClock;
use hantu_core::domain::{Bar, Money, OrderStatus, Price, Side, StockCode, Timestamp};
use hantu_core::engine::{Engine, EngineConfig, LiveEvent, LiveRunner};
use hantu_core::risk::Approved;
use hantu_core::sim::PaperBroker;
use hantu_core::store::{MemoryStore, Store};
use hantu_core::strategy::{Context, Strategy};

/// A broker whose `place` reaches the venue but whose reply is lost (a timeout).
struct LostReply {
    inner: PaperBroker,
    placed: AtomicUsize,
}

#[async_trait]
impl Broker for LostReply {
    fn name(&self) -> &str {
        "lost-reply"
    }
    async fn place(&self, order: &Approved) -> Result<PlaceAck, BrokerError> {
        self.placed.fetch_add(1, Ordering::SeqCst);
        self.inner.place(order).await?;
        Err(BrokerError::Unknown { client_id: order.order().client_id.clone(), reason: "timed out".into() })
    }
    async fn cancel(&self, broker_id: &str) -> Result<(), BrokerError> {
        self.inner.cancel(broker_id).await
    }
    async fn open_orders(&self) -> Result<Vec<BrokerOrder>, BrokerError> {
        self.inner.open_orders().await
    }
    async fn orders_today(&self) -> Result<Vec<BrokerOrder>, BrokerError> {
        self.inner.orders_today().await
    }
    async fn fills_since(&self, since: Timestamp) -> Result<Vec<BrokerFill>, BrokerError> {
        self.inner.fills_since(since).await
    }
    async fn positions(&self) -> Result<Vec<BrokerPosition>, BrokerError> {
        self.inner.positions().await
    }
    async fn balance(&self) -> Result<Balance, BrokerError> {
        self.inner.balance().await
    }
}

/// Buys 10 shares on the first bar.
struct BuyOnce(bool);

impl Strategy for BuyOnce {
    fn on_bar(&mut self, ctx: &mut Context<'_>, bar: &Bar) {
        if !self.0 {
            self.0 = true;
            ctx.market(bar.code, Side::Buy, 10).expect("positive quantity");
        }
    }
}

#[tokio::test]
async fn an_unknown_outcome_is_reconciled_not_resent_and_booked_once() {
    let code = StockCode::new("005930");
    let now = Timestamp::kst(NaiveDate::from_ymd_opt(2025, 7, 25).unwrap(), 10, 0);
    let paper = PaperBroker::new().with_cash(Money::from_won(10_000_000)).with_clock(Arc::new(SimClock::new(now)));
    paper.set_price(code, Price::new(66_000), now).unwrap();
    let broker = Arc::new(LostReply { inner: paper, placed: AtomicUsize::new(0) });
    let store = Arc::new(MemoryStore::new());
    let engine = Engine::new(EngineConfig { cash: Money::from_won(10_000_000), ..EngineConfig::default() })
        .unwrap()
        .with_store(store.clone());
    let mut runner = LiveRunner::new(engine, BuyOnce(false), broker.clone());

    let p = Price::new(66_000);
    let bar = Bar::new_checked(code, now, p, p, p, p, 1_000).unwrap();
    runner.handle(LiveEvent::Bar(bar)).await.unwrap();
    assert_eq!(broker.placed.load(Ordering::SeqCst), 1);
    let open = runner.engine.open_orders().to_vec();
    assert_eq!(open.len(), 1);
    assert_eq!(open[0].status, OrderStatus::PendingNew, "the outcome is unknown, not assumed");
    assert_eq!(store.order(&open[0].client_id).unwrap().unwrap().status, OrderStatus::PendingNew);

    runner.reconcile().await.unwrap();
    runner.reconcile().await.unwrap();
    assert_eq!(broker.placed.load(Ordering::SeqCst), 1, "never sent twice");
    assert_eq!(runner.engine.fills().len(), 1, "booked once");
    assert_eq!(runner.engine.portfolio().qty(code), 10);
    let stored = store.order(&open[0].client_id).unwrap().unwrap();
    assert_eq!(stored.status, OrderStatus::Filled);
    assert!(stored.broker_id.is_some(), "the broker's order number was adopted");
    assert_eq!(store.fills_for(&open[0].client_id).unwrap().len(), 1);
}
