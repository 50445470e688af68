//! Downloads the daily bars of a full simulated universe (2,875 codes) from the local KIS
//! server at the real-account limit, and reports the achieved request rate and any EGW00201.
//! Takes about 2.5 minutes; exits with status 1 below 95 % of 20 requests/s or on throttling.
//!
//! Run with `cargo run --release -p hantu-kis --example refresh_universe_with_local_server`
//! (set `HANTU_REFRESH_CODES=100` for a short run).

use std::sync::Arc;
use std::time::Instant;

use hantu_core::clock::SimClock;
use hantu_core::domain::Timestamp;
use hantu_core::sim::{SimConfig, SimMarket};
use hantu_kis::auth::{AccountNo, Credential};
use hantu_kis::mock::{MockConfig, MockMarket, MockServer};
use hantu_kis::refresh::refresh_daily_bars;
use hantu_kis::{Environment, KisBroker, KisClient, KisConfig};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let codes_wanted: usize = std::env::var("HANTU_REFRESH_CODES").ok().and_then(|v| v.parse().ok()).unwrap_or(2_875);
    let sim = SimMarket::generate(&SimConfig::new(codes_wanted, 120, 7))?;
    let market = MockMarket::from_sim(&sim);
    let today = market.next_day().ok_or("empty market")?;
    let clock = Arc::new(SimClock::new(Timestamp::kst(today, 16, 0)));
    let server =
        MockServer::start(MockConfig::new(Environment::Real, market.clone()).with_clock(clock.clone())).await?;
    let (key, secret) = server.app();
    let config = KisConfig::new(Environment::Real, Credential::new(key, secret)?)
        .with_rest_url(server.base_url())
        .with_account(AccountNo::parse(&server.account())?)
        .with_clock(clock);
    let broker = Arc::new(KisBroker::new(KisClient::new(config)?)?);
    broker.client().tokens().token().await?;
    let codes: Vec<_> = market.codes().collect();
    let from = today - chrono::Duration::days(120);
    let started = Instant::now();
    let mut bars = 0usize;
    let report = refresh_daily_bars(
        broker,
        &codes,
        from,
        today,
        8,
        |_, b| bars += b.len(),
        |p| {
            if p.done % 500 == 0 {
                eprintln!("{}/{} codes, {:.2} req/s", p.done, p.total, p.done as f64 / started.elapsed().as_secs_f64());
            }
        },
    )
    .await;
    let stats = server.stats();
    let rate = stats.requests as f64 / report.elapsed.as_secs_f64();
    println!(
        "{} codes, {} bars, {} requests in {:.1} s: {:.2} requests/s ({:.1} % of 20/s), EGW00201: {}, failed: {}",
        report.codes,
        bars,
        stats.requests,
        report.elapsed.as_secs_f64(),
        rate,
        rate / 20.0 * 100.0,
        stats.rate_limited,
        report.failed.len()
    );
    if rate < 19.0 || stats.rate_limited > 0 || !report.failed.is_empty() {
        std::process::exit(1);
    }
    Ok(())
}
