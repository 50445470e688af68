//! The local server's real-time side over real WebSocket on 127.0.0.1: control replies and the
//! registration budget, PINGPONG, trade and book frames from the tape (multi-record frames
//! parsed by the crate's parsers, the same trades over REST), and encrypted notices that match
//! REST's fills.

use std::collections::HashMap;
use std::time::Duration;

use chrono::Timelike;

use hantu_core::broker::Broker;
use hantu_core::domain::Side;
use hantu_kis::Environment;
use hantu_kis::mock::{MockConfig, MockMarket};
use hantu_kis::rest::{FillFilter, InquireCcnl, InquireDailyCcld, InquireTimeItemChartPrice};
use hantu_kis::ws::{BookFrame, DataFrame, FrameCipher, NoticeKind, OrderNotice, TradeTick, opsp};

use crate::common::{Rig, approve, code, day, limit};
use crate::ws_common::{In, WsTest, at_hms};

#[tokio::test]
async fn every_control_reply_of_kis() {
    let rig = Rig::with(Environment::Real, |c| c.with_tape(1, 2.0)).await;
    let mut ws = WsTest::connect(&rig).await;

    let ok = ws.subscribe("H0STCNT0", "005930").await;
    assert_eq!((ok.rt_cd.as_str(), ok.msg_cd.as_str(), ok.msg.as_str()), ("0", opsp::SUBSCRIBED, "SUBSCRIBE SUCCESS"));
    assert_eq!((ok.tr_id.as_str(), ok.tr_key.as_str(), ok.encrypted), ("H0STCNT0", "005930", false));
    assert_eq!((ok.iv.as_ref().unwrap().len(), ok.key.as_ref().unwrap().len()), (16, 32));
    assert!(FrameCipher::new(ok.key.as_ref().unwrap(), ok.iv.as_ref().unwrap()).is_ok());

    let again = ws.subscribe("H0STCNT0", "005930").await;
    assert_eq!((again.rt_cd.as_str(), again.msg_cd.as_str()), ("1", opsp::ALREADY_SUBSCRIBED));
    assert!(again.is_ok(), "already subscribed is harmless");

    ws.request("H0STCNT0", "005930", false).await;
    let unsub = ws.control().await;
    assert_eq!((unsub.rt_cd.as_str(), unsub.msg_cd.as_str()), ("0", opsp::UNSUBSCRIBED));
    ws.request("H0STCNT0", "005930", false).await;
    let none = ws.control().await;
    assert_eq!((none.rt_cd.as_str(), none.msg_cd.as_str()), ("1", opsp::NOT_SUBSCRIBED));

    let notices = ws.subscribe("H0STCNI0", &rig.server.hts_id()).await;
    assert_eq!((notices.msg_cd.as_str(), notices.encrypted), (opsp::SUBSCRIBED, true));
    let paper_tr = ws.subscribe("H0STCNI9", &rig.server.hts_id()).await;
    assert_eq!(paper_tr.msg_cd, opsp::INVALID_TR_ID, "the paper notice TR on the real server");
    let wrong_hts = ws.subscribe("H0STCNI0", "someoneelse").await;
    assert_eq!(wrong_hts.msg_cd, opsp::INVALID_TR_KEY);
    let unknown_code = ws.subscribe("H0STASP0", "999999").await;
    assert_eq!(unknown_code.msg_cd, opsp::INVALID_TR_KEY);

    ws.send_text("{not json".into()).await;
    let bad = ws.control().await;
    assert_eq!((bad.rt_cd.as_str(), bad.msg_cd.as_str()), ("9", opsp::INVALID_JSON));

    let real_key = ws.approval.clone();
    ws.approval = "00000000-0000-4000-0000-000000000000".into();
    let invalid = ws.subscribe("H0STASP0", "005930").await;
    assert_eq!((invalid.rt_cd.as_str(), invalid.msg_cd.as_str()), ("1", opsp::INVALID_APPROVAL));
    assert_eq!(invalid.msg, "invalid approval : NOT FOUND");
    ws.approval = real_key;
    assert_eq!(ws.subscribe("H0STASP0", "005930").await.msg_cd, opsp::SUBSCRIBED, "the connection stays usable");
}

#[tokio::test]
async fn forty_one_registrations_per_session() {
    let rig = Rig::with(Environment::Real, |c| {
        let mut c2 = MockConfig::new(Environment::Real, MockMarket::synthetic(50, 5, day()));
        c2.app_key = c.app_key.clone();
        c2.app_secret = c.app_secret.clone();
        c2.clock = c.clock.clone();
        c2
    })
    .await;
    let mut ws = WsTest::connect(&rig).await;
    let key = |i: usize| format!("{:06}", i + 1);
    for i in 0..40 {
        assert_eq!(ws.subscribe("H0STCNT0", &key(i)).await.msg_cd, opsp::SUBSCRIBED, "registration {}", i + 1);
    }
    assert_eq!(ws.subscribe("H0STCNI0", &rig.server.hts_id()).await.msg_cd, opsp::SUBSCRIBED, "the 41st");
    let over = ws.subscribe("H0STASP0", &key(0)).await;
    assert_eq!(
        (over.rt_cd.as_str(), over.msg_cd.as_str(), over.msg.as_str()),
        ("1", opsp::MAX_SUBSCRIBE, "MAX SUBSCRIBE OVER")
    );
    ws.request("H0STCNT0", &key(3), false).await;
    assert_eq!(ws.control().await.msg_cd, opsp::UNSUBSCRIBED);
    assert_eq!(ws.subscribe("H0STASP0", &key(0)).await.msg_cd, opsp::SUBSCRIBED, "a freed slot is usable");
}

#[tokio::test]
async fn pingpong_is_sent_and_both_echo_styles_are_accepted() {
    let rig = Rig::with(Environment::Paper, |c| c.with_ping_interval(Duration::from_millis(100))).await;
    let mut ws = WsTest::connect(&rig).await;
    for echo_as_text in [true, false] {
        let raw = loop {
            if let In::Ping(raw) = ws.recv().await {
                break raw;
            }
        };
        assert!(raw.contains("\"tr_id\":\"PINGPONG\"") && raw.contains("\"datetime\":\"20250725100000\""), "{raw}");
        if echo_as_text {
            ws.pong_text(&raw).await;
        } else {
            ws.pong_frame(&raw).await;
        }
    }
    for _ in 0..100 {
        if rig.server.stats().ws_pongs >= 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let stats = rig.server.stats();
    assert!(stats.ws_pongs >= 2 && stats.ws_pings >= 2, "{stats:?}");
}

fn trades_of(frames: &[String]) -> (Vec<TradeTick>, usize) {
    let mut out = Vec::new();
    let mut multi = 0;
    for text in frames {
        let f = DataFrame::parse(text).unwrap();
        if f.tr_id == "H0STCNT0" {
            multi += usize::from(f.count > 1);
            let ticks = TradeTick::from_frame(&f).unwrap();
            assert_eq!(ticks.len(), f.count);
            out.extend(ticks);
        }
    }
    (out, multi)
}

#[tokio::test]
async fn trades_and_books_flow_from_the_tape_and_rest_serves_the_same_trades() {
    let rig = Rig::with(Environment::Real, |c| c.with_tape(42, 10.0)).await;
    let samsung = code("005930");
    let mut ws = WsTest::connect(&rig).await;
    assert_eq!(ws.subscribe("H0STCNT0", "005930").await.msg_cd, opsp::SUBSCRIBED);
    assert_eq!(ws.subscribe("H0STASP0", "005930").await.msg_cd, opsp::SUBSCRIBED);
    let before = rig.server.trades(samsung).len();
    assert_eq!(before, 10 * 3600, "09:00 to 10:00 at 10 trades/s");

    at_hms(&rig, 10, 0, 30);
    let frames = ws.data_until(|f| trades_of(f).0.len() >= 300 && f.iter().any(|t| t.starts_with("0|H0STASP0|"))).await;
    let (ticks, multi) = trades_of(&frames);
    assert_eq!(ticks.len(), 300, "exactly the trades of the 30 s, nothing before the registration");
    assert!(multi > 0, "trades batched into multi-record frames");
    let tape = rig.server.trades(samsung);
    assert_eq!(tape.len(), before + 300);
    let l = MockMarket::fixture(day());
    let listing = l.get(samsung).unwrap();
    let (lo, hi) = listing.limits(day());
    let grid = listing.ticks(day());
    for (tick, t) in ticks.iter().zip(&tape[before..]) {
        assert_eq!((tick.price.won(), tick.qty, tick.volume, tick.value), (t.price, t.qty, t.volume, t.value));
        assert_eq!(tick.time, t.time.with_nanosecond(0).unwrap());
        assert!(tick.price.won() >= lo && tick.price.won() <= hi && grid.is_on_tick(tick.price.won()));
        assert!(tick.ask == Some(tick.price) || tick.bid == Some(tick.price), "trades at the touch");
        assert_eq!(tick.date, day());
    }
    assert!(ticks.windows(2).all(|w| w[1].volume > w[0].volume), "cumulative volume strictly increases");

    let book_text = frames.iter().rev().find(|t| t.starts_with("0|H0STASP0|")).unwrap();
    let book = BookFrame::from_frame(&DataFrame::parse(book_text).unwrap()).unwrap().remove(0);
    assert_eq!((book.asks.len(), book.bids.len()), (10, 10));
    assert!(book.asks[0].0 > book.bids[0].0);
    assert!(book.asks.windows(2).all(|w| w[0].0 < w[1].0) && book.bids.windows(2).all(|w| w[0].0 > w[1].0));

    // REST: the latest 30 executions and today's minute bars are the same trades.
    let client = rig.client();
    let recent = client.call(&InquireCcnl { code: samsung }).await.unwrap().0;
    assert_eq!(recent.len(), 30);
    for (e, t) in recent.iter().zip(tape.iter().rev()) {
        assert_eq!((e.price.won(), e.qty, e.time), (t.price, t.qty, t.time.with_nanosecond(0).unwrap()));
    }
    let chart = client
        .call(&InquireTimeItemChartPrice { code: samsung, until: chrono::NaiveTime::from_hms_opt(10, 0, 30).unwrap() })
        .await
        .unwrap();
    let server_bars = rig.server.minute_bars(samsung);
    assert_eq!(server_bars.len(), 61);
    let newest = &chart.bars[0];
    let (t, p, v) = server_bars.last().unwrap();
    assert_eq!((newest.time, newest.close.won(), newest.volume), (*t, p[3], *v));
    let last_minute: u64 = tape.iter().filter(|x| x.time >= *t).map(|x| x.qty).sum();
    assert_eq!(*v, last_minute);
    assert_eq!(chart.last.map(|p| p.won()), Some(tape.last().unwrap().price));
}

#[tokio::test]
async fn notices_decrypt_and_match_rest_fills_once() {
    let rig = Rig::with(Environment::Paper, |c| c.with_tape(3, 5.0).with_hts_id("tester01")).await;
    let mut ws = WsTest::connect(&rig).await;
    let ack = ws.subscribe("H0STCNI9", "tester01").await;
    assert!(ack.encrypted);
    let cipher = FrameCipher::new(ack.key.as_ref().unwrap(), ack.iv.as_ref().unwrap()).unwrap();

    let broker = rig.broker();
    let price = rig.server.trades(code("035720")).last().unwrap().price;
    // Marketable: fills at once. Far below: rests unfilled.
    let filled = broker.place(&approve(limit("035720", Side::Buy, 7, price + 500), price, 0)).await.unwrap();
    let resting = broker.place(&approve(limit("035720", Side::Buy, 3, 35_000), price, 0)).await.unwrap();

    let frames = ws.data_until(|f| f.len() >= 3).await;
    let notices: Vec<OrderNotice> = frames
        .iter()
        .map(|t| {
            let f = DataFrame::parse(t).unwrap();
            assert!(f.encrypted && f.tr_id == "H0STCNI9" && f.count == 1);
            OrderNotice::from_plaintext(&cipher.decrypt(f.payload).unwrap()).unwrap()
        })
        .collect();
    let kinds: Vec<(String, NoticeKind)> = notices.iter().map(|n| (n.order_no.clone(), n.kind)).collect();
    assert_eq!(
        kinds,
        vec![
            (filled.broker_id.clone(), NoticeKind::Accepted),
            (filled.broker_id.clone(), NoticeKind::Fill),
            (resting.broker_id.clone(), NoticeKind::Accepted),
        ]
    );
    assert!(ws.recv_within(Duration::from_millis(300)).await.is_none_or(|m| matches!(m, In::Ping(_))), "no duplicates");

    let fills = rig.server.fills();
    assert_eq!(fills.len(), 1);
    let fill = &notices[1];
    assert_eq!((fill.qty, fill.price.map(|p| p.won()), fill.order_qty), (fills[0].qty, Some(fills[0].price), 7));
    assert_eq!(fills[0].exec_no, format!("{}-0001", filled.broker_id));

    // REST lists both orders with CCLD_DVSN 00, the resting one unfilled.
    let client = broker.client().clone();
    let rows = client
        .call_all(&InquireDailyCcld {
            account: client.config().account.clone().unwrap(),
            from: day(),
            to: day(),
            filter: FillFilter::All,
            code: None,
            order_no: None,
            legacy: false,
        })
        .await
        .unwrap()
        .orders;
    let by_no: HashMap<&str, _> = rows.iter().map(|r| (r.order_no.as_str(), r)).collect();
    let f = by_no[filled.broker_id.as_str()];
    assert_eq!((f.filled_qty, f.filled_amount), (7, fills[0].price * 7));
    let r = by_no[resting.broker_id.as_str()];
    assert_eq!((r.filled_qty, r.remaining_qty), (0, 3));
}
