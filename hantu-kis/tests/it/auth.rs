//! Token lifecycle over HTTP: reuse across instances and restarts, the 60 s rule, expiry and
//! re-issue, refresh ahead of expiry, revoke, approval key, hashkey.

use hantu_core::domain::Timestamp;
use hantu_kis::rest::InquirePrice;
use hantu_kis::{Environment, ErrorClass, KisClient, KisError};

use crate::common::{Rig, code, day, recorder};

#[tokio::test]
async fn token_is_reused_across_two_instances_and_a_restart() {
    let rig = Rig::start(Environment::Real).await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("kis-token.json");
    let req = InquirePrice { code: code("005930") };
    let a = KisClient::new(rig.config().with_token_cache(&path)).unwrap();
    let b = KisClient::new(rig.config().with_token_cache(&path)).unwrap();
    a.call(&req).await.unwrap();
    b.call(&req).await.unwrap();
    drop((a, b));
    let restarted = KisClient::new(rig.config().with_token_cache(&path)).unwrap();
    restarted.call(&req).await.unwrap();
    assert_eq!(restarted.tokens().issued_count(), 0, "the restart reused the file");
    let stats = rig.server.stats();
    assert_eq!((stats.token_requests, stats.tokens_issued), (1, 1));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
    }
}

#[tokio::test]
async fn a_second_issue_within_six_hours_returns_the_same_token() {
    let rig = Rig::start(Environment::Paper).await;
    let (a, b) = (rig.client(), rig.client());
    let ta = a.tokens().token().await.unwrap();
    rig.clock.set(Timestamp::from_millis(rig.clock.now_ms() + 30_000));
    let tb = b.tokens().token().await.unwrap();
    assert_eq!(ta.secret(), tb.secret());
    let stats = rig.server.stats();
    assert_eq!((stats.token_requests, stats.tokens_issued, stats.token_too_soon), (2, 1, 0));
}

trait NowMs {
    fn now_ms(&self) -> i64;
}

impl NowMs for hantu_core::clock::SimClock {
    fn now_ms(&self) -> i64 {
        use hantu_core::clock::Clock;
        self.now().millis()
    }
}

#[tokio::test]
async fn expired_token_is_reissued_once_and_the_minute_rule_is_respected() {
    let rig = Rig::start(Environment::Real).await;
    let (hook, log) = recorder();
    let client = KisClient::new(rig.config().with_call_hook(hook)).unwrap();
    let req = InquirePrice { code: code("005930") };
    client.call(&req).await.unwrap();
    // Expire mid-session within the minute: KIS refuses a new token (EGW00133).
    rig.server.expire_tokens();
    let err = client.call(&req).await.unwrap_err();
    assert!(matches!(&err, KisError::Token { code, .. } if code == "EGW00133"), "{err}");
    assert_eq!(err.class(), ErrorClass::RateLimited);
    // A minute later the re-issue goes through and the call succeeds transparently.
    rig.clock.set(Timestamp::from_millis(rig.clock.now_ms() + 61_000));
    rig.server.expire_tokens();
    client.call(&req).await.unwrap();
    let stats = rig.server.stats();
    assert_eq!(stats.tokens_issued, 2);
    assert_eq!(stats.token_too_soon, 1);
    let refused = log
        .lock()
        .unwrap()
        .iter()
        .filter(|r| matches!(&r.outcome, hantu_kis::calllog::CallOutcome::Refused(c) if c == "EGW00123"))
        .count();
    // The failed re-issue dropped the dead token, so the second call issued before sending.
    assert_eq!(refused, 1);
}

#[tokio::test]
async fn token_is_refreshed_ahead_of_expiry() {
    let rig = Rig::start(Environment::Real).await;
    let (hook, log) = recorder();
    let client = KisClient::new(rig.config().with_call_hook(hook)).unwrap();
    let req = InquirePrice { code: code("005930") };
    let first = client.tokens().token().await.unwrap();
    client.call(&req).await.unwrap();
    // Five minutes before expiry (inside the 10-minute margin): replaced before use.
    rig.clock.set(Timestamp::from_millis(first.expires_at().millis() - 300_000));
    client.call(&req).await.unwrap();
    let second = client.tokens().token().await.unwrap();
    assert_ne!(first.secret(), second.secret());
    assert_eq!(rig.server.stats().tokens_issued, 2);
    assert!(
        log.lock().unwrap().iter().all(|r| r.outcome == hantu_kis::calllog::CallOutcome::Ok),
        "never used an expired token"
    );
}

#[tokio::test]
async fn wrong_secret_is_an_auth_error() {
    let rig = Rig::start(Environment::Real).await;
    let (key, _) = rig.server.app();
    let mut config = rig.config();
    config.credential = hantu_kis::auth::Credential::new(key, "wrong").unwrap();
    let err = KisClient::new(config).unwrap().call(&InquirePrice { code: code("005930") }).await.unwrap_err();
    assert_eq!(err.msg_cd(), Some("EGW00105"));
    assert_eq!(err.class(), ErrorClass::Auth);
}

#[tokio::test]
async fn revoke_forgets_the_token_everywhere() {
    let rig = Rig::start(Environment::Real).await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.json");
    let client = KisClient::new(rig.config().with_token_cache(&path)).unwrap();
    let token = client.tokens().token().await.unwrap();
    assert!(path.exists());
    client.tokens().revoke().await.unwrap();
    assert!(!path.exists());
    // The server forgot it too: a new client cannot get it back and must wait out the minute.
    let other = KisClient::new(rig.config()).unwrap();
    let err = other.tokens().token().await.unwrap_err();
    assert_eq!(err.msg_cd(), Some("EGW00133"));
    rig.clock.set(Timestamp::kst(day(), 10, 5));
    let fresh = other.tokens().token().await.unwrap();
    assert_ne!(fresh.secret(), token.secret());
}

#[tokio::test]
async fn approval_key_and_hashkey() {
    let rig = Rig::start(Environment::Paper).await;
    let client = rig.client();
    let key = hantu_kis::auth::issue_approval_key(client.http(), &rig.server.base_url(), &client.config().credential)
        .await
        .unwrap();
    assert_eq!(key.0.expose().len(), 36);
    let body: serde_json::Map<String, serde_json::Value> = serde_json::from_str(
        r#"{"CANO":"50123456","ACNT_PRDT_CD":"01","PDNO":"005930","ORD_DVSN":"00","ORD_QTY":"1","ORD_UNPR":"65800"}"#,
    )
    .unwrap();
    let h1 = client.hashkey(&body).await.unwrap();
    let h2 = client.hashkey(&body).await.unwrap();
    assert_eq!(h1, h2);
    assert_eq!(h1.len(), 64);
}
