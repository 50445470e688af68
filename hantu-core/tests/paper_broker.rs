//! `PaperBroker`: the broker contract shared with `KisBroker`, and its own rules (resting
//! orders filled by later prices and bars, tax by trade date, price, cash and holding checks).

use std::sync::Arc;

use chrono::NaiveDate;
use hantu_core::broker::contract::{ContractSetup, broker_contract};
use hantu_core::broker::{Broker, BrokerError};
use hantu_core::clock::SimClock;
use hantu_core::domain::{
    Bar, InstrumentKind, Market, Money, OrderKind, OrderRequest, OrderStatus, Price, Qty, Side, StockCode, TimeInForce,
    Timestamp,
};
use hantu_core::risk::Approved;
use hantu_core::sim::PaperBroker;

fn samsung() -> StockCode {
    StockCode::new("005930")
}

/// 2025-07-25, a Friday.
fn day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, 7, 25).unwrap()
}

fn setup(on: NaiveDate) -> ContractSetup {
    ContractSetup::new(samsung(), Price::new(66_000), Money::from_won(10_000_000), on)
}

/// A paper account with `cash`, its clock at 10:00 on `on`, and 005930 at 66,000.
fn paper(cash: i64, on: NaiveDate) -> (PaperBroker, Arc<SimClock>) {
    let clock = Arc::new(SimClock::new(Timestamp::kst(on, 10, 0)));
    let broker = PaperBroker::new().with_cash(Money::from_won(cash)).with_clock(clock.clone());
    broker.set_price(samsung(), Price::new(66_000), Timestamp::kst(on, 10, 0)).unwrap();
    (broker, clock)
}

fn order(s: &ContractSetup, side: Side, qty: u64, kind: OrderKind, tif: TimeInForce, held: u64) -> Approved {
    let req = OrderRequest::new_checked(samsung(), side, Qty::from_shares(qty), kind, tif).unwrap();
    s.approve(req, held).unwrap()
}

fn limit(s: &ContractSetup, side: Side, qty: u64, price: i64) -> Approved {
    order(s, side, qty, OrderKind::Limit(Price::new(price)), TimeInForce::Day, qty)
}

fn market(s: &ContractSetup, side: Side, qty: u64) -> Approved {
    order(s, side, qty, OrderKind::Market, TimeInForce::Day, qty)
}

fn rejection(r: Result<impl std::fmt::Debug, BrokerError>) -> String {
    match r {
        Err(BrokerError::Rejected { code: None, reason }) => reason,
        other => panic!("expected a rejection, got {other:?}"),
    }
}

#[tokio::test]
async fn paper_broker_meets_the_broker_contract() {
    let (broker, _clock) = paper(10_000_000, day());
    assert_eq!(broker.name(), "paper");
    broker_contract(&broker, &setup(day())).await;
}

#[tokio::test]
async fn resting_limit_orders_fill_when_a_later_price_or_bar_reaches_them() {
    let s = setup(day());
    let (broker, clock) = paper(10_000_000, day());
    let buy = broker.place(&limit(&s, Side::Buy, 2, 65_000)).await.unwrap();
    assert_eq!(broker.balance().await.unwrap().buying_power, Money::from_won(10_000_000 - 130_000 - 19));
    assert!(broker.set_price(samsung(), Price::new(65_100), Timestamp::kst(day(), 10, 1)).unwrap().is_empty());
    let fills = broker.set_price(samsung(), Price::new(64_900), Timestamp::kst(day(), 10, 2)).unwrap();
    assert_eq!(fills.len(), 1);
    assert_eq!(
        (fills[0].broker_id.as_str(), fills[0].price.won(), fills[0].qty.get()),
        (buy.broker_id.as_str(), 64_900, 2)
    );
    assert_eq!(fills[0].ts, Timestamp::kst(day(), 10, 2));
    let o = broker.orders_today().await.unwrap().into_iter().find(|o| o.broker_id == buy.broker_id).unwrap();
    assert_eq!((o.status, o.avg_price), (OrderStatus::Filled, Some(64_900.0)));
    // 129,800 plus 19 won of commission (0.015%, rounded down).
    let b = broker.balance().await.unwrap();
    assert_eq!(
        (b.cash, b.buying_power),
        (Money::from_won(10_000_000 - 129_819), Money::from_won(10_000_000 - 129_819))
    );
    let pos = broker.positions().await.unwrap();
    assert_eq!(
        (pos[0].qty.get(), pos[0].avg_price, pos[0].last_price),
        (2, Money::from_won(64_900), Some(Price::new(64_900)))
    );

    // A resting sell fills from a bar that trades through it, at the limit when the bar opens below.
    clock.set(Timestamp::kst(day(), 10, 3));
    let sell = broker.place(&limit(&s, Side::Sell, 2, 65_500)).await.unwrap();
    assert_eq!(broker.positions().await.unwrap()[0].sellable.get(), 0);
    let bar = |minute, o, h, l, c| {
        let p = Price::new;
        Bar::new_checked(samsung(), Timestamp::kst(day(), 10, minute), p(o), p(h), p(l), p(c), 1_000).unwrap()
    };
    assert!(broker.on_bar(&bar(2, 65_000, 66_000, 64_900, 65_000)).unwrap().is_empty(), "a bar before the order");
    assert!(broker.on_bar(&bar(4, 65_000, 65_400, 64_900, 65_100)).unwrap().is_empty(), "a bar below the limit");
    let fills = broker.on_bar(&bar(5, 65_100, 65_600, 65_000, 65_300)).unwrap();
    assert_eq!((fills[0].broker_id.as_str(), fills[0].price.won()), (sell.broker_id.as_str(), 65_500));
    assert_eq!(broker.last_price(samsung()), Some(Price::new(65_300)));
    assert!(broker.positions().await.unwrap().is_empty());
    assert!(broker.open_orders().await.unwrap().is_empty());
    assert_eq!(broker.fills_since(Timestamp::kst(day(), 9, 0)).await.unwrap().len(), 2);
    assert_eq!(broker.fills_since(Timestamp::kst(day(), 10, 3)).await.unwrap().len(), 1);
}

#[tokio::test]
async fn sales_pay_the_transaction_tax_of_their_trade_date() {
    let last_2025 = NaiveDate::from_ymd_opt(2025, 12, 30).unwrap();
    let first_2026 = NaiveDate::from_ymd_opt(2026, 1, 2).unwrap();
    let (broker, clock) = paper(0, last_2025);
    let broker = broker.with_holding(samsung(), Qty::from_shares(100), Price::new(60_000));
    broker.place(&market(&setup(last_2025), Side::Sell, 10)).await.unwrap();
    // 660,000 less 99 commission (0.015%) and 990 tax (0.15% in 2025).
    assert_eq!(broker.balance().await.unwrap().cash, Money::from_won(660_000 - 99 - 990));

    clock.set(Timestamp::kst(first_2026, 10, 0));
    broker.set_price(samsung(), Price::new(66_000), Timestamp::kst(first_2026, 9, 30)).unwrap();
    broker.place(&market(&setup(first_2026), Side::Sell, 10)).await.unwrap();
    // 0.20% from 2026: 1,320 tax.
    let b = broker.balance().await.unwrap();
    assert_eq!(b.cash, Money::from_won(2 * 660_000 - 2 * 99 - 990 - 1_320));
    assert_eq!(b.total_equity, b.cash + Money::from_won(80 * 66_000));
    let pos = broker.positions().await.unwrap();
    assert_eq!((pos[0].qty.get(), pos[0].avg_price), (80, Money::from_won(60_000)));
}

#[tokio::test]
async fn market_orders_without_a_price_are_rejected() {
    let s = setup(day());
    let clock = Arc::new(SimClock::new(Timestamp::kst(day(), 10, 0)));
    let broker = PaperBroker::new().with_cash(Money::from_won(10_000_000)).with_clock(clock);
    let reason = rejection(broker.place(&market(&s, Side::Buy, 1)).await);
    assert!(reason.contains("no price for 005930"), "{reason}");
    assert!(broker.orders_today().await.unwrap().is_empty(), "a rejected order gets no number");
    // A limit order may rest before the first price arrives, and fills when it does.
    broker.place(&limit(&s, Side::Buy, 1, 66_000)).await.unwrap();
    let fills = broker.set_price(samsung(), Price::new(65_900), Timestamp::kst(day(), 10, 1)).unwrap();
    assert_eq!(fills[0].price.won(), 65_900);
}

#[tokio::test]
async fn prices_cash_and_holdings_are_checked_like_kis() {
    let s = setup(day());
    let (broker, clock) = paper(1_000_000, day());
    let off_tick = broker.set_price(samsung(), Price::new(65_950), Timestamp::kst(day(), 10, 1)).unwrap_err();
    assert!(off_tick.to_string().contains("off the tick grid"), "{off_tick}");
    assert_eq!(broker.last_price(samsung()), Some(Price::new(66_000)));
    // 16 × 66,000 = 1,056,000 is more than the account holds.
    let reason = rejection(broker.place(&limit(&s, Side::Buy, 16, 66_000)).await);
    assert!(reason.contains("orderable"), "{reason}");
    let reason = rejection(broker.place(&market(&s, Side::Sell, 1)).await);
    assert!(reason.contains("exceeds the 0 shares sellable"), "{reason}");

    // On the next day the base price is known: the ±30% band and the market-buy valuation at
    // the upper limit (12 × 85,800 > 1,000,000 although 12 × 66,000 is not) apply.
    let next = NaiveDate::from_ymd_opt(2025, 7, 28).unwrap();
    let s = setup(next);
    clock.set(Timestamp::kst(next, 9, 0));
    assert!(broker.set_price(samsung(), Price::new(86_000), Timestamp::kst(next, 9, 0)).is_err());
    broker.set_price(samsung(), Price::new(85_800), Timestamp::kst(next, 9, 0)).unwrap();
    broker.set_price(samsung(), Price::new(66_000), Timestamp::kst(next, 9, 1)).unwrap();
    // (The risk manager here thinks the base is 70,000, so only the broker can refuse.)
    let wide = ContractSetup::new(samsung(), Price::new(70_000), Money::from_won(1_000_000), next);
    let reason = rejection(broker.place(&limit(&wide, Side::Buy, 1, 86_000)).await);
    assert!(reason.contains("outside today's limits 46200..=85800"), "{reason}");
    let reason = rejection(broker.place(&market(&s, Side::Buy, 12)).await);
    assert!(reason.contains("orderable"), "{reason}");
    broker.place(&market(&s, Side::Buy, 11)).await.unwrap();
}

#[tokio::test]
async fn day_orders_expire_and_unmarketable_ioc_orders_are_cancelled() {
    let s = setup(day());
    let (broker, clock) = paper(10_000_000, day());
    let ioc = order(&s, Side::Buy, 1, OrderKind::Limit(Price::new(65_000)), TimeInForce::Ioc, 0);
    let ack = broker.place(&ioc).await.unwrap();
    let o = broker.orders_today().await.unwrap().into_iter().find(|o| o.broker_id == ack.broker_id).unwrap();
    assert_eq!(o.status, OrderStatus::Cancelled);
    let fok = order(&s, Side::Buy, 1, OrderKind::Limit(Price::new(66_000)), TimeInForce::Fok, 0);
    broker.place(&fok).await.unwrap();
    assert_eq!(broker.positions().await.unwrap()[0].qty.get(), 1);

    let day_order = broker.place(&limit(&s, Side::Buy, 1, 60_000)).await.unwrap();
    assert_eq!(broker.balance().await.unwrap().buying_power, Money::from_won(10_000_000 - 66_009 - 60_009));
    assert_eq!(day_order.broker_id, "0000000003");
    let next = NaiveDate::from_ymd_opt(2025, 7, 28).unwrap();
    clock.set(Timestamp::kst(next, 9, 0));
    assert!(broker.open_orders().await.unwrap().is_empty());
    assert!(broker.orders_today().await.unwrap().is_empty());
    assert!(broker.set_price(samsung(), Price::new(59_000), Timestamp::kst(next, 9, 1)).unwrap().is_empty());
    assert_eq!(broker.balance().await.unwrap().buying_power, Money::from_won(10_000_000 - 66_009));
    let reason = rejection(broker.cancel(&day_order.broker_id).await);
    assert!(reason.contains("already expired"), "{reason}");
    let reason = rejection(broker.cancel("0000000099").await);
    assert!(reason.contains("no order"), "{reason}");
}

#[tokio::test]
async fn an_order_is_placed_once() {
    let s = setup(day());
    let (broker, _clock) = paper(10_000_000, day());
    let order = limit(&s, Side::Buy, 1, 60_000);
    let ack = broker.place(&order).await.unwrap();
    let reason = rejection(broker.place(&order).await);
    assert!(reason.contains(&ack.broker_id), "{reason}");
    broker.cancel("3").await.unwrap_err();
    broker.cancel("1").await.unwrap();
}

#[tokio::test]
async fn instruments_bring_their_own_tick_grid_and_tax() {
    let etf = StockCode::new("069500");
    let s = ContractSetup::new(etf, Price::new(40_005), Money::ZERO, day())
        .with_instrument(Market::Kospi, InstrumentKind::Etf);
    let clock = Arc::new(SimClock::new(Timestamp::kst(day(), 10, 0)));
    let broker = PaperBroker::new()
        .with_clock(clock)
        .with_instrument(etf, Market::Kospi, InstrumentKind::Etf)
        .with_holding(etf, Qty::from_shares(10), Price::new(40_000));
    // A 5-won tick, which a stock at this price would not have.
    broker.set_price(etf, Price::new(40_005), Timestamp::kst(day(), 10, 0)).unwrap();
    let req = OrderRequest::market(etf, Side::Sell, Qty::from_shares(10)).unwrap();
    broker.place(&s.approve(req, 10).unwrap()).await.unwrap();
    // 400,050 less 60 commission, and no transaction tax on ETFs.
    assert_eq!(broker.balance().await.unwrap().cash, Money::from_won(400_050 - 60));
}
