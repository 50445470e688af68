//! Each injected fault gives the typed error or the recovery the design promises.

use std::time::Duration;

use hantu_core::broker::{Broker, BrokerError};
use hantu_core::domain::Side;
use hantu_kis::breaker::BreakerConfig;
use hantu_kis::mock::{Fault, FaultRule};
use hantu_kis::rest::InquirePrice;
use hantu_kis::{Environment, ErrorClass, KisBroker, KisClient, KisError, TransportKind};

use crate::common::{Rig, approve, code, limit};

fn price() -> InquirePrice {
    InquirePrice { code: code("005930") }
}

#[tokio::test]
async fn transient_read_failures_are_retried() {
    let rig = Rig::start(Environment::Real).await;
    let c = rig.client();
    for fault in [
        Fault::Status(503),
        Fault::Drop,
        Fault::Timeout(Duration::from_secs(30)),
        Fault::Latency(Duration::from_millis(200)),
    ] {
        rig.server.inject(FaultRule::times(fault.clone(), 1));
        let q = c.call(&price()).await.unwrap_or_else(|e| panic!("{fault:?}: {e}"));
        assert_eq!(q.base.won(), 66_000);
    }
    assert_eq!(rig.server.stats().faults, 4);
}

#[tokio::test]
async fn persistent_failure_gives_up_then_the_circuit_opens() {
    let rig = Rig::start(Environment::Real).await;
    let config = rig.config().with_breaker(BreakerConfig { threshold: 6, cooldown: Duration::from_secs(60) });
    let c = KisClient::new(config).unwrap();
    rig.server.inject(FaultRule::always(Fault::Status(502)));
    let err = c.call(&price()).await.unwrap_err();
    assert!(matches!(err, KisError::Http { status: 502, .. }), "{err}");
    assert_eq!(err.class(), ErrorClass::Retryable);
    let err = c.call(&price()).await.unwrap_err();
    assert!(matches!(err, KisError::Http { .. } | KisError::CircuitOpen { .. }), "{err}");
    let sent = rig.server.stats().requests;
    assert_eq!(sent, 6, "two calls of up to four attempts; the breaker stopped the second after six failures");
    let err = c.call(&price()).await.unwrap_err();
    assert!(matches!(err, KisError::CircuitOpen { .. }), "{err}");
    assert_eq!(rig.server.stats().requests, sent, "fails fast while open");
    assert!(matches!(hantu_kis::broker::broker_error(&err), BrokerError::Unavailable(_)));
}

#[tokio::test]
async fn malformed_replies_are_typed_parse_errors() {
    let rig = Rig::start(Environment::Real).await;
    let c = rig.client();
    rig.server.inject(FaultRule::times(Fault::MalformedJson, 1));
    let err = c.call(&price()).await.unwrap_err();
    assert!(matches!(&err, KisError::Parse { endpoint: "inquire-price", source } if source.field == "<body>"), "{err}");
    rig.server.inject(FaultRule::times(Fault::BadNumber, 1));
    let err = c.call(&price()).await.unwrap_err();
    match &err {
        KisError::Parse { source, .. } => {
            assert!(source.field.starts_with("output."), "{source}");
            assert!(source.value.ends_with('x'));
        }
        other => panic!("{other}"),
    }
    assert!(matches!(hantu_kis::broker::broker_error(&err), BrokerError::Malformed(_)));
}

#[tokio::test]
async fn a_timed_out_order_is_never_sent_twice() {
    let rig = Rig::start(Environment::Real).await;
    let broker = rig.broker();
    rig.server.inject(FaultRule::times(Fault::Timeout(Duration::from_secs(30)), 1).on("order-cash"));
    let order = approve(limit("005930", Side::Buy, 3, 65_000), 66_000, 0);
    let err = broker.place(&order).await.unwrap_err();
    assert!(matches!(&err, BrokerError::Unknown { client_id, .. } if client_id == &order.order().client_id), "{err}");
    assert_eq!(rig.server.stats().order_submissions, 1);
    // Reconcile: the server did take it.
    let open = broker.open_orders().await.unwrap();
    assert_eq!(open.len(), 1);
    assert_eq!(open[0].qty.get(), 3);
    assert_eq!(rig.server.stats().order_submissions, 1);
}

#[tokio::test]
async fn order_failures_map_to_what_happened() {
    let rig = Rig::start(Environment::Real).await;
    let broker = rig.broker();
    let order = || approve(limit("005930", Side::Buy, 1, 65_000), 66_000, 0);
    type Expect = fn(&BrokerError) -> bool;
    let cases: [(Fault, Expect); 4] = [
        (Fault::Drop, |e| matches!(e, BrokerError::Unknown { .. })),
        (Fault::Status(503), |e| matches!(e, BrokerError::Unknown { .. })),
        (Fault::RateLimit, |e| matches!(e, BrokerError::RateLimited(_))),
        (Fault::MalformedJson, |e| matches!(e, BrokerError::Unknown { .. })),
    ];
    for (fault, expected) in cases {
        let before = rig.server.stats().requests;
        rig.server.inject(FaultRule::times(fault.clone(), 1).on("order-cash"));
        let err = broker.place(&order()).await.unwrap_err();
        assert!(expected(&err), "{fault:?}: {err}");
        assert_eq!(rig.server.stats().requests, before + 1, "{fault:?}: sent exactly once");
    }
    // Drop and MalformedJson were processed by the server: two working orders to reconcile.
    assert_eq!(broker.open_orders().await.unwrap().len(), 2);
}

#[tokio::test]
async fn connection_refused_is_unavailable_not_unknown() {
    let rig = Rig::start(Environment::Real).await;
    let mut config = rig.config().with_retry(hantu_kis::retry::RetryPolicy::none());
    config.rest_url = "http://127.0.0.1:1".into();
    let err = KisClient::new(config).unwrap().tokens().token().await.unwrap_err();
    assert!(matches!(err, KisError::Transport { kind: TransportKind::Connect, .. }), "{err}");
    assert!(!err.outcome_unknown());
    let _ = KisBroker::new(rig.client()).unwrap();
}
