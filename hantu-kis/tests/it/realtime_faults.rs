//! Faults of the local server's WebSocket side, each switched on per test: a dropped socket,
//! a stall, a garbage frame, a duplicated frame, delayed notices; and one session per app key.

use std::time::Duration;

use hantu_core::broker::Broker;
use hantu_core::domain::Side;
use hantu_kis::Environment;
use hantu_kis::mock::WsFault;
use hantu_kis::ws::{DataFrame, FrameCipher, NoticeKind, OrderNotice, ServerMessage, opsp};

use crate::common::{Rig, approve, code, limit};
use crate::ws_common::{In, WsTest, at_hms};

async fn trading_rig() -> Rig {
    Rig::with(Environment::Real, |c| c.with_tape(9, 20.0).with_ping_interval(Duration::from_millis(200))).await
}

/// Waits (bounded) until the server has no live session.
async fn sessions_gone(rig: &Rig) {
    for _ in 0..250 {
        if rig.server.ws_sessions() == 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("the session was not released");
}

#[tokio::test]
async fn a_second_session_with_the_same_app_key_is_refused() {
    let rig = trading_rig().await;
    let mut first = WsTest::connect(&rig).await;
    assert_eq!(first.subscribe("H0STCNT0", "005930").await.msg_cd, opsp::SUBSCRIBED);
    let mut second = WsTest::connect(&rig).await;
    second.request("H0STASP0", "000660", true).await;
    let refused = second.control().await;
    assert_eq!((refused.rt_cd.as_str(), refused.msg_cd.as_str()), ("9", opsp::APPKEY_IN_USE));
    assert_eq!(refused.msg, "ALREADY IN USE appkey");
    assert!(matches!(second.recv().await, In::Closed | In::Broken), "the second connection is closed");
    assert_eq!(first.subscribe("H0STASP0", "000660").await.msg_cd, opsp::SUBSCRIBED, "the first is unaffected");
    drop(first);
    sessions_gone(&rig).await;
    let mut third = WsTest::connect(&rig).await;
    assert_eq!(third.subscribe("H0STCNT0", "005930").await.msg_cd, opsp::SUBSCRIBED, "free again once closed");
}

#[tokio::test]
async fn a_dropped_socket_breaks_without_a_close_frame_and_frees_the_key() {
    let rig = trading_rig().await;
    let mut ws = WsTest::connect(&rig).await;
    assert_eq!(ws.subscribe("H0STCNT0", "005930").await.msg_cd, opsp::SUBSCRIBED);
    rig.server.inject_ws(WsFault::Drop);
    loop {
        match ws.recv().await {
            In::Broken => break,
            In::Closed => panic!("a drop sends no close frame"),
            _ => {}
        }
    }
    sessions_gone(&rig).await;
    let mut again = WsTest::connect(&rig).await;
    assert_eq!(again.subscribe("H0STCNT0", "005930").await.msg_cd, opsp::SUBSCRIBED);
    assert_eq!(rig.server.stats().ws_faults, 1);
}

#[tokio::test]
async fn a_stall_sends_nothing_then_resumes_with_the_backlog() {
    let rig = trading_rig().await;
    let mut ws = WsTest::connect(&rig).await;
    assert_eq!(ws.subscribe("H0STCNT0", "005930").await.msg_cd, opsp::SUBSCRIBED);
    let before = rig.server.trades(code("005930")).len();
    rig.server.inject_ws(WsFault::Stall(Duration::from_secs(3)));
    // Let the stall start (the next pump applies it), then trade while stalled.
    tokio::time::sleep(Duration::from_millis(300)).await;
    while ws.recv_within(Duration::from_millis(1)).await.is_some() {}
    let pings = rig.server.stats().ws_pings;
    at_hms(&rig, 10, 0, 5);
    assert!(ws.recv_within(Duration::from_millis(1_000)).await.is_none(), "silent while stalled");
    assert_eq!(rig.server.stats().ws_pings, pings, "no keep-alive while stalled");
    let frames = ws.data_until(|f| f.iter().map(|t| DataFrame::parse(t).unwrap().count).sum::<usize>() >= 100).await;
    let sent: usize = frames.iter().map(|t| DataFrame::parse(t).unwrap().count).sum();
    assert_eq!(sent, 100, "the 5 s of trades at 20/s arrive after the stall");
    assert_eq!(rig.server.trades(code("005930")).len(), before + 100);
}

#[tokio::test]
async fn garbage_and_duplicate_frames() {
    let rig = trading_rig().await;
    let mut ws = WsTest::connect(&rig).await;
    assert_eq!(ws.subscribe("H0STCNT0", "005930").await.msg_cd, opsp::SUBSCRIBED);
    rig.server.inject_ws(WsFault::Garbage);
    let bad = loop {
        match ws.recv().await {
            In::Bad(t) => break t,
            In::Ping(_) => {}
            other => panic!("expected garbage, got {other:?}"),
        }
    };
    assert!(ServerMessage::parse(&bad).is_err());

    rig.server.inject_ws(WsFault::Duplicate);
    tokio::time::sleep(Duration::from_millis(200)).await;
    at_hms(&rig, 10, 0, 1);
    let frames = ws.data_until(|f| f.len() >= 2).await;
    assert_eq!(frames[0], frames[1], "the first data frame after the fault comes twice");
    assert!(ws.recv_within(Duration::from_millis(300)).await.is_none_or(|m| !matches!(m, In::Data(_))));
}

#[tokio::test]
async fn delayed_notices_arrive_after_rest_shows_the_fill() {
    let rig = trading_rig().await;
    let mut ws = WsTest::connect(&rig).await;
    let ack = ws.subscribe("H0STCNI0", &rig.server.hts_id()).await;
    let cipher = FrameCipher::new(ack.key.as_ref().unwrap(), ack.iv.as_ref().unwrap()).unwrap();
    rig.server.inject_ws(WsFault::DelayNotices(Duration::from_secs(2)));
    tokio::time::sleep(Duration::from_millis(200)).await;
    let broker = rig.broker();
    let price = rig.server.trades(code("005930")).last().unwrap().price;
    let placed = broker.place(&approve(limit("005930", Side::Buy, 2, price + 1_000), price, 0)).await.unwrap();
    let fills = broker.fills_since(hantu_core::domain::Timestamp::kst(crate::common::day(), 9, 0)).await.unwrap();
    assert_eq!(fills.len(), 1, "REST shows the fill at once");
    assert!(
        ws.recv_within(Duration::from_millis(800)).await.is_none_or(|m| !matches!(m, In::Data(_))),
        "the notice is held"
    );
    let frames = ws.data_until(|f| f.len() >= 2).await;
    let kinds: Vec<_> = frames
        .iter()
        .map(|t| {
            let n =
                OrderNotice::from_plaintext(&cipher.decrypt(DataFrame::parse(t).unwrap().payload).unwrap()).unwrap();
            assert_eq!(n.order_no, placed.broker_id);
            n.kind
        })
        .collect();
    assert_eq!(kinds, vec![NoticeKind::Accepted, NoticeKind::Fill]);
}
