use chrono::NaiveDate;

use super::*;
use crate::domain::{Bar, OrderRequest};

fn code() -> StockCode {
    StockCode::new("005930")
}

fn day(n: u32) -> Timestamp {
    Timestamp::daily_close(NaiveDate::from_ymd_opt(2025, 3, n).unwrap())
}

fn bar(ts: Timestamp, o: i64, h: i64, l: i64, c: i64, v: u64) -> Bar {
    Bar::new_checked(code(), ts, Price::new(o), Price::new(h), Price::new(l), Price::new(c), v).unwrap()
}

fn approved(id: u64, side: Side, qty: u64, kind: OrderKind, tif: TimeInForce, ts: Timestamp) -> Approved {
    let req = OrderRequest::new_checked(code(), side, Qty::from_shares(qty), kind, tif).unwrap();
    Approved::unchecked(Order::new(ClientOrderId::from_seq("t", id), req, ts))
}

fn broker() -> SimBroker {
    SimBroker::new(SimBrokerConfig::default(), Money::from_won(1_000_000_000))
}

fn submit(b: &mut SimBroker, a: &Approved, now: Timestamp) {
    b.submit(a, Market::Kospi, InstrumentKind::Stock, Some(Price::new(70_000)), now).unwrap();
}

fn fills(out: &[SimEvent]) -> Vec<&Fill> {
    out.iter().filter_map(|e| if let SimEvent::Fill(f) = e { Some(f) } else { None }).collect()
}

#[test]
fn market_order_never_fills_in_its_own_bar_and_fills_at_next_open() {
    let mut b = broker();
    let t3 = bar(day(3), 70_000, 71_000, 69_000, 70_500, 1_000_000);
    submit(&mut b, &approved(1, Side::Buy, 10, OrderKind::Market, TimeInForce::Day, day(3)), day(3));
    let mut out = Vec::new();
    b.on_bar(&t3, &mut out);
    assert!(out.is_empty(), "filled inside the bar that produced it");
    b.on_bar(&bar(day(4), 70_600, 72_000, 70_100, 71_000, 1_000_000), &mut out);
    let f = fills(&out);
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].price, Price::new(70_600));
    assert_eq!(f[0].qty, Qty::from_shares(10));
    assert_eq!(f[0].ts, day(4));
}

#[test]
fn limit_orders_fill_only_when_traded_through_at_the_better_of_open_and_limit() {
    let mut b = broker();
    let buy = approved(1, Side::Buy, 5, OrderKind::Limit(Price::new(69_000)), TimeInForce::Day, day(3));
    submit(&mut b, &buy, day(3));
    let mut out = Vec::new();
    b.on_bar(&bar(day(4), 70_000, 71_000, 69_100, 70_000, 1_000_000), &mut out);
    assert!(fills(&out).is_empty(), "low above the limit must not fill");
    // Expired at the close of the first session it could trade in.
    b.end_of_day(day(4).kst_day_number(), &mut out);
    assert!(matches!(&out[..], [SimEvent::Done { status: OrderStatus::Expired, .. }]));
    out.clear();

    submit(&mut b, &approved(2, Side::Buy, 5, OrderKind::Limit(Price::new(69_000)), TimeInForce::Day, day(4)), day(4));
    b.on_bar(&bar(day(5), 68_000, 69_500, 67_500, 69_000, 1_000_000), &mut out);
    assert_eq!(fills(&out)[0].price, Price::new(68_000), "gap below the limit fills at the open");
    out.clear();
    submit(&mut b, &approved(3, Side::Sell, 5, OrderKind::Limit(Price::new(70_000)), TimeInForce::Day, day(5)), day(5));
    b.on_bar(&bar(day(6), 69_000, 70_000, 68_000, 69_500, 1_000_000), &mut out);
    assert_eq!(fills(&out)[0].price, Price::new(70_000));
}

#[test]
fn participation_caps_fills_and_orders_share_one_bar_of_liquidity() {
    let mut b = broker();
    submit(&mut b, &approved(1, Side::Buy, 80, OrderKind::Market, TimeInForce::Day, day(3)), day(3));
    submit(&mut b, &approved(2, Side::Buy, 80, OrderKind::Market, TimeInForce::Day, day(3)), day(3));
    let mut out = Vec::new();
    // 10% of 1,000 shares = 100 for both orders together.
    b.on_bar(&bar(day(4), 70_000, 70_000, 70_000, 70_000, 1_000), &mut out);
    let f = fills(&out);
    assert_eq!(f.iter().map(|f| f.qty.get()).sum::<u64>(), 100);
    assert_eq!(f[0].qty.get(), 80, "first come, first served");
    assert_eq!(f[1].qty.get(), 20);
    // The rest is still working until the close.
    assert_eq!(b.working().map(|w| w.2).collect::<Vec<_>>(), vec![60]);
    out.clear();
    b.end_of_day(day(4).kst_day_number(), &mut out);
    assert!(matches!(&out[..], [SimEvent::Done { status: OrderStatus::Expired, .. }]));
}

#[test]
fn ioc_cancels_the_rest_and_fok_fills_all_or_nothing() {
    let mut b = broker();
    submit(&mut b, &approved(1, Side::Buy, 150, OrderKind::Market, TimeInForce::Ioc, day(3)), day(3));
    submit(&mut b, &approved(2, Side::Buy, 150, OrderKind::Market, TimeInForce::Fok, day(3)), day(3));
    let mut out = Vec::new();
    b.on_bar(&bar(day(4), 70_000, 70_000, 70_000, 70_000, 1_000), &mut out);
    assert_eq!(fills(&out).len(), 1);
    assert_eq!(fills(&out)[0].qty.get(), 100);
    let done: Vec<_> =
        out.iter().filter(|e| matches!(e, SimEvent::Done { status: OrderStatus::Cancelled, .. })).collect();
    assert_eq!(done.len(), 2);
    assert!(b.working().next().is_none());
}

#[test]
fn limit_outside_the_daily_limits_is_rejected() {
    let mut b = broker();
    let a = approved(1, Side::Buy, 1, OrderKind::Limit(Price::new(91_100)), TimeInForce::Day, day(3));
    let e = b.submit(&a, Market::Kospi, InstrumentKind::Stock, Some(Price::new(70_000)), day(3)).unwrap_err();
    assert!(e.contains("outside the daily limits"), "{e}");
    let ok = approved(2, Side::Buy, 1, OrderKind::Limit(Price::new(91_000)), TimeInForce::Day, day(3));
    assert!(b.submit(&ok, Market::Kospi, InstrumentKind::Stock, Some(Price::new(70_000)), day(3)).is_ok());
}

#[test]
fn slippage_moves_market_fills_against_the_order_within_the_bar() {
    let mut b = SimBroker::new(
        SimBrokerConfig { slippage_ticks: 2, ..SimBrokerConfig::default() },
        Money::from_won(10_000_000),
    );
    submit(&mut b, &approved(1, Side::Buy, 1, OrderKind::Market, TimeInForce::Day, day(3)), day(3));
    let mut out = Vec::new();
    b.on_bar(&bar(day(4), 70_000, 71_000, 69_000, 70_000, 1_000), &mut out);
    assert_eq!(fills(&out)[0].price, Price::new(70_200));
    out.clear();
    submit(&mut b, &approved(2, Side::Sell, 1, OrderKind::Market, TimeInForce::Day, day(4)), day(4));
    b.on_bar(&bar(day(5), 70_000, 70_000, 69_950, 70_000, 1_000), &mut out);
    assert_eq!(fills(&out)[0].price, Price::new(69_950), "clamped to the bar's low");
}

#[test]
fn buys_are_capped_by_cash_and_fees_and_tax_follow_the_trade_date() {
    let mut b = SimBroker::new(SimBrokerConfig::default(), Money::from_won(700_000));
    submit(&mut b, &approved(1, Side::Buy, 20, OrderKind::Market, TimeInForce::Day, day(3)), day(3));
    let mut out = Vec::new();
    b.on_bar(&bar(day(4), 70_000, 70_000, 70_000, 70_000, 1_000_000), &mut out);
    // 10 × 70,000 = 700,000 + 105 commission > cash, so 9.
    assert_eq!(fills(&out)[0].qty.get(), 9);
    assert!(matches!(out.last(), Some(SimEvent::Done { status: OrderStatus::Cancelled, .. })));
    assert!(!b.cash().is_negative());

    let dec30 = Timestamp::daily_close(NaiveDate::from_ymd_opt(2025, 12, 30).unwrap());
    let jan2 = Timestamp::daily_close(NaiveDate::from_ymd_opt(2026, 1, 2).unwrap());
    let mut b = SimBroker::new(SimBrokerConfig::default(), Money::ZERO);
    b.holdings.insert(code(), 20);
    let mk = |ts| bar(ts, 100_000, 100_000, 100_000, 100_000, 1_000_000);
    let sell = |id, ts| approved(id, Side::Sell, 10, OrderKind::Market, TimeInForce::Day, ts);
    let mut out = Vec::new();
    submit(&mut b, &sell(1, day(3)), day(3));
    b.on_bar(&mk(dec30), &mut out);
    submit(&mut b, &sell(2, dec30), dec30);
    b.on_bar(&mk(jan2), &mut out);
    let f = fills(&out);
    assert_eq!(f[0].tax, Money::from_won(1_500), "2025: 0.15%");
    assert_eq!(f[1].tax, Money::from_won(2_000), "2026: 0.20%");
    assert_eq!(f[0].commission, Money::from_won(150));
}
