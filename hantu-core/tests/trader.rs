//! The trader through its public interface: exits, the control flag, session gates, restart
//! reconcile of each unknown state, and duplicate notices.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use chrono::NaiveDate;
use hantu_core::broker::{Balance, Broker, BrokerError, BrokerFill, BrokerOrder, BrokerPosition, PlaceAck};
use hantu_core::clock::{Clock, SimClock};
use hantu_core::control::{self, ControlRecord, ControlState, ForceExitRequest};
use hantu_core::domain::{
    Bar, ClientOrderId, Fill, Money, Order, OrderRequest, OrderStatus, Price, Qty, Side, StockCode, Tick, Timestamp,
};
use hantu_core::realtime::{ExecutionNotice, FeedEvent, NoticeKind, ReplayFeed, Trade};
use hantu_core::risk::Approved;
use hantu_core::sim::PaperBroker;
use hantu_core::store::{MemoryStore, Store};
use hantu_core::strategy::{Context, Strategy};
use hantu_core::trader::{
    DayReport, ExitDefaults, PickEntries, RunEnd, Sleeper, TradePick, Trader, TraderConfig, Venue,
};

fn day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, 7, 25).unwrap()
}

fn code() -> StockCode {
    StockCode::new("005930")
}

fn at(h: u32, m: u32, s: i64) -> Timestamp {
    Timestamp::from_millis(Timestamp::kst(day(), h, m).millis() + s * 1000)
}

/// Buys `qty` at market on a print when flat and nothing works; counts its callbacks.
struct BuyWhenFlat {
    qty: u64,
    fills: Arc<AtomicUsize>,
}

impl Strategy for BuyWhenFlat {
    fn name(&self) -> &str {
        "buy-when-flat"
    }
    fn on_bar(&mut self, _ctx: &mut Context<'_>, _bar: &Bar) {}
    fn on_tick(&mut self, ctx: &mut Context<'_>, tick: &Tick) {
        if ctx.qty(tick.code) == 0 && !ctx.has_open_order(tick.code) {
            let _ = ctx.market(tick.code, Side::Buy, self.qty);
        }
    }
    fn on_fill(&mut self, _ctx: &mut Context<'_>, _fill: &Fill) {
        self.fills.fetch_add(1, Ordering::SeqCst);
    }
}

/// Never buys.
struct Idle;

impl Strategy for Idle {
    fn on_bar(&mut self, _ctx: &mut Context<'_>, _bar: &Bar) {}
}

struct Env {
    clock: Arc<SimClock>,
    store: Arc<MemoryStore>,
    paper: Arc<PaperBroker>,
}

fn env() -> Env {
    let clock = Arc::new(SimClock::new(at(10, 0, 0)));
    let paper = Arc::new(PaperBroker::new().with_cash(Money::from_won(10_000_000)).with_clock(clock.clone()));
    Env { clock, store: Arc::new(MemoryStore::new()), paper }
}

fn trade(ts: Timestamp, price: i64, cum: u64) -> FeedEvent {
    FeedEvent::Trade(Trade { tick: Tick { code: code(), ts, price: Price::new(price), qty: 1 }, cum_volume: cum })
}

async fn paper_trader(e: &Env, strategy: Box<dyn Strategy + Send>, exits: ExitDefaults) -> Trader {
    let cfg = TraderConfig { exits, ..TraderConfig::default() };
    let mut t =
        Trader::new(cfg, strategy, Venue::Paper(e.paper.clone()), e.store.clone(), e.clock.clone(), &[code()]).unwrap();
    t.start().await.unwrap();
    t
}

async fn feed(t: &mut Trader, e: &Env, ev: FeedEvent) {
    if let Some(ts) = ReplayFeed::event_time(&ev) {
        e.clock.set(ts);
    }
    if let Err(err) = t.on_event(ev).await {
        panic!("{err:?} open={:?} fills={:?}", t.engine().open_orders(), t.engine().fills());
    }
}

fn sells(e: &Env) -> Vec<Order> {
    let open = e.store.open_orders().unwrap();
    let _ = open;
    let mut out = Vec::new();
    for f in e.store.fills_since(Timestamp::from_millis(0)).unwrap() {
        if f.side == Side::Sell {
            out.push(e.store.order(&f.client_id).unwrap().unwrap());
        }
    }
    out
}

#[tokio::test]
async fn a_pick_enters_in_its_zone_and_one_sell_leaves_at_the_stop() {
    let e = env();
    let pick = TradePick {
        code: code(),
        entry_low: Price::new(65_000),
        entry_high: Price::new(66_000),
        stop: Price::new(63_000),
        target: Price::new(70_000),
        qty: 10,
    };
    let cfg = TraderConfig {
        exits: ExitDefaults { trailing_pct: Some(0.01), ..ExitDefaults::default() },
        ..TraderConfig::default()
    };
    let mut t = Trader::new(
        cfg,
        Box::new(PickEntries::new(&[pick])),
        Venue::Paper(e.paper.clone()),
        e.store.clone(),
        e.clock.clone(),
        &[],
    )
    .unwrap()
    .with_picks(&[pick]);
    t.start().await.unwrap();
    assert_eq!(t.codes(), &[code()]);
    feed(&mut t, &e, trade(at(10, 0, 1), 67_000, 1)).await;
    assert!(t.engine().open_orders().is_empty() && t.engine().portfolio().qty(code()) == 0, "above the zone: no entry");
    feed(&mut t, &e, trade(at(10, 0, 2), 65_500, 2)).await;
    feed(&mut t, &e, trade(at(10, 0, 3), 65_500, 3)).await;
    assert_eq!(t.engine().portfolio().qty(code()), 10, "bought in the zone");
    // 62,900 is below the stop and more than 1% below the high: two rules fire, one sell goes out.
    feed(&mut t, &e, trade(at(10, 0, 4), 62_900, 4)).await;
    feed(&mut t, &e, trade(at(10, 0, 5), 62_800, 5)).await;
    assert_eq!(t.engine().portfolio().qty(code()), 0);
    assert_eq!(sells(&e).len(), 1, "one sell for two rules");
    feed(&mut t, &e, trade(at(10, 0, 6), 65_500, 6)).await;
    assert_eq!(t.engine().portfolio().qty(code()), 0, "one entry per pick per day");
    let rep = t.report().unwrap();
    assert_eq!(rep.fills.len(), 2);
    assert!(rep.fills.iter().all(|f| f.decision_price.is_some()));
    assert!(rep.commission > Money::ZERO && rep.tax > Money::ZERO, "sells pay tax");
}

#[tokio::test]
async fn take_profit_and_trailing_stop_from_the_defaults() {
    let e = env();
    let fills = Arc::new(AtomicUsize::new(0));
    let exits = ExitDefaults { target_pct: Some(0.10), ..ExitDefaults::default() };
    let mut t = paper_trader(&e, Box::new(BuyWhenFlat { qty: 5, fills: fills.clone() }), exits).await;
    feed(&mut t, &e, trade(at(10, 0, 1), 10_000, 1)).await;
    assert_eq!(t.engine().portfolio().qty(code()), 5);
    feed(&mut t, &e, trade(at(10, 0, 2), 10_950, 2)).await;
    assert_eq!(t.engine().portfolio().qty(code()), 5);
    feed(&mut t, &e, trade(at(10, 0, 3), 11_000, 3)).await;
    assert_eq!(t.engine().portfolio().qty(code()), 0, "sold at the target");

    let e = env();
    let exits = ExitDefaults { trailing_pct: Some(0.05), ..ExitDefaults::default() };
    let mut t = paper_trader(&e, Box::new(BuyWhenFlat { qty: 5, fills }), exits).await;
    feed(&mut t, &e, trade(at(10, 0, 1), 10_000, 1)).await;
    feed(&mut t, &e, trade(at(10, 0, 2), 12_000, 2)).await;
    feed(&mut t, &e, trade(at(10, 0, 3), 11_450, 3)).await;
    assert_eq!(t.engine().portfolio().qty(code()), 5, "4.6% off the high: held");
    feed(&mut t, &e, trade(at(10, 0, 4), 11_400, 4)).await;
    assert_eq!(t.engine().portfolio().qty(code()), 0, "5% off the high of 12,000: sold");
}

#[tokio::test]
async fn a_time_stop_fires_on_the_timer_without_a_print() {
    let e = env();
    let exits = ExitDefaults { max_hold_minutes: Some(5), ..ExitDefaults::default() };
    let mut t = paper_trader(&e, Box::new(BuyWhenFlat { qty: 5, fills: Arc::default() }), exits).await;
    feed(&mut t, &e, trade(at(10, 0, 1), 10_000, 1)).await;
    assert_eq!(t.engine().portfolio().qty(code()), 5);
    e.clock.set(at(10, 5, 2));
    if let Err(err) = t.housekeeping().await {
        panic!("{err:?} open={:?} fin={:?}", t.engine().open_orders(), t.engine().finished_orders());
    }
    feed(&mut t, &e, trade(at(10, 5, 3), 10_000, 2)).await;
    assert_eq!(sells(&e).len(), 1, "sold once at the time stop");
}

#[tokio::test]
async fn session_gates_hold_orders_outside_the_sessions() {
    let e = env();
    e.clock.set(at(8, 0, 0));
    let mut t =
        paper_trader(&e, Box::new(BuyWhenFlat { qty: 1, fills: Arc::default() }), ExitDefaults::default()).await;
    feed(&mut t, &e, trade(at(8, 10, 0), 10_000, 1)).await;
    assert!(t.engine().open_orders().is_empty() && t.engine().portfolio().qty(code()) == 0, "closed before 08:30");
    assert!(t.gated() >= 1);
    feed(&mut t, &e, trade(at(16, 30, 0), 10_000, 2)).await;
    assert_eq!(t.engine().portfolio().qty(code()), 0, "after-hours single price needs its own order type");
    feed(&mut t, &e, trade(at(9, 0, 1), 10_000, 3)).await;
    assert_eq!(t.engine().portfolio().qty(code()), 1, "regular session trades");
    // A KRX holiday (Chuseok) is closed all day.
    let holiday = Timestamp::kst(NaiveDate::from_ymd_opt(2025, 10, 6).unwrap(), 10, 0);
    let e2 = env();
    e2.clock.set(holiday);
    let mut t2 =
        paper_trader(&e2, Box::new(BuyWhenFlat { qty: 1, fills: Arc::default() }), ExitDefaults::default()).await;
    let ev = FeedEvent::Trade(Trade {
        tick: Tick { code: code(), ts: holiday, price: Price::new(10_000), qty: 1 },
        cum_volume: 1,
    });
    feed(&mut t2, &e2, ev).await;
    assert_eq!(t2.engine().portfolio().qty(code()), 0);
}

fn set(store: &dyn Store, state: ControlState, ts: Timestamp) {
    control::set_control(store, &ControlRecord { state, by: "cli".into(), at: ts, reason: None }).unwrap();
}

#[tokio::test]
async fn pause_holds_entries_but_not_exits_resume_and_flatten() {
    let e = env();
    let exits = ExitDefaults { stop_pct: Some(0.05), ..ExitDefaults::default() };
    let mut t = Trader::new(
        TraderConfig { exits, ..TraderConfig::default() },
        Box::new(BuyWhenFlat { qty: 5, fills: Arc::default() }),
        Venue::Paper(e.paper.clone()),
        e.store.clone(),
        e.clock.clone(),
        &[code(), StockCode::new("000660")],
    )
    .unwrap();
    t.start().await.unwrap();
    feed(&mut t, &e, trade(at(10, 0, 1), 10_000, 1)).await;
    assert_eq!(t.engine().portfolio().qty(code()), 5);

    set(e.store.as_ref(), ControlState::Paused, at(10, 0, 2));
    e.clock.set(at(10, 0, 3));
    t.housekeeping().await.unwrap();
    assert_eq!(t.control(), ControlState::Paused);
    let other = StockCode::new("000660");
    let ev = FeedEvent::Trade(Trade {
        tick: Tick { code: other, ts: at(10, 0, 4), price: Price::new(50_000), qty: 1 },
        cum_volume: 1,
    });
    feed(&mut t, &e, ev).await;
    assert_eq!(t.engine().portfolio().qty(other), 0, "no new entry while paused");
    feed(&mut t, &e, trade(at(10, 0, 5), 9_400, 2)).await;
    assert_eq!(t.engine().portfolio().qty(code()), 0, "the stop still sells while paused");

    set(e.store.as_ref(), ControlState::Running, at(10, 0, 6));
    e.clock.set(at(10, 0, 7));
    t.housekeeping().await.unwrap();
    let ev = FeedEvent::Trade(Trade {
        tick: Tick { code: other, ts: at(10, 0, 8), price: Price::new(50_000), qty: 1 },
        cum_volume: 2,
    });
    feed(&mut t, &e, ev).await;
    assert_eq!(t.engine().portfolio().qty(other), 5, "entries again after resume");

    set(e.store.as_ref(), ControlState::Stop { flatten: true }, at(10, 0, 10));
    e.clock.set(at(10, 0, 11));
    t.housekeeping().await.unwrap();
    assert_eq!(t.engine().portfolio().qty(other), 0, "flatten sold everything");
    assert!(t.engine().open_orders().is_empty());
    assert!(e.paper.positions().await.unwrap().is_empty());
    let events = e.store.events_since(Timestamp::from_millis(0)).unwrap();
    for what in ["acting on paused", "acting on running", "acting on stop_flatten", "flatten:"] {
        assert!(events.iter().any(|ev| ev.message.contains(what)), "event {what:?} recorded");
    }
    // The run loop stops on the flag.
    let mut f = ReplayFeed::new(Vec::new());
    let end = t.run(&mut f, &NoWait, &AtomicBool::new(false)).await.unwrap();
    assert_eq!(end, RunEnd::Stopped);
}

#[tokio::test]
async fn a_force_exit_sells_while_paused() {
    let e = env();
    let mut t =
        paper_trader(&e, Box::new(BuyWhenFlat { qty: 3, fills: Arc::default() }), ExitDefaults::default()).await;
    feed(&mut t, &e, trade(at(10, 0, 1), 10_000, 1)).await;
    set(e.store.as_ref(), ControlState::Paused, at(10, 0, 2));
    control::request_force_exit(
        e.store.as_ref(),
        &ForceExitRequest { codes: None, by: "telegram:1".into(), at: at(10, 0, 2) },
    )
    .unwrap();
    e.clock.set(at(10, 0, 3));
    t.housekeeping().await.unwrap();
    assert_eq!(t.engine().portfolio().qty(code()), 0);
}

struct NoWait;

impl Sleeper for NoWait {
    fn sleep(&self, _d: Duration) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>> {
        Box::pin(async {})
    }
}

#[tokio::test]
async fn the_close_cancels_working_orders_and_writes_the_report() {
    let e = env();
    e.clock.set(at(15, 29, 0));
    let mut t = paper_trader(&e, Box::new(RestingBuy(false)), ExitDefaults::default()).await;
    feed(&mut t, &e, trade(at(15, 29, 1), 10_000, 1)).await;
    let resting = t.engine().open_orders().to_vec();
    assert_eq!(resting.len(), 1, "a buy 10% below the market rests");
    e.clock.set(at(15, 30, 1));
    t.housekeeping().await.unwrap();
    assert!(t.engine().open_orders().is_empty());
    let stored = e.store.order(&resting[0].client_id).unwrap().unwrap();
    assert_eq!(stored.status, OrderStatus::Cancelled, "cancelled at the close, with the broker's word");
    let key = DayReport::key(day());
    let rep: DayReport = serde_json::from_str(&e.store.setting(&key).unwrap().expect("report persisted")).unwrap();
    assert_eq!((rep.orders, rep.fills.len()), (1, 0));
    let mut f = ReplayFeed::new(Vec::new());
    assert_eq!(t.run(&mut f, &NoWait, &AtomicBool::new(false)).await.unwrap(), RunEnd::DayClosed);
}

/// Places one limit buy 10% below the first print.
struct RestingBuy(bool);

impl Strategy for RestingBuy {
    fn on_bar(&mut self, _ctx: &mut Context<'_>, _bar: &Bar) {}
    fn on_tick(&mut self, ctx: &mut Context<'_>, tick: &Tick) {
        if !self.0 {
            self.0 = true;
            let _ = ctx.limit(tick.code, Side::Buy, 1, Price::new(tick.price.won() * 9 / 10));
        }
    }
}

/// A broker whose `place` may lose its reply, and whose notices the test sends.
struct Flaky {
    inner: Arc<PaperBroker>,
    lose_replies: AtomicBool,
    placed: AtomicUsize,
}

#[async_trait]
impl Broker for Flaky {
    fn name(&self) -> &str {
        "flaky"
    }
    async fn place(&self, order: &Approved) -> Result<PlaceAck, BrokerError> {
        self.placed.fetch_add(1, Ordering::SeqCst);
        let ack = self.inner.place(order).await?;
        if self.lose_replies.load(Ordering::SeqCst) {
            return Err(BrokerError::Unknown {
                client_id: order.order().client_id.clone(),
                reason: "timed out".into(),
            });
        }
        Ok(ack)
    }
    async fn cancel(&self, broker_id: &str) -> Result<(), BrokerError> {
        self.inner.cancel(broker_id).await
    }
    async fn open_orders(&self) -> Result<Vec<BrokerOrder>, BrokerError> {
        self.inner.open_orders().await
    }
    async fn orders_today(&self) -> Result<Vec<BrokerOrder>, BrokerError> {
        // KIS does not carry our client ids.
        Ok(self.inner.orders_today().await?.into_iter().map(|o| BrokerOrder { client_id: None, ..o }).collect())
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

fn journal(store: &dyn Store, id: &str, req: OrderRequest, ts: Timestamp) -> Order {
    let o = Order::new(ClientOrderId::new_checked(id).unwrap(), req, ts);
    store.journal_order(&o).unwrap();
    o
}

async fn approve_and_place(paper: &PaperBroker, order: &Order) -> String {
    // The broker receives the order (the reply is what a crash loses).
    let cfg = hantu_core::engine::EngineConfig { id_prefix: format!("x{}", order.client_id), ..Default::default() };
    let mut engine = hantu_core::engine::Engine::new(cfg).unwrap();
    engine.set_prev_close(order.request.code, Price::new(10_000), order.created);
    let mut cap: Option<Approved> = None;
    engine.start(&mut Idle, order.created).unwrap();
    engine
        .act(&mut Idle, |ctx| {
            ctx.submit(order.request);
        })
        .unwrap();
    for m in engine.drain_outbox() {
        if let hantu_core::engine::Outgoing::Place(a) = m {
            cap = Some(a);
        }
    }
    let a = cap.expect("approved");
    paper.place(&a).await.unwrap().broker_id
}

#[tokio::test]
async fn restart_resolves_every_unknown_state_from_the_broker_without_resending() {
    let e = env();
    let req = OrderRequest::market(code(), Side::Buy, Qty::from_shares(10)).unwrap();
    e.paper.set_price(code(), Price::new(10_000), at(9, 59, 0)).unwrap();
    let t0 = at(9, 59, 30);
    // (a) journaled, never sent (killed between journal write and broker call).
    let never = journal(e.store.as_ref(), "a-1", req, t0);
    // (b) journaled and sent, reply lost (killed between broker reply and journal update): filled at the broker.
    let lost = journal(e.store.as_ref(), "a-2", req, t0);
    approve_and_place(&e.paper, &lost).await;
    // (c) accepted with its number, filled while the trader was down.
    let mut acc = journal(
        e.store.as_ref(),
        "a-3",
        OrderRequest::limit(code(), Side::Buy, Qty::from_shares(5), Price::new(9_900)).unwrap(),
        t0,
    );
    acc.broker_id = Some(approve_and_place(&e.paper, &acc).await);
    acc.transition(OrderStatus::Accepted, t0).unwrap();
    e.store.update_order(&acc).unwrap();
    e.paper.set_price(code(), Price::new(9_900), at(9, 59, 40)).unwrap();
    // (d) a fill written but its order not updated (killed between the two writes).
    let mut half = journal(
        e.store.as_ref(),
        "a-4",
        OrderRequest::limit(code(), Side::Buy, Qty::from_shares(2), Price::new(9_900)).unwrap(),
        t0,
    );
    half.broker_id = Some(approve_and_place(&e.paper, &half).await);
    half.transition(OrderStatus::Accepted, t0).unwrap();
    e.store.update_order(&half).unwrap();
    let fill = Fill {
        client_id: half.client_id.clone(),
        code: code(),
        side: Side::Buy,
        qty: Qty::from_shares(2),
        price: Price::new(9_900),
        commission: Money::ZERO,
        tax: Money::ZERO,
        ts: t0,
    };
    e.store.record_fill(&fill).unwrap();
    // (e) an open order of an earlier day.
    let old =
        journal(e.store.as_ref(), "a-5", req, Timestamp::kst(NaiveDate::from_ymd_opt(2025, 7, 24).unwrap(), 10, 0));

    let broker =
        Arc::new(Flaky { inner: e.paper.clone(), lose_replies: AtomicBool::new(false), placed: AtomicUsize::new(0) });
    let mut t = Trader::new(
        TraderConfig::default(),
        Box::new(Idle),
        Venue::Broker(broker.clone()),
        e.store.clone(),
        e.clock.clone(),
        &[code()],
    )
    .unwrap();
    t.start().await.unwrap();
    let s = t.restore_summary().clone();
    assert_eq!((s.never_sent, s.adopted_numbers, s.expired, s.fills_booked), (1, 1, 1, 2));
    // A second restart finds nothing left to do.
    let mut t = Trader::new(
        TraderConfig::default(),
        Box::new(Idle),
        Venue::Broker(broker.clone()),
        e.store.clone(),
        e.clock.clone(),
        &[code()],
    )
    .unwrap();
    t.start().await.unwrap();
    assert_eq!(t.restore_summary().fills_booked, 0);
    assert_eq!(broker.placed.load(Ordering::SeqCst), 0, "nothing is ever re-sent");
    let get = |o: &Order| e.store.order(&o.client_id).unwrap().unwrap();
    // (a) and (b) are the same request and KIS carries no client id, so which journal row takes the
    // one broker order cannot be told; what matters is one filled with its number, one never sent.
    let mut pair = [get(&never).status, get(&lost).status];
    pair.sort_by_key(|s| s.as_str());
    assert_eq!(pair, [OrderStatus::Filled, OrderStatus::Rejected]);
    assert_eq!([&never, &lost].iter().filter(|o| get(o).broker_id.is_some()).count(), 1);
    assert_eq!(get(&acc).status, OrderStatus::Filled);
    assert_eq!(get(&half).status, OrderStatus::Filled);
    assert_eq!(get(&old).status, OrderStatus::Expired);
    let pair_fills =
        e.store.fills_for(&never.client_id).unwrap().len() + e.store.fills_for(&lost.client_id).unwrap().len();
    assert_eq!(pair_fills, 1);
    for (o, n) in [(&acc, 1), (&half, 1)] {
        assert_eq!(e.store.fills_for(&o.client_id).unwrap().len(), n, "{} booked once", o.client_id);
    }
    assert_eq!(t.engine().portfolio().qty(code()), 17, "positions equal the broker's");
    assert_eq!(t.engine().portfolio().cash(), e.paper.balance().await.unwrap().cash, "cash equals the broker's");
}

#[tokio::test]
async fn a_lost_reply_never_takes_the_number_of_a_cancelled_twin() {
    // Found by the chaos test: an order cancelled unfilled, then an identical order whose reply was
    // lost. The restart must give the second order its own broker order, not the cancelled one's
    // (which would end it `cancelled` and leave its live broker order owned by nobody).
    let e = env();
    let req = OrderRequest::limit(code(), Side::Buy, Qty::from_shares(3), Price::new(9_900)).unwrap();
    e.paper.set_price(code(), Price::new(10_000), at(9, 59, 0)).unwrap();
    let t0 = at(9, 59, 30);
    let mut twin = journal(e.store.as_ref(), "c-1", req, t0);
    let twin_no = approve_and_place(&e.paper, &twin).await;
    twin.broker_id = Some(twin_no.clone());
    twin.transition(OrderStatus::Accepted, t0).unwrap();
    e.paper.cancel(&twin_no).await.unwrap();
    twin.transition(OrderStatus::Cancelled, t0).unwrap();
    e.store.update_order(&twin).unwrap();
    let lost = journal(e.store.as_ref(), "c-2", req, at(9, 59, 40));
    let lost_no = approve_and_place(&e.paper, &lost).await;
    assert_ne!(twin_no, lost_no);

    let broker =
        Arc::new(Flaky { inner: e.paper.clone(), lose_replies: AtomicBool::new(false), placed: AtomicUsize::new(0) });
    let mut t = Trader::new(
        TraderConfig::default(),
        Box::new(Idle),
        Venue::Broker(broker.clone()),
        e.store.clone(),
        e.clock.clone(),
        &[code()],
    )
    .unwrap();
    t.start().await.unwrap();
    let got = e.store.order(&lost.client_id).unwrap().unwrap();
    assert_eq!(got.broker_id.as_deref(), Some(lost_no.as_str()), "its own number");
    assert_eq!(got.status, OrderStatus::Accepted, "still working at the broker");
    assert_eq!(e.store.order(&twin.client_id).unwrap().unwrap().status, OrderStatus::Cancelled);
    assert_eq!(broker.placed.load(Ordering::SeqCst), 0, "nothing is re-sent");
}

#[tokio::test]
async fn a_lost_reply_in_session_is_adopted_and_a_duplicate_notice_books_nothing_twice() {
    let e = env();
    let broker =
        Arc::new(Flaky { inner: e.paper.clone(), lose_replies: AtomicBool::new(true), placed: AtomicUsize::new(0) });
    e.paper.set_price(code(), Price::new(10_000), at(9, 59, 0)).unwrap();
    let mut t = Trader::new(
        TraderConfig::default(),
        Box::new(BuyWhenFlat { qty: 4, fills: Arc::default() }),
        Venue::Broker(broker.clone()),
        e.store.clone(),
        e.clock.clone(),
        &[code()],
    )
    .unwrap();
    t.start().await.unwrap();
    feed(&mut t, &e, trade(at(10, 0, 1), 10_000, 1)).await;
    assert_eq!(broker.placed.load(Ordering::SeqCst), 1);
    assert_eq!(t.engine().open_orders()[0].status, OrderStatus::PendingNew, "unknown, not assumed");
    let order_no = e.paper.orders_today().await.unwrap()[0].broker_id.clone();
    let notice = FeedEvent::Notice(ExecutionNotice {
        kind: NoticeKind::Fill,
        broker_order_no: order_no,
        orig_order_no: None,
        code: code(),
        side: Side::Buy,
        qty: 4,
        price: Some(Price::new(10_000)),
        order_qty: 4,
        ts: at(10, 0, 2),
    });
    feed(&mut t, &e, notice.clone()).await;
    feed(&mut t, &e, notice).await;
    e.clock.set(at(10, 0, 3));
    t.housekeeping().await.unwrap();
    e.clock.set(at(10, 0, 5));
    t.housekeeping().await.unwrap();
    assert_eq!(t.engine().portfolio().qty(code()), 4);
    assert_eq!(e.store.fills_since(Timestamp::from_millis(0)).unwrap().len(), 1, "booked once");
    assert_eq!(broker.placed.load(Ordering::SeqCst), 1, "never re-sent");
    let status = control::trader_status(e.store.as_ref()).unwrap().expect("status published");
    assert_eq!(status.positions.len(), 1);
    let _ = Clock::now(e.clock.as_ref());
}

#[tokio::test]
async fn on_paper_an_order_never_fills_on_the_print_that_produced_it() {
    let clock = Arc::new(SimClock::new(at(10, 0, 0)));
    let paper = Arc::new(
        PaperBroker::new().with_cash(Money::from_won(10_000_000)).with_clock(clock.clone()).with_fill_on_next_price(),
    );
    let e = Env { clock, store: Arc::new(MemoryStore::new()), paper };
    let mut t =
        paper_trader(&e, Box::new(BuyWhenFlat { qty: 5, fills: Arc::default() }), ExitDefaults::default()).await;
    feed(&mut t, &e, trade(at(10, 0, 1), 10_000, 1)).await;
    assert_eq!(t.engine().portfolio().qty(code()), 0, "decided on this print, not filled on it");
    assert_eq!(t.engine().open_orders().len(), 1);
    feed(&mut t, &e, trade(at(10, 0, 2), 10_050, 2)).await;
    assert_eq!(t.engine().portfolio().qty(code()), 5);
    assert_eq!(t.engine().fills()[0].price, Price::new(10_050), "filled at the next print");
}
