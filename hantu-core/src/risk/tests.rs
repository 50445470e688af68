use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::*;
use crate::domain::{ClientOrderId, Fill, OrderRequest, Qty, TimeInForce};

fn code() -> StockCode {
    StockCode::new("005930")
}

fn now() -> Timestamp {
    Timestamp::kst(NaiveDate::from_ymd_opt(2025, 3, 4).unwrap(), 10, 0)
}

fn order(side: Side, qty: u64, kind: OrderKind) -> Order {
    let req = OrderRequest::new_checked(code(), side, Qty::from_shares(qty), kind, TimeInForce::Day).unwrap();
    Order::new(ClientOrderId::from_seq("t", 1), req, now())
}

fn check(rm: &RiskManager, pf: &Portfolio, open: &[Order], o: Order) -> Result<Approved, Refusal> {
    check_sector(rm, pf, open, o, None)
}

fn check_sector(
    rm: &RiskManager,
    pf: &Portfolio,
    open: &[Order],
    o: Order,
    sector: Option<&str>,
) -> Result<Approved, Refusal> {
    let fees = FeeModel::default();
    let sector_of = |_c: StockCode| sector;
    let view = RiskView {
        now: now(),
        portfolio: pf,
        open_orders: open,
        instrument: InstrumentRisk {
            market: Market::Kospi,
            kind: InstrumentKind::Stock,
            sector,
            reference: Some(Price::new(66_000)),
        },
        sector_of: &sector_of,
        fees: &fees,
    };
    rm.check(o, &view)
}

fn holding(qty: u64, price: i64, cash: i64) -> Portfolio {
    let mut pf = Portfolio::new(Money::from_won(cash + price * qty as i64));
    let fill = Fill {
        client_id: ClientOrderId::from_seq("h", 1),
        code: code(),
        side: Side::Buy,
        qty: Qty::from_shares(qty),
        price: Price::new(price),
        commission: Money::ZERO,
        tax: Money::ZERO,
        ts: now(),
    };
    pf.apply_fill(&fill, now().kst_date()).unwrap();
    pf
}

#[test]
fn tick_and_limit_edges() {
    let rm = RiskManager::new(RiskLimits::unlimited());
    let pf = Portfolio::new(Money::from_won(100_000_000));
    let lim = |p| order(Side::Buy, 1, OrderKind::Limit(Price::new(p)));
    assert!(check(&rm, &pf, &[], lim(85_800)).is_ok());
    assert!(check(&rm, &pf, &[], lim(46_200)).is_ok());
    let r = check(&rm, &pf, &[], lim(85_900)).unwrap_err();
    assert_eq!(r.reason, RefusalReason::OutsideLimits { price: 85_900, lower: 46_200, upper: 85_800 });
    assert!(matches!(check(&rm, &pf, &[], lim(46_100)).unwrap_err().reason, RefusalReason::OutsideLimits { .. }));
    let r = check(&rm, &pf, &[], lim(66_050)).unwrap_err();
    assert_eq!(r.reason, RefusalReason::OffTick { price: 66_050, tick: 100 });
    assert!(r.to_string().contains("off the tick grid"), "{r}");
}

#[test]
fn cash_and_holdings() {
    let rm = RiskManager::new(RiskLimits::unlimited());
    let pf = Portfolio::new(Money::from_won(660_000));
    // 10 × 66,000 = 660,000 plus 99 won commission > 660,000.
    let r = check(&rm, &pf, &[], order(Side::Buy, 10, OrderKind::Market)).unwrap_err();
    assert!(matches!(r.reason, RefusalReason::InsufficientBuyingPower { .. }));
    assert!(check(&rm, &pf, &[], order(Side::Buy, 9, OrderKind::Market)).is_ok());
    let r = check(&rm, &pf, &[], order(Side::Sell, 1, OrderKind::Market)).unwrap_err();
    assert_eq!(r.reason, RefusalReason::InsufficientHoldings { requested: 1, available: 0 });
    let pf = holding(5, 66_000, 0);
    assert!(check(&rm, &pf, &[], order(Side::Sell, 5, OrderKind::Market)).is_ok());
    let pending = [order(Side::Sell, 3, OrderKind::Market)];
    let r = check(&rm, &pf, &pending, order(Side::Sell, 3, OrderKind::Market)).unwrap_err();
    assert_eq!(r.reason, RefusalReason::InsufficientHoldings { requested: 3, available: 2 });
}

#[test]
fn weight_notional_positions_sector() {
    let pf = Portfolio::new(Money::from_won(10_000_000));
    let limits = RiskLimits { max_position_weight: Some(Decimal::new(20, 2)), ..RiskLimits::unlimited() };
    let rm = RiskManager::new(limits);
    assert!(check(&rm, &pf, &[], order(Side::Buy, 30, OrderKind::Market)).is_ok()); // 1.98M = 19.8%
    let r = check(&rm, &pf, &[], order(Side::Buy, 31, OrderKind::Market)).unwrap_err();
    assert!(matches!(r.reason, RefusalReason::MaxPositionWeight { .. }));
    assert!(r.reason.to_string().contains("limit 20"), "{}", r.reason);

    let rm = RiskManager::new(RiskLimits {
        max_order_notional: Some(Money::from_won(1_000_000)),
        ..RiskLimits::unlimited()
    });
    assert!(matches!(
        check(&rm, &pf, &[], order(Side::Buy, 16, OrderKind::Market)).unwrap_err().reason,
        RefusalReason::MaxOrderNotional { .. }
    ));

    let rm = RiskManager::new(RiskLimits { max_open_positions: Some(1), ..RiskLimits::unlimited() });
    let mut other = order(Side::Buy, 1, OrderKind::Market);
    other.request.code = StockCode::new("000660");
    assert_eq!(
        check(&rm, &pf, &[other], order(Side::Buy, 1, OrderKind::Market)).unwrap_err().reason,
        RefusalReason::MaxOpenPositions { max: 1 }
    );

    let held = holding(30, 66_000, 8_020_000);
    let rm = RiskManager::new(RiskLimits { max_sector_weight: Some(Decimal::new(25, 2)), ..RiskLimits::unlimited() });
    let r = check_sector(&rm, &held, &[], order(Side::Buy, 10, OrderKind::Market), Some("전기·전자")).unwrap_err();
    assert!(matches!(r.reason, RefusalReason::SectorBudget { .. }));
    assert!(check_sector(&rm, &held, &[], order(Side::Buy, 10, OrderKind::Market), None).is_ok());
}

#[test]
fn states_and_daily_loss_halt() {
    let mut rm = RiskManager::new(RiskLimits { daily_loss_limit: Some(Decimal::new(3, 2)), ..RiskLimits::unlimited() });
    let pf = holding(10, 66_000, 1_000_000);
    rm.set_state(TradingState::Reducing);
    assert_eq!(
        check(&rm, &pf, &[], order(Side::Buy, 1, OrderKind::Market)).unwrap_err().reason,
        RefusalReason::ReducingOnly
    );
    assert!(check(&rm, &pf, &[], order(Side::Sell, 1, OrderKind::Market)).is_ok());
    rm.set_state(TradingState::Active);
    let day1 = now();
    assert!(!rm.on_equity(day1, Money::from_won(1_000_000)));
    assert!(!rm.on_equity(day1, Money::from_won(971_000)));
    assert!(rm.on_equity(day1, Money::from_won(969_000)));
    assert_eq!(rm.state(), TradingState::Halted);
    assert_eq!(
        check(&rm, &pf, &[], order(Side::Sell, 1, OrderKind::Market)).unwrap_err().reason,
        RefusalReason::Halted
    );
    let day2 = Timestamp::kst(NaiveDate::from_ymd_opt(2025, 3, 5).unwrap(), 9, 0);
    rm.on_equity(day2, Money::from_won(969_000));
    assert_eq!(rm.state(), TradingState::Active);
}

#[test]
fn limits_validate_names_the_key() {
    let bad = RiskLimits { max_position_weight: Some(Decimal::new(15, 1)), ..RiskLimits::unlimited() };
    let e = bad.validate().unwrap_err().to_string();
    assert!(e.contains("risk.max_position_weight"), "{e}");
    assert!(RiskLimits::default().validate().is_ok());
}
