//! Places, lists and cancels an order against the local KIS server. No credentials, no network
//! beyond 127.0.0.1.
//!
//! Run with `cargo run -p hantu-kis --example order_with_local_server`.

use std::sync::Arc;

use hantu_core::broker::Broker;
use hantu_core::clock::SimClock;
use hantu_core::domain::{
    ClientOrderId, InstrumentKind, Market, Money, Order, OrderRequest, Portfolio, Price, Qty, Side, StockCode,
    Timestamp,
};
use hantu_core::krx::FeeModel;
use hantu_core::risk::{InstrumentRisk, RiskLimits, RiskManager, RiskView};
use hantu_kis::auth::{AccountNo, Credential};
use hantu_kis::mock::{MockConfig, MockMarket, MockServer};
use hantu_kis::{Environment, KisBroker, KisClient, KisConfig};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // The server's clock sits inside the regular session of a trading day, whatever the time now.
    let day = chrono::NaiveDate::from_ymd_opt(2025, 7, 25).ok_or("bad date")?;
    let clock = Arc::new(SimClock::new(Timestamp::kst(day, 10, 0)));
    let server =
        MockServer::start(MockConfig::new(Environment::Paper, MockMarket::fixture(day)).with_clock(clock.clone()))
            .await?;
    println!("local KIS server (paper) at {}", server.base_url());

    let (key, secret) = server.app();
    let config = KisConfig::new(Environment::Paper, Credential::new(key, secret)?)
        .with_rest_url(server.base_url())
        .with_account(AccountNo::parse(&server.account())?)
        .with_clock(clock.clone());
    let broker = KisBroker::new(KisClient::new(config)?)?;

    let code = StockCode::new_checked("005930")?;
    let quote = hantu_core::data::MarketData::quote(&broker, code).await?;
    println!("{code}: last {} (previous close {:?})", quote.last, quote.prev_close);

    // Only risk-approved orders reach a broker.
    let request = OrderRequest::limit(code, Side::Buy, Qty::from_shares(10), Price::new_checked(64_000)?)?;
    let order = Order::new(ClientOrderId::new_checked("example-1")?, request, clock_now(&clock));
    let portfolio = Portfolio::new(Money::from_won(10_000_000));
    let fees = FeeModel::default();
    let sector_of = |_: StockCode| None;
    let view = RiskView {
        now: clock_now(&clock),
        portfolio: &portfolio,
        open_orders: &[],
        instrument: InstrumentRisk {
            market: Market::Kospi,
            kind: InstrumentKind::Stock,
            sector: None,
            reference: quote.prev_close,
        },
        sector_of: &sector_of,
        fees: &fees,
    };
    let approved = RiskManager::new(RiskLimits::unlimited()).check(order, &view).map_err(|r| r.to_string())?;

    let ack = broker.place(&approved).await?;
    println!("placed: broker order {}", ack.broker_id);
    for o in broker.open_orders().await? {
        println!(
            "open: {} {} {} x{} {:?} filled {} ({:?})",
            o.broker_id, o.code, o.side, o.qty, o.kind, o.filled_qty, o.status
        );
    }
    broker.cancel(&ack.broker_id).await?;
    println!("cancelled {}; open orders now: {}", ack.broker_id, broker.open_orders().await?.len());
    for o in broker.orders_today().await? {
        println!("today: {} {:?}", o.broker_id, o.status);
    }
    server.stop().await;
    Ok(())
}

fn clock_now(clock: &SimClock) -> Timestamp {
    hantu_core::clock::Clock::now(clock)
}
