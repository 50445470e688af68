//! Configurable credentials at the local server: app key, secret, account and HTS id of one's
//! choosing, and several registered apps, each with its own tokens and WebSocket session.

use hantu_core::broker::Broker;
use hantu_core::domain::Side;
use hantu_kis::auth::{AccountNo, Credential};
use hantu_kis::ws::opsp;
use hantu_kis::{Environment, KisBroker, KisClient};

use crate::common::{Rig, approve, fresh_key, limit};
use crate::ws_common::WsTest;

#[tokio::test]
async fn chosen_credentials_and_a_second_app() {
    let second = (fresh_key(), "B".repeat(180));
    let rig = Rig::with(Environment::Paper, |c| {
        c.with_account("50999999", "01").with_hts_id("hts-of-mine").with_extra_app(second.0.clone(), second.1.clone())
    })
    .await;
    assert_eq!(rig.server.account(), "50999999-01");
    assert_eq!(rig.server.hts_id(), "hts-of-mine");

    // Both apps trade on the one account with their own tokens.
    let first = rig.broker();
    let other_cfg = hantu_kis::KisConfig::new(Environment::Paper, Credential::new(&second.0, &second.1).unwrap())
        .with_rest_url(rig.server.base_url())
        .with_account(AccountNo::parse("50999999-01").unwrap())
        .with_clock(rig.clock.clone())
        .with_timeout(std::time::Duration::from_secs(3));
    let other = KisBroker::new(KisClient::new(other_cfg).unwrap()).unwrap();
    first.place(&approve(limit("005930", Side::Buy, 1, 60_000), 66_000, 0)).await.unwrap();
    other.place(&approve(limit("005930", Side::Buy, 2, 60_000), 66_000, 0)).await.unwrap();
    assert_eq!(first.open_orders().await.unwrap().len(), 2, "one account");
    let t1 = first.client().tokens().token().await.unwrap();
    let t2 = other.client().tokens().token().await.unwrap();
    assert_ne!(t1.secret().expose(), t2.secret().expose(), "tokens are per app");
    assert_eq!(rig.server.stats().tokens_issued, 2, "the 60 s issuance rule is per app");

    // A token works only with its own app key.
    let (key, secret) = rig.server.app();
    let resp = reqwest::Client::new()
        .get(format!("{}/uapi/domestic-stock/v1/quotations/inquire-price", rig.server.base_url()))
        .query(&[("FID_COND_MRKT_DIV_CODE", "J"), ("FID_INPUT_ISCD", "005930")])
        .header("authorization", format!("Bearer {}", t2.secret().expose()))
        .header("appkey", key)
        .header("appsecret", secret)
        .header("tr_id", "FHKST01010100")
        .send()
        .await
        .unwrap();
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["msg_cd"], "EGW00121");

    // Each app has its own WebSocket session.
    let mut ws1 = WsTest::connect(&rig).await;
    assert_eq!(ws1.subscribe("H0STCNI9", "hts-of-mine").await.msg_cd, opsp::SUBSCRIBED);
    let cred = Credential::new(&second.0, &second.1).unwrap();
    let key2 = hantu_kis::auth::issue_approval_key(&reqwest::Client::new(), &rig.server.base_url(), &cred)
        .await
        .unwrap()
        .0
        .expose()
        .to_owned();
    let mut ws2 = WsTest::connect_with(&rig, key2).await;
    assert_eq!(ws2.subscribe("H0STCNT0", "005930").await.msg_cd, opsp::SUBSCRIBED);
    assert_eq!(rig.server.ws_sessions(), 2);
}

#[tokio::test]
async fn both_domains_serve_one_market() {
    use hantu_core::data::MarketData;
    use hantu_kis::mock::{MockConfig, MockDomains, MockMarket};

    let clock = crate::common::clock_at(10, 0);
    let market = MockMarket::fixture(crate::common::day());
    let real_cfg = MockConfig::new(Environment::Real, market.clone())
        .with_app(fresh_key(), "R".repeat(180))
        .with_clock(clock.clone())
        .with_tape(5, 4.0);
    let paper_cfg = MockConfig::new(Environment::Paper, MockMarket::new()).with_app(fresh_key(), "P".repeat(180));
    let both = MockDomains::start(real_cfg, paper_cfg).await.unwrap();
    assert_ne!(both.real.base_url(), both.paper.base_url());
    assert_ne!(both.real.ws_url(), both.paper.ws_url());
    let broker = |server: &hantu_kis::mock::MockServer, env| {
        let (k, s) = server.app();
        let cfg = hantu_kis::KisConfig::new(env, Credential::new(k, s).unwrap())
            .with_rest_url(server.base_url())
            .with_account(AccountNo::parse(&server.account()).unwrap())
            .with_clock(clock.clone());
        KisBroker::new(KisClient::new(cfg).unwrap()).unwrap()
    };
    let real = broker(&both.real, Environment::Real);
    let paper = broker(&both.paper, Environment::Paper);
    let code = crate::common::code("005930");
    for minute in [0, 7, 31] {
        clock.set(hantu_core::domain::Timestamp::kst(crate::common::day(), 10, minute));
        let (a, b) = (real.quote(code).await.unwrap(), paper.quote(code).await.unwrap());
        assert_eq!((a.last, a.volume), (b.last, b.volume), "at 10:{minute:02}");
    }
    assert_eq!(both.real.trades(code), both.paper.trades(code));
    // Each domain keeps its own app: the paper key is unknown to the real domain.
    let (paper_key, paper_secret) = both.paper.app();
    let bad = hantu_kis::auth::issue_approval_key(
        &reqwest::Client::new(),
        &both.real.base_url(),
        &Credential::new(paper_key, paper_secret).unwrap(),
    )
    .await;
    assert!(bad.is_err());
}
