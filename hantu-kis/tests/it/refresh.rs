//! A 100-code universe refresh at the real-account limit: every code delivered, zero EGW00201.

use std::sync::Arc;

use chrono::Duration;
use hantu_kis::Environment;
use hantu_kis::mock::MockMarket;
use hantu_kis::refresh::{Progress, refresh_daily_bars};

use crate::common::{Rig, day};

#[tokio::test]
async fn a_hundred_codes_refresh_at_the_limit_without_throttling() {
    let market = MockMarket::synthetic(100, 40, day());
    let codes: Vec<_> = market.codes().collect();
    let rig = Rig::with(Environment::Real, |mut c| {
        c.market = market;
        c
    })
    .await;
    let broker = Arc::new(rig.broker());
    broker.client().tokens().token().await.unwrap();
    let mut got = Vec::new();
    let mut last = Progress { done: 0, total: 0, failed: 0 };
    let report = refresh_daily_bars(
        broker,
        &codes,
        day() - Duration::days(90),
        day(),
        8,
        |code, bars| got.push((code, bars.len())),
        |p| last = p,
    )
    .await;
    assert!(report.failed.is_empty(), "{:?}", report.failed);
    assert_eq!(got.len(), 100);
    assert!(got.iter().all(|(_, n)| *n == 40));
    assert_eq!(last, Progress { done: 100, total: 100, failed: 0 });
    let stats = rig.server.stats();
    assert_eq!((stats.requests, stats.rate_limited), (100, 0));
    println!("100-code refresh: {:.2} requests/s", report.codes_per_sec());
}
