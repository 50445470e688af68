//! Secrets (app key, app secret, access token, account number) never appear in logs or Debug.
//!
//! A binary of its own: it installs the process-wide tracing subscriber, which must not race
//! with other tests' callsite registration.

#[allow(dead_code, reason = "shared helpers; this binary uses a few")]
#[path = "it/common.rs"]
mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hantu_core::broker::Broker;
use hantu_core::domain::Side;
use hantu_kis::Environment;
use hantu_kis::mock::{Fault, FaultRule};
use hantu_kis::rest::{InquireBalance, InquirePrice};

use common::{Rig, approve, code, limit};

#[derive(Clone, Default)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl Write for Buffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn secrets_never_reach_logs_or_debug_output() {
    let buf = Buffer::default();
    let writer = buf.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new("hantu_kis=trace"))
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    tracing::subscriber::set_global_default(subscriber).unwrap();

    let rig = Rig::start(Environment::Real).await;
    let dir = tempfile::tempdir().unwrap();
    let config = rig.config().with_token_cache(dir.path().join("t.json"));
    let broker = hantu_kis::KisBroker::new(hantu_kis::KisClient::new(config.clone()).unwrap()).unwrap();
    let client = broker.client().clone();
    client.call(&InquirePrice { code: code("005930") }).await.unwrap();
    let token = client.tokens().token().await.unwrap();
    // Exercise the noisy paths: retries, re-issue, an unknown order outcome, a rejection.
    rig.server.inject(FaultRule::times(Fault::Status(503), 1));
    client.call_all(&InquireBalance { account: config.account.clone().unwrap() }).await.unwrap();
    rig.clock.set(hantu_core::domain::Timestamp::kst(common::day(), 10, 2));
    rig.server.expire_tokens();
    client.call(&InquirePrice { code: code("005930") }).await.unwrap();
    let new_token = client.tokens().token().await.unwrap();
    rig.server.inject(FaultRule::times(Fault::Timeout(Duration::from_secs(30)), 1).on("order-cash"));
    let unknown = broker.place(&approve(limit("005930", Side::Buy, 1, 65_000), 66_000, 0)).await.unwrap_err();
    let rejected = broker.place(&approve(limit("005930", Side::Sell, 5, 65_000), 66_000, 5)).await.unwrap_err();

    let (key, secret) = rig.server.app();
    let cano = rig.server.account()[..8].to_owned();
    let debug = format!("{config:?} {client:?} {broker:?} {token:?} {unknown:?} {rejected} {:?}", config.account);
    let logs = String::from_utf8(buf.0.lock().unwrap().clone()).unwrap();
    assert!(logs.contains("Issued KIS access token"), "the capture works");
    assert!(logs.contains("KIS call"));
    for (name, secret) in [
        ("app key", key.as_str()),
        ("app secret", secret.as_str()),
        ("token", token.secret().expose()),
        ("re-issued token", new_token.secret().expose()),
        ("account", cano.as_str()),
    ] {
        assert!(!logs.contains(secret), "{name} leaked into logs");
        assert!(!debug.contains(secret), "{name} leaked into Debug: {debug}");
    }
}
