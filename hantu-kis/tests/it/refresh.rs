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

#[tokio::test]
async fn refresh_into_a_store_then_serve_it_with_every_call_logged() {
    use hantu_core::store::{MemoryStore, Store};
    use hantu_kis::calllog::store_hook;

    let market = MockMarket::synthetic(12, 30, day());
    let codes: Vec<_> = market.codes().collect();
    let rig = Rig::with(Environment::Real, |mut c| {
        c.market = market.clone();
        c
    })
    .await;
    let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
    let config = rig.config().with_call_hook(store_hook(store.clone(), rig.clock.clone()));
    let broker = Arc::new(hantu_kis::KisBroker::new(hantu_kis::KisClient::new(config).unwrap()).unwrap());
    let instruments: Vec<_> = market.listings().map(|l| l.instrument.clone()).collect();
    store.upsert_instruments(&instruments).unwrap();
    let report = hantu_kis::refresh::refresh_into_store(
        broker,
        store.as_ref(),
        &codes,
        day() - Duration::days(60),
        day(),
        |_| {},
    )
    .await;
    assert!(report.failed.is_empty());
    assert_eq!(report.bars, 12 * 30);
    let calls = store.api_calls_since(hantu_core::domain::Timestamp::kst(day(), 0, 0)).unwrap();
    assert_eq!(calls.len(), 12);
    assert!(calls.iter().all(|c| c.outcome == "ok" && c.tr_id.as_deref() == Some("FHKST03010100")));
    // The store's bars can back another local server.
    let again = MockMarket::from_store(store.as_ref(), day() - Duration::days(60), day()).unwrap();
    assert_eq!(again.len(), 12);
    let first = again.get(codes[0]).unwrap();
    assert_eq!(first.bars, market.get(codes[0]).unwrap().bars);
}
