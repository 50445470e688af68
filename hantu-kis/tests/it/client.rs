//! Typed endpoints over HTTP: every endpoint answers, environments differ, pagination reaches
//! the last page, and our limiter keeps the server's EGW00201 away.

use std::sync::Arc;

use chrono::{Duration, NaiveTime};
use hantu_kis::calllog::CallOutcome;
use hantu_kis::mock::{Fault, FaultRule, MockMarket};
use hantu_kis::rest::{self, ChartPeriod, FillFilter, HttpMethod, KisRequest};
use hantu_kis::{Environment, KisClient, KisError};

use crate::common::{Rig, code, day, recorder};

#[tokio::test]
async fn every_real_endpoint_answers_in_its_typed_shape() {
    let rig = Rig::with(Environment::Real, |c| c.with_holding(code("005930"), 24, 64_250)).await;
    let c = rig.client();
    let acct = c.config().account.clone().unwrap();
    let ss = code("005930");
    let q = c.call(&rest::InquirePrice { code: ss }).await.unwrap();
    assert_eq!((q.base.won(), q.upper_limit.won(), q.lower_limit.won(), q.tick), (66_000, 85_800, 46_200, 100));
    assert!(!c.call(&rest::InquireCcnl { code: ss }).await.unwrap().0.is_empty());
    let chart = c
        .call(&rest::InquireDailyItemChartPrice {
            code: ss,
            from: day() - Duration::days(30),
            to: day(),
            period: ChartPeriod::Day,
            adjusted: true,
        })
        .await
        .unwrap();
    assert!(chart.bars.len() >= 19 && chart.bars.windows(2).all(|w| w[0].date > w[1].date));
    assert_eq!(c.call(&rest::InquireDailyPrice { code: ss, period: ChartPeriod::Day }).await.unwrap().0.len(), 30);
    let mins = c
        .call(&rest::InquireTimeItemChartPrice { code: ss, until: NaiveTime::from_hms_opt(15, 0, 0).unwrap() })
        .await
        .unwrap();
    assert_eq!(mins.bars[0].time, NaiveTime::from_hms_opt(10, 0, 0).unwrap(), "future times mean now");
    let hist = c
        .call(&rest::InquireTimeDailyChartPrice {
            code: ss,
            date: chart.bars[3].date,
            until: NaiveTime::from_hms_opt(15, 30, 0).unwrap(),
        })
        .await
        .unwrap();
    assert_eq!(hist.bars.len(), 120);
    let book = c.call(&rest::InquireAskingPrice { code: ss }).await.unwrap();
    assert!(book.asks[0].price > book.bids[0].price);
    assert_eq!(c.call(&rest::VolumeRank).await.unwrap().0.len(), 5);
    let bal = c.call_all(&rest::InquireBalance { account: acct.clone() }).await.unwrap();
    assert_eq!(bal.holdings[0].qty, 24);
    assert_eq!(bal.summary.deposit, 10_000_000);
    let bp = c.call(&rest::InquirePsblOrder { account: acct.clone(), code: Some(ss), price: None }).await.unwrap();
    assert_eq!(bp.calc_price.map(|p| p.won()), Some(85_800), "market buys are sized at the upper limit");
    assert_eq!(c.call(&rest::InquirePsblSell { account: acct.clone(), code: ss }).await.unwrap().sellable, 24);
    assert!(c.call_all(&rest::InquirePsblRvsecncl { account: acct.clone() }).await.unwrap().0.is_empty());
    let ccld = rest::InquireDailyCcld {
        account: acct,
        from: day(),
        to: day(),
        filter: FillFilter::All,
        code: None,
        order_no: None,
        legacy: false,
    };
    assert!(c.call_all(&ccld).await.unwrap().orders.is_empty());
    assert_eq!(c.call(&rest::SearchInfo { code: ss }).await.unwrap().name, "삼성전자");
    assert_eq!(c.call(&rest::SearchStockInfo { code: ss }).await.unwrap().market_id, "STK");
    let days = c.call_all(&rest::ChkHoliday { from: day() }).await.unwrap();
    assert_eq!(days.0.len(), 40, "two pages of 20 days");
    assert!(days.0.iter().any(|d| !d.open));
    let titles = c.call(&rest::PsearchTitle { user_id: "me".into() }).await.unwrap();
    let hits = c.call(&rest::PsearchResult { user_id: "me".into(), seq: titles.0[0].seq.clone() }).await.unwrap();
    assert_eq!(hits.0.len(), 5);
    let none = c.call(&rest::PsearchResult { user_id: "me".into(), seq: "9".into() }).await.unwrap_err();
    assert_eq!(none.msg_cd(), Some("MCA05918"));
}

/// A balance query that insists on the real tr_id (to see what the paper server says).
struct RealBalanceOnAnyHost(rest::InquireBalance);

impl KisRequest for RealBalanceOnAnyHost {
    type Response = rest::AccountBalance;
    const NAME: &'static str = "inquire-balance";
    const PATH: &'static str = rest::InquireBalance::PATH;
    const METHOD: HttpMethod = HttpMethod::Get;
    const PAGING: Option<rest::PagingKeys> = Some(rest::PAGING_100);
    fn tr_id(&self, _env: Environment) -> Option<&'static str> {
        Some("TTTC8434R")
    }
    fn params(&self) -> Vec<(&'static str, String)> {
        self.0.params()
    }
}

#[tokio::test]
async fn paper_lacks_real_only_endpoints_and_refuses_real_tr_ids() {
    let rig = Rig::start(Environment::Paper).await;
    let c = rig.client();
    let acct = c.config().account.clone().unwrap();
    let before = rig.server.stats().requests;
    let err = c.call(&rest::InquirePsblSell { account: acct.clone(), code: code("005930") }).await.unwrap_err();
    assert!(matches!(err, KisError::Unsupported { endpoint: "inquire-psbl-sell", env: Environment::Paper }), "{err}");
    assert_eq!(rig.server.stats().requests, before, "fails fast without a request");
    let err = c.call(&RealBalanceOnAnyHost(rest::InquireBalance { account: acct.clone() })).await.unwrap_err();
    match &err {
        KisError::Api { status, msg, .. } => assert_eq!((*status, msg.as_str()), (500, "모의투자 TR 이 아닙니다.")),
        other => panic!("{other}"),
    }
    assert_eq!(c.call_all(&rest::InquireBalance { account: acct }).await.unwrap().summary.deposit, 10_000_000);
}

#[tokio::test]
async fn balance_pages_to_the_last_page() {
    let market = MockMarket::synthetic(130, 30, day());
    let codes: Vec<_> = market.codes().collect();
    for (env, pages) in [(Environment::Real, 3), (Environment::Paper, 6)] {
        let market = market.clone();
        let rig = Rig::with(env, |mut c| {
            c.market = market;
            for code in &codes[..120] {
                c = c.with_holding(*code, 10, 1_000);
            }
            c
        })
        .await;
        let (hook, log) = recorder();
        let c = KisClient::new(rig.config().with_call_hook(hook)).unwrap();
        let bal = c.call_all(&rest::InquireBalance { account: c.config().account.clone().unwrap() }).await.unwrap();
        assert_eq!(bal.holdings.len(), 120, "{env}");
        let mut got: Vec<_> = bal.holdings.iter().map(|h| h.code).collect();
        got.dedup();
        assert_eq!(got, codes[..120], "{env}: every row once, in order");
        assert_eq!(log.lock().unwrap().len(), pages, "{env}");
    }
}

#[tokio::test]
async fn our_limiter_never_triggers_egw00201_under_concurrency() {
    let rig = Rig::start(Environment::Real).await;
    // Two clients of the same key share the process-wide limiter.
    let clients = [rig.client(), rig.client()];
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..60 {
        let c = clients[i % 2].clone();
        tasks.spawn(async move { c.call(&rest::InquirePrice { code: code("005930") }).await.map(|_| ()) });
    }
    while let Some(r) = tasks.join_next().await {
        r.unwrap().unwrap();
    }
    let stats = rig.server.stats();
    assert_eq!(stats.rate_limited, 0);
    assert_eq!(stats.requests, 60);
}

#[tokio::test]
async fn without_the_limiter_the_server_throttles() {
    let rig = Rig::start(Environment::Paper).await;
    let unpaced = Arc::new(hantu_kis::ratelimit::RateLimiter::new(1000.0, 100));
    let c = KisClient::with_limiter(rig.config().with_retry(hantu_kis::retry::RetryPolicy::none()), unpaced).unwrap();
    let mut results = Vec::new();
    for _ in 0..6 {
        results.push(c.call(&rest::InquirePrice { code: code("005930") }).await);
    }
    let throttled = results.iter().filter(|r| r.as_ref().is_err_and(|e| e.msg_cd() == Some("EGW00201"))).count();
    assert!(throttled >= 2, "paper allows 2/s; got {throttled} refusals");
    assert_eq!(rig.server.stats().rate_limited as usize, throttled);
}

#[tokio::test]
async fn injected_throttling_is_recovered_for_reads() {
    let rig = Rig::start(Environment::Real).await;
    let (hook, log) = recorder();
    let c = KisClient::new(rig.config().with_call_hook(hook)).unwrap();
    rig.server.inject(FaultRule::times(Fault::RateLimit, 2));
    c.call(&rest::InquirePrice { code: code("005930") }).await.unwrap();
    rig.server.inject(FaultRule::times(Fault::LedgerRateLimit, 1).on("inquire-balance"));
    c.call_all(&rest::InquireBalance { account: c.config().account.clone().unwrap() }).await.unwrap();
    let outcomes: Vec<_> = log.lock().unwrap().iter().map(|r| r.outcome.clone()).collect();
    let refused = |c: &str| CallOutcome::Refused(c.into());
    assert_eq!(
        outcomes,
        [refused("EGW00201"), refused("EGW00201"), CallOutcome::Ok, refused("EGW00215"), CallOutcome::Ok]
    );
}
