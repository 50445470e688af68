//! The real-time client ([`KisFeed`]) over a real WebSocket on 127.0.0.1 against the scripted server:
//! subscribe/unsubscribe, every control reply, the registration budget, PINGPONG, multi-record and
//! malformed frames, notices, silence, a slow consumer, and reconnects with gap-fill that leave the
//! consumer's trades — and the bars built from them — equal to the server's tape.

use std::time::Duration;

use chrono::NaiveTime;
use hantu_core::domain::{Bar, StockCode};
use hantu_core::realtime::{BarBuilder, Channel, Feed, FeedError, FeedEvent, NoticeKind, Subscription, Trade};
use hantu_kis::ws::KisFeed;

use super::feed_script::{Script, tape, trade_frame};

fn trades(code: &str, priority: u8) -> Subscription {
    Subscription { channel: Channel::Trades, code: Some(StockCode::new(code)), priority }
}

async fn start() -> (Script, KisFeed) {
    let script = Script::start().await;
    let client = script.client();
    let feed = KisFeed::connect(client.clone(), script.feed_config(&client)).await.unwrap();
    (script, feed)
}

/// The next event matching `want`, skipping others; panics after 10 s.
async fn until(feed: &mut KisFeed, mut want: impl FnMut(&FeedEvent) -> bool) -> FeedEvent {
    let wait = async {
        loop {
            match feed.next_event().await {
                Some(ev) if want(&ev) => return ev,
                Some(_) => {}
                None => panic!("feed ended"),
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(10), wait).await.expect("event within 10 s")
}

async fn eventually(mut cond: impl FnMut() -> bool) {
    for _ in 0..500 {
        if cond() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("condition not reached within 5 s");
}

#[tokio::test]
async fn subscribe_unsubscribe_and_each_control_reply() {
    let (script, mut feed) = start().await;
    feed.subscribe(trades("005930", 5)).await.unwrap();
    assert_eq!(script.registrations(), 1);
    // Registering the same code again sends nothing.
    feed.subscribe(trades("005930", 5)).await.unwrap();
    assert_eq!(script.requests().len(), 1);
    assert!(script.requests()[0].contains("\"tr_type\":\"1\""));
    feed.unsubscribe(trades("005930", 5)).await.unwrap();
    assert_eq!(script.registrations(), 0);
    assert!(script.requests()[1].contains("\"tr_type\":\"2\""));

    // OPSP0002 (already subscribed, e.g. after a reconnect) is success.
    script.refuse("H0STCNT0", "000660", "1", "OPSP0002", "ALREADY IN SUBSCRIBE");
    feed.subscribe(trades("000660", 5)).await.unwrap();
    // Other refusals are typed errors with KIS's code.
    script.refuse("H0STCNT0", "035720", "1", "OPSP8992", "SUBSCRIBE ERROR : invalid tr_key");
    let err = feed.subscribe(trades("035720", 5)).await.unwrap_err();
    assert!(matches!(&err, FeedError::Refused { code, .. } if code == "OPSP8992"), "{err:?}");
    // The server's own limit (OPSP0008) also comes back typed.
    script.set_budget(1);
    feed.subscribe(trades("005930", 5)).await.unwrap();
    let err = feed.subscribe(trades("005380", 5)).await.unwrap_err();
    assert!(matches!(&err, FeedError::Refused { code, .. } if code == "OPSP0008"), "{err:?}");
    // Notices without a code, book with one.
    script.set_budget(41);
    feed.subscribe(Subscription { channel: Channel::Notices, code: None, priority: 9 }).await.unwrap();
    feed.subscribe(Subscription { channel: Channel::Book, code: Some(StockCode::new("005930")), priority: 1 })
        .await
        .unwrap();
    assert!(script.requests().iter().any(|r| r.contains("H0STCNI0") && r.contains("myhtsid")));
    assert!(script.requests().iter().any(|r| r.contains("H0STASP0")));
    feed.close().await;
}

#[tokio::test]
async fn the_forty_second_registration_is_refused_or_displaces_a_less_important_one() {
    let (script, mut feed) = start().await;
    for i in 0..41u32 {
        feed.subscribe(trades(&format!("{:06}", 100 + i), 1)).await.unwrap();
    }
    assert_eq!(script.registrations(), 41);
    let err = feed.subscribe(trades("900000", 1)).await.unwrap_err();
    assert_eq!(err, FeedError::OverBudget { subscription: trades("900000", 1), budget: 41 });
    feed.subscribe(trades("900000", 7)).await.unwrap();
    let ev = until(&mut feed, |e| matches!(e, FeedEvent::Unsubscribed { .. })).await;
    let FeedEvent::Unsubscribed { subscription, reason } = ev else { unreachable!() };
    assert_eq!(subscription.code, Some(StockCode::new("000140")));
    assert!(reason.contains("displaced"), "{reason}");
    eventually(|| script.registrations() == 41).await;
}

#[tokio::test]
async fn pingpong_is_echoed_and_frames_split_into_records() {
    let (script, mut feed) = start().await;
    let ping = r#"{"header":{"tr_id":"PINGPONG","datetime":"20250725094731"}}"#;
    script.send_raw(ping);
    eventually(|| script.echoed().iter().any(|e| e == ping)).await;

    feed.subscribe(trades("005930", 5)).await.unwrap();
    let tape = tape("005930", NaiveTime::from_hms_opt(9, 30, 0).unwrap(), 3, 1_000, 1);
    script.trades(&tape);
    let mut got = Vec::new();
    while got.len() < 3 {
        if let FeedEvent::Trade(t) = until(&mut feed, |e| matches!(e, FeedEvent::Trade(_))).await {
            got.push(t);
        }
    }
    assert_eq!(got, tape);
}

#[tokio::test]
async fn malformed_frames_are_typed_and_the_connection_stays_up() {
    let (script, mut feed) = start().await;
    feed.subscribe(trades("005930", 5)).await.unwrap();
    let tape = tape("005930", NaiveTime::from_hms_opt(9, 30, 0).unwrap(), 2, 1_000, 2);
    let bad_price = trade_frame(&tape[..1]).replacen("^70", "^7x", 1);
    for (raw, field) in [
        (bad_price.as_str(), "STCK_PRPR"),
        ("0|H0STCNT0|abc|x", "<frame>.count"),
        ("{not json", "<body>"),
        ("0|H0STCNT0|001|005930^1^2", "<frame>.payload"),
    ] {
        script.send_raw(raw);
        let ev = until(&mut feed, |e| matches!(e, FeedEvent::Malformed { .. })).await;
        let FeedEvent::Malformed { field: got, .. } = ev else { unreachable!() };
        assert_eq!(got, field, "{raw}");
    }
    script.trades(&tape);
    let ev = until(&mut feed, |e| matches!(e, FeedEvent::Trade(_))).await;
    assert_eq!(ev, FeedEvent::Trade(tape[0]));
    assert_eq!(script.connections(), 1);
    assert_eq!(feed.stats().malformed, 4);
}

#[tokio::test]
async fn notices_are_decrypted_with_the_subscribe_key() {
    let (script, mut feed) = start().await;
    feed.subscribe(Subscription { channel: Channel::Notices, code: None, priority: 9 }).await.unwrap();
    let sample: serde_json::Value = serde_json::from_str(include_str!("../../test_data/ws-H0STCNI0.json")).unwrap();
    script.send_raw(sample["raw_frame_fill"].as_str().unwrap());
    let ev = until(&mut feed, |e| matches!(e, FeedEvent::Notice(_))).await;
    let FeedEvent::Notice(n) = ev else { unreachable!() };
    assert_eq!((n.kind, n.qty, n.price.map(|p| p.won())), (NoticeKind::Fill, 4, Some(65_800)));
    assert_eq!(n.broker_order_no, "0000117057");
}

#[tokio::test]
async fn appkey_in_use_is_a_typed_refusal_and_the_feed_reconnects() {
    let (script, mut feed) = start().await;
    script.refuse("H0STCNT0", "005930", "9", "OPSP8996", "ALREADY IN USE appkey");
    let err = feed.subscribe(trades("005930", 5)).await.unwrap_err();
    assert!(matches!(&err, FeedError::Refused { code, .. } if code == "OPSP8996"), "{err:?}");
    let ev = until(&mut feed, |e| matches!(e, FeedEvent::Disconnected { .. })).await;
    assert!(matches!(ev, FeedEvent::Disconnected { reason } if reason.contains("OPSP8996")));
    until(&mut feed, |e| matches!(e, FeedEvent::Connected { attempt: 1 })).await;
}

#[tokio::test]
async fn a_silent_socket_counts_as_dead() {
    let script = Script::start().await;
    let client = script.client();
    let config = script.feed_config(&client).with_silence(Duration::from_millis(300));
    let mut feed = KisFeed::connect(client, config).await.unwrap();
    feed.subscribe(trades("005930", 5)).await.unwrap();
    let ev = until(&mut feed, |e| matches!(e, FeedEvent::Disconnected { .. })).await;
    assert!(matches!(ev, FeedEvent::Disconnected { reason } if reason.contains("no frame")));
    until(&mut feed, |e| matches!(e, FeedEvent::Connected { attempt: 1 })).await;
    eventually(|| script.registrations() == 1).await;
    assert!(feed.stats().reconnects >= 1);
}

#[tokio::test]
async fn a_slow_consumer_loses_book_snapshots_counted_but_never_trades() {
    let script = Script::start().await;
    let client = script.client();
    let mut feed = KisFeed::connect(client.clone(), script.feed_config(&client).with_capacity(8)).await.unwrap();
    feed.subscribe(trades("005930", 5)).await.unwrap();
    feed.subscribe(Subscription { channel: Channel::Book, code: Some(StockCode::new("005930")), priority: 1 })
        .await
        .unwrap();
    let sample: serde_json::Value = serde_json::from_str(include_str!("../../test_data/ws-H0STASP0.json")).unwrap();
    let book = sample["raw_frame"].as_str().unwrap();
    let tape = tape("005930", NaiveTime::from_hms_opt(9, 30, 0).unwrap(), 40, 1_000, 3);
    for chunk in tape.chunks(4) {
        for _ in 0..10 {
            script.send_raw(book);
        }
        script.trades(chunk);
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (mut got, mut lagging) = (Vec::new(), false);
    while got.len() < tape.len() {
        match until(&mut feed, |_| true).await {
            FeedEvent::Trade(t) => got.push(t),
            FeedEvent::Lagging { .. } => lagging = true,
            _ => {}
        }
    }
    assert_eq!(got, tape);
    assert!(lagging);
    assert!(feed.stats().dropped_books > 0);
}

fn bars(trades: &[Trade]) -> Vec<Bar> {
    let mut b = BarBuilder::new(1).unwrap();
    let mut out: Vec<Bar> = trades.iter().filter_map(|t| b.push(t)).collect();
    b.finish(&mut out);
    out.sort_by_key(|b| (b.ts, b.code));
    out
}

/// The key test: the socket drops three times during the session, trades happen while the client is
/// away, and what the consumer sees — every trade once, in order, and the bars built from them —
/// equals the server's tape.
#[tokio::test]
async fn reconnects_with_gap_fill_leave_no_hole_and_no_duplicate() {
    let (script, mut feed) = start().await;
    let codes = ["005930", "000660"];
    for c in codes {
        feed.subscribe(trades(c, 5)).await.unwrap();
    }
    let start = NaiveTime::from_hms_opt(9, 0, 0).unwrap();
    let tapes: Vec<Vec<Trade>> =
        codes.iter().enumerate().map(|(i, c)| tape(c, start, 200, 10_000, 7 + i as u64)).collect();
    let mut got: Vec<Trade> = Vec::new();
    let mut gaps = 0;
    let mut take = |ev: FeedEvent, got: &mut Vec<Trade>| match ev {
        FeedEvent::Trade(t) => got.push(t),
        FeedEvent::Gap(g) if g.code.is_some() => gaps += 1,
        _ => {}
    };
    // Four stretches of 50 trades a code; between them the socket drops and 15 trades a code
    // happen while the client is away (the last 15 of the stretch are recorded, not sent).
    for round in 0..4 {
        let (from, to) = (round * 50, round * 50 + 50);
        let cut = if round < 3 { to - 15 } else { to };
        for (i, c) in codes.iter().enumerate() {
            if round > 0 {
                // The first trade after a drop shows the gap; the client asks REST for the recent
                // executions before the next 30 trades happen (KIS lists the latest 30).
                script.trades(&tapes[i][from..from + 1]);
                let code = StockCode::new(c);
                loop {
                    let ev = until(&mut feed, |_| true).await;
                    let filled = matches!(&ev, FeedEvent::Gap(g) if g.code == Some(code));
                    take(ev, &mut got);
                    if filled {
                        break;
                    }
                }
            }
            let first = if round > 0 { from + 1 } else { from };
            for chunk in tapes[i][first..cut].chunks(7) {
                script.trades(chunk);
            }
        }
        if round < 3 {
            script.drop_all();
            loop {
                let ev = until(&mut feed, |_| true).await;
                let lost = matches!(ev, FeedEvent::Disconnected { .. });
                take(ev, &mut got);
                if lost {
                    break;
                }
            }
            for (i, _) in codes.iter().enumerate() {
                script.trades_unsent(&tapes[i][cut..to]);
            }
            loop {
                let ev = until(&mut feed, |_| true).await;
                let back = matches!(ev, FeedEvent::Connected { .. });
                take(ev, &mut got);
                if back {
                    break;
                }
            }
        }
    }
    while got.len() < 400 {
        let ev = until(&mut feed, |_| true).await;
        take(ev, &mut got);
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    while let Ok(Some(ev)) = tokio::time::timeout(Duration::from_millis(50), feed.next_event()).await {
        take(ev, &mut got);
    }
    for (i, c) in codes.iter().enumerate() {
        let mine: Vec<Trade> = got.iter().copied().filter(|t| t.tick.code == StockCode::new(c)).collect();
        assert_eq!(mine.len(), 200, "{c}: no missing, no duplicated trade");
        assert_eq!(mine, tapes[i], "{c}: the server's trades, in order");
        assert_eq!(script.tape(StockCode::new(c)), tapes[i]);
    }
    let server: Vec<Trade> = tapes.concat();
    assert_eq!(bars(&got), bars(&server));
    assert_eq!(gaps, 6, "one gap per code per drop");
    let stats = feed.stats();
    assert_eq!((stats.reconnects, stats.recovered, stats.shortfall), (3, 90, 0));
    assert!(script.ccnl_calls() >= 6);
}
