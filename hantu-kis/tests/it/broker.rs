//! `KisBroker` against the local server: the `Broker` contract (place, list, cancel, fills,
//! positions, balance), order validation by the server, and `MarketData`.

use chrono::Duration;
use hantu_core::broker::contract::{ContractSetup, broker_contract};
use hantu_core::broker::{Broker, BrokerError};
use hantu_core::data::MarketData;
use hantu_core::domain::{Money, OrderKind, OrderStatus, Price, Side};
use hantu_kis::Environment;
use hantu_kis::rest::{OrderCash, OrderDivision};

use crate::common::{Rig, approve, code, day, limit};

#[tokio::test]
async fn kis_broker_meets_the_broker_contract_on_real_and_paper() {
    for env in [Environment::Real, Environment::Paper] {
        let rig = Rig::start(env).await;
        let broker = rig.broker();
        assert_eq!(broker.name(), if env == Environment::Real { "kis-real" } else { "kis-paper" });
        let setup = ContractSetup::new(code("005930"), Price::new(66_000), Money::from_won(10_000_000), day());
        broker_contract(&broker, &setup).await;
    }
}

#[tokio::test]
async fn partial_fills_are_states() {
    let rig = Rig::start(Environment::Real).await;
    let broker = rig.broker();
    rig.server.set_fill_limit(Some(3));
    let ack = broker.place(&approve(limit("035720", Side::Buy, 10, 41_150), 41_150, 0)).await.unwrap();
    let o = broker.open_orders().await.unwrap().into_iter().find(|o| o.broker_id == ack.broker_id).unwrap();
    assert_eq!(o.status, OrderStatus::PartiallyFilled);
    let filled_so_far = o.filled_qty.get();
    assert!((3..10).contains(&filled_so_far));
    rig.server.set_fill_limit(None);
    rig.server.match_now();
    let o = broker.orders_today().await.unwrap().into_iter().find(|o| o.broker_id == ack.broker_id).unwrap();
    assert_eq!((o.status, o.filled_qty.get()), (OrderStatus::Filled, 10));
}

#[tokio::test]
async fn resting_orders_fill_when_the_market_reaches_them() {
    let rig = Rig::start(Environment::Real).await;
    let broker = rig.broker();
    let ack = broker.place(&approve(limit("005930", Side::Buy, 2, 65_000), 66_000, 0)).await.unwrap();
    assert_eq!(broker.open_orders().await.unwrap().len(), 1);
    rig.server.set_price(code("005930"), 64_900);
    let o = broker.orders_today().await.unwrap().into_iter().find(|o| o.broker_id == ack.broker_id).unwrap();
    assert_eq!(o.status, OrderStatus::Filled);
    assert_eq!(o.avg_price, Some(64_900.0));
}

#[tokio::test]
async fn the_server_validates_orders_like_kis() {
    let rig = Rig::with(Environment::Real, |c| c.with_cash(1_000_000)).await;
    let broker = rig.broker();
    let client = broker.client().clone();
    let account = client.config().account.clone().unwrap();
    let raw = |price: Option<i64>, qty: u64| OrderCash {
        account: account.clone(),
        side: Side::Buy,
        code: code("005930"),
        division: if price.is_some() { OrderDivision::Limit } else { OrderDivision::Market },
        qty,
        price: price.map(hantu_core::domain::Price::new),
        legacy: false,
    };
    let msg = |e: hantu_kis::KisError| match e {
        hantu_kis::KisError::Api { msg, .. } => msg,
        other => panic!("{other}"),
    };
    assert_eq!(msg(client.call(&raw(Some(65_850), 1)).await.unwrap_err()), "주식주문호가단위 오류입니다.");
    assert!(msg(client.call(&raw(Some(90_000), 1)).await.unwrap_err()).contains("상하한가"));
    // Market buys are checked at the upper limit: 12 × 85,800 > 1,000,000 although 12 × 66,000 is not.
    let err = client.call(&raw(None, 12)).await.unwrap_err();
    assert_eq!(err.msg_cd(), Some("APBK0952"));
    assert!(
        matches!(hantu_kis::broker::broker_error(&err), BrokerError::Rejected { code: Some(c), .. } if c == "APBK0952")
    );
    // Legacy tr_ids are accepted too.
    let mut legacy = raw(Some(65_800), 1);
    legacy.legacy = true;
    client.call(&legacy).await.unwrap();
    // Outside the session.
    rig.at(16, 30);
    let err = broker.place(&approve(limit("005930", Side::Buy, 1, 65_000), 66_000, 0)).await.unwrap_err();
    assert!(matches!(&err, BrokerError::Rejected { code: Some(c), .. } if c == "APBK0918"), "{err}");
}

#[tokio::test]
async fn paper_messages_and_closed_market() {
    let rig = Rig::start(Environment::Paper).await;
    let broker = rig.broker();
    rig.at(8, 40);
    let err = broker.place(&approve(limit("005930", Side::Buy, 1, 65_000), 66_000, 0)).await.unwrap_err();
    assert!(matches!(&err, BrokerError::Rejected { reason, .. } if reason == "모의투자 장시작전 입니다."), "{err}");
    rig.at(15, 45);
    let err = broker.place(&approve(limit("005930", Side::Buy, 1, 65_000), 66_000, 0)).await.unwrap_err();
    assert!(matches!(&err, BrokerError::Rejected { code: Some(c), .. } if c == "40580000"), "{err}");
    let ioc = hantu_core::domain::OrderRequest::new_checked(
        code("005930"),
        Side::Buy,
        hantu_core::domain::Qty::from_shares(1),
        OrderKind::Market,
        hantu_core::domain::TimeInForce::Ioc,
    )
    .unwrap();
    assert!(matches!(broker.place(&approve(ioc, 66_000, 0)).await, Err(BrokerError::Unsupported(_))));
}

#[tokio::test]
async fn market_data_pages_daily_bars_and_reads_minutes() {
    let rig = Rig::start(Environment::Real).await;
    let broker = rig.broker();
    let q = broker.quote(code("000660")).await.unwrap();
    assert_eq!((q.last.won(), q.prev_close.map(|p| p.won())), (268_000, Some(268_000)));
    let from = day() - Duration::days(500);
    let bars = broker.daily_bars(code("005930"), from, day()).await.unwrap();
    assert_eq!(bars.len(), 300, "all 300 bars, in four pages of up to 100");
    assert!(bars.windows(2).all(|w| w[0].ts < w[1].ts));
    assert_eq!(bars.last().unwrap().close.won(), 66_000);
    let mins = broker.minute_bars(code("005930")).await.unwrap();
    assert_eq!(mins.len(), 61, "09:00 through 10:00");
    assert!(mins.windows(2).all(|w| w[0].ts < w[1].ts));
    assert!(matches!(broker.quote(code("999999")).await, Err(BrokerError::InvalidRequest(_))));
}

#[tokio::test]
async fn daily_orders_page_to_the_last_page_and_revise_moves_the_remainder() {
    use hantu_kis::rest::{FillFilter, InquireDailyCcld, OrderRvsecncl, ReviseCancel};
    let rig = Rig::with(Environment::Real, |c| c.with_cash(1_000_000_000)).await;
    let broker = rig.broker();
    let client = broker.client().clone();
    let account = client.config().account.clone().unwrap();
    let mut first = None;
    for i in 0..105 {
        let ack = client
            .call(&OrderCash {
                account: account.clone(),
                side: Side::Buy,
                code: code("005930"),
                division: OrderDivision::Limit,
                qty: 1 + i % 3,
                price: Some(hantu_core::domain::Price::new(60_000)),
                legacy: i % 2 == 1,
            })
            .await
            .unwrap();
        first.get_or_insert(ack);
    }
    let query = |order_no: Option<String>| InquireDailyCcld {
        account: account.clone(),
        from: day(),
        to: day(),
        filter: FillFilter::All,
        code: None,
        order_no,
        legacy: false,
    };
    let all = client.call_all(&query(None)).await.unwrap();
    assert_eq!(all.orders.len(), 105, "two pages of up to 100 rows");
    let mut numbers: Vec<_> = all.orders.iter().map(|o| o.order_no.clone()).collect();
    numbers.sort();
    numbers.dedup();
    assert_eq!(numbers.len(), 105);
    assert_eq!(broker.open_orders().await.unwrap().len(), 105);

    // Revise the first order to a marketable price: the remainder moves to a new order that fills.
    let first = first.unwrap();
    let revised = client
        .call(&OrderRvsecncl {
            account: account.clone(),
            branch: first.branch.clone(),
            order_no: first.order_no.clone(),
            action: ReviseCancel::Revise,
            division: OrderDivision::Limit,
            qty: None,
            price: Some(hantu_core::domain::Price::new(66_000)),
            legacy: false,
        })
        .await
        .unwrap();
    let rows = client.call_all(&query(Some(revised.order_no.clone()))).await.unwrap().orders;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].orig_order_no.as_deref(), Some(first.order_no.as_str()));
    assert_eq!((rows[0].filled_qty, rows[0].remaining_qty), (1, 0));
    let orig = client.call_all(&query(Some(first.order_no.clone()))).await.unwrap().orders;
    assert_eq!((orig[0].cancelled_qty, orig[0].remaining_qty), (1, 0));
}
