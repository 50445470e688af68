//! The real-time client ([`KisFeed`]) against the local KIS server over a real WebSocket on
//! 127.0.0.1: the server drops the socket three times during a session while its market keeps
//! trading, and the client's trades and the bars it builds equal the server's tape and minute bars —
//! no missing and no duplicated trade. Also: PINGPONG, a garbage frame and a duplicated frame,
//! and notices matched to REST fills exactly once.

use std::time::Duration;

use chrono::{Duration as Minutes, NaiveTime, Timelike};
use hantu_core::broker::Broker;
use hantu_core::domain::{Bar, Price, Side, StockCode, Timestamp};
use hantu_core::realtime::{BarBuilder, Channel, Feed, FeedEvent, NoticeKind, Subscription, Trade};
use hantu_kis::Environment;
use hantu_kis::mock::WsFault;
use hantu_kis::ws::{Backoff, FeedConfig, KisFeed};

use crate::common::{Rig, approve, day, limit};
use crate::ws_common::at_hms;

fn fast(config: FeedConfig) -> FeedConfig {
    config.with_backoff(Backoff {
        initial: Duration::from_millis(50),
        max: Duration::from_millis(200),
        factor: 2.0,
        jitter: 0.5,
    })
}

async fn feed(rig: &Rig) -> KisFeed {
    let client = rig.client();
    let config =
        fast(FeedConfig::for_client(&client).with_ws_url(rig.server.ws_url()).with_hts_id(rig.server.hts_id()));
    KisFeed::connect(client, config).await.unwrap()
}

fn trades(code: &str) -> Subscription {
    Subscription { channel: Channel::Trades, code: Some(StockCode::new(code)), priority: 5 }
}

/// Events until `stop` says so (10 s at most), every trade collected into `got`.
async fn read_until(feed: &mut KisFeed, got: &mut Vec<Trade>, mut stop: impl FnMut(&FeedEvent) -> bool) {
    let wait = async {
        loop {
            let ev = feed.next_event().await.expect("feed open");
            if let FeedEvent::Trade(t) = &ev {
                got.push(*t);
            }
            if stop(&ev) {
                return;
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(10), wait).await.expect("event within 10 s");
}

/// Whatever arrives within `wait`.
async fn drain(feed: &mut KisFeed, got: &mut Vec<Trade>, wait: Duration) {
    while let Ok(Some(ev)) = tokio::time::timeout(wait, feed.next_event()).await {
        if let FeedEvent::Trade(t) = ev {
            got.push(t);
        }
    }
}

fn built_bars(trades: &[Trade]) -> Vec<Bar> {
    let mut b = BarBuilder::new(1).unwrap();
    let mut out: Vec<Bar> = trades.iter().filter_map(|t| b.push(t)).collect();
    b.finish(&mut out);
    out.sort_by_key(|x| (x.code, x.ts));
    out
}

/// The server's minute bars (stamped at the minute's start) as bars stamped at its end.
fn server_bars(rig: &Rig, code: StockCode) -> Vec<Bar> {
    rig.server
        .minute_bars(code)
        .into_iter()
        .map(|(start, [o, h, l, c], volume)| Bar {
            code,
            ts: Timestamp::from_kst(day().and_time(start) + Minutes::minutes(1)),
            open: Price::new(o),
            high: Price::new(h),
            low: Price::new(l),
            close: Price::new(c),
            volume,
        })
        .collect()
}

#[tokio::test]
async fn three_dropped_sockets_leave_no_hole_and_no_duplicate_and_bars_equal_the_servers() {
    // Two trades a second per stock; the clock walks in 3-second steps (six trades per stock).
    let rig = Rig::with(Environment::Real, |c| c.with_tape(11, 2.0)).await;
    at_hms(&rig, 9, 0, 0);
    let mut feed = feed(&rig).await;
    let codes = [StockCode::new("005930"), StockCode::new("000660")];
    for c in codes {
        feed.subscribe(trades(c.as_str())).await.unwrap();
    }
    let mut got: Vec<Trade> = Vec::new();
    let mut secs = 0u32;
    let step = |rig: &Rig, secs: &mut u32| {
        *secs += 3;
        at_hms(rig, 9, *secs / 60, *secs % 60);
    };
    for round in 0..4 {
        for _ in 0..25 {
            step(&rig, &mut secs);
            drain(&mut feed, &mut got, Duration::from_millis(60)).await;
        }
        if round == 3 {
            break;
        }
        rig.server.inject_ws(WsFault::Drop);
        step(&rig, &mut secs);
        read_until(&mut feed, &mut got, |e| matches!(e, FeedEvent::Disconnected { .. })).await;
        // The market trades on while the client is away (12 trades a stock, inside REST's 30).
        step(&rig, &mut secs);
        step(&rig, &mut secs);
        read_until(&mut feed, &mut got, |e| matches!(e, FeedEvent::Connected { .. })).await;
        // The first trades after the gap show it; both stocks are filled over REST.
        step(&rig, &mut secs);
        let mut filled = 0;
        read_until(&mut feed, &mut got, |e| {
            filled += usize::from(matches!(e, FeedEvent::Gap(g) if g.code.is_some()));
            filled == codes.len()
        })
        .await;
    }
    // Everything the server traded up to now arrives.
    for _ in 0..100 {
        let want: usize = codes.iter().map(|c| rig.server.trades(*c).len()).sum();
        if got.len() >= want {
            break;
        }
        drain(&mut feed, &mut got, Duration::from_millis(100)).await;
    }
    drain(&mut feed, &mut got, Duration::from_millis(200)).await;
    for code in codes {
        let server: Vec<(NaiveTime, i64, u64, u64)> = rig
            .server
            .trades(code)
            .iter()
            .map(|t| (t.time.with_nanosecond(0).unwrap(), t.price, t.qty, t.volume))
            .collect();
        let mine: Vec<(NaiveTime, i64, u64, u64)> = got
            .iter()
            .filter(|t| t.tick.code == code)
            .map(|t| (t.tick.ts.kst_datetime().time(), t.tick.price.won(), t.tick.qty, t.cum_volume))
            .collect();
        assert!(server.len() > 200, "{code}: a session's worth of trades ({})", server.len());
        assert_eq!(mine.len(), server.len(), "{code}: no missing and no duplicated trade");
        assert_eq!(mine, server, "{code}: the server's trades, in order");
        let mine_bars: Vec<Bar> = built_bars(&got).into_iter().filter(|b| b.code == code).collect();
        assert_eq!(mine_bars, server_bars(&rig, code), "{code}: live bars equal the server's minute bars");
    }
    let stats = feed.stats();
    assert_eq!(stats.reconnects, 3);
    assert_eq!(stats.shortfall, 0);
    assert!(stats.recovered >= 3 * 2 * 12, "{stats:?}");
}

#[tokio::test]
async fn pingpong_garbage_and_duplicate_frames_do_not_disturb_the_stream() {
    let rig =
        Rig::with(Environment::Real, |c| c.with_tape(5, 2.0).with_ping_interval(Duration::from_millis(100))).await;
    at_hms(&rig, 9, 30, 0);
    let mut feed = feed(&rig).await;
    feed.subscribe(trades("005930")).await.unwrap();
    let mut got = Vec::new();
    rig.server.inject_ws(WsFault::Garbage);
    for s in 1..=10 {
        at_hms(&rig, 9, 30, s * 2);
        if s == 5 {
            rig.server.inject_ws(WsFault::Duplicate);
        }
        drain(&mut feed, &mut got, Duration::from_millis(60)).await;
    }
    drain(&mut feed, &mut got, Duration::from_millis(300)).await;
    let server = rig.server.trades(StockCode::new("005930"));
    let from = server.len() - got.len();
    let want: Vec<u64> = server[from..].iter().map(|t| t.volume).collect();
    assert_eq!(got.iter().map(|t| t.cum_volume).collect::<Vec<_>>(), want, "each trade once, in order");
    let stats = feed.stats();
    assert_eq!(stats.malformed, 1, "{stats:?}");
    assert!(stats.duplicates >= 1, "{stats:?}");
    assert_eq!(stats.reconnects, 0, "PINGPONG answered, garbage skipped: the connection stayed up");
    assert!(rig.server.stats().ws_pongs > 0);
}

#[tokio::test]
async fn notices_are_decrypted_and_match_rest_fills_exactly_once() {
    let rig = Rig::with(Environment::Paper, |c| c.with_tape(3, 5.0).with_hts_id("tester01")).await;
    let mut feed = feed(&rig).await;
    feed.subscribe(Subscription { channel: Channel::Notices, code: None, priority: 9 }).await.unwrap();
    let broker = rig.broker();
    let price = rig.server.trades(StockCode::new("035720")).last().unwrap().price;
    let order = broker.place(&approve(limit("035720", Side::Buy, 7, price + 500), price, 0)).await.unwrap();
    let mut notices = Vec::new();
    let wait = async {
        while notices.len() < 2 {
            if let FeedEvent::Notice(n) = feed.next_event().await.expect("feed open") {
                notices.push(n);
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(10), wait).await.expect("notices within 10 s");
    let mut more = Vec::new();
    let extra = async {
        while let Ok(Some(ev)) = tokio::time::timeout(Duration::from_millis(300), feed.next_event()).await {
            if let FeedEvent::Notice(n) = ev {
                more.push(n);
            }
        }
    };
    extra.await;
    assert!(more.is_empty(), "no notice twice: {more:?}");
    let kinds: Vec<(&str, NoticeKind)> = notices.iter().map(|n| (n.broker_order_no.as_str(), n.kind)).collect();
    assert_eq!(
        kinds,
        vec![(order.broker_id.as_str(), NoticeKind::Accepted), (order.broker_id.as_str(), NoticeKind::Fill)]
    );
    let fills = rig.server.fills();
    assert_eq!(fills.len(), 1);
    let n = &notices[1];
    assert_eq!(
        (n.qty, n.price.map(|p| p.won()), n.order_qty, n.side),
        (fills[0].qty, Some(fills[0].price), 7, Side::Buy)
    );
}

#[tokio::test]
async fn printed_trades_reach_the_socket_with_growing_volume_and_a_dropped_socket_is_gap_filled() {
    let rig = Rig::start(Environment::Real).await;
    let code = StockCode::new("005930");
    let p0 = rig.server.price(code).unwrap();
    let mut feed = feed(&rig).await;
    feed.subscribe(trades("005930")).await.unwrap();
    let mut got = Vec::new();
    read_until(&mut feed, &mut got, |e| matches!(e, FeedEvent::Connected { .. })).await;
    for i in 0..3 {
        assert!(rig.server.print_trade(code, p0 + 100 * i, 10));
    }
    let mut n = 0;
    read_until(&mut feed, &mut got, |e| {
        n += usize::from(matches!(e, FeedEvent::Trade(_)));
        n == 3
    })
    .await;
    assert_eq!(got.iter().map(|t| t.tick.price.won()).collect::<Vec<_>>(), [p0, p0 + 100, p0 + 200]);
    let cums: Vec<u64> = got.iter().map(|t| t.cum_volume).collect();
    assert!(cums.windows(2).all(|w| w[1] == w[0] + 10), "{cums:?}");
    assert_eq!(rig.server.price(code), Some(p0 + 200), "a print moves the price");

    // Prints made while the socket is down come back over REST, once each.
    rig.server.inject_ws(WsFault::Drop);
    rig.server.print_trade(code, p0 + 100, 7);
    read_until(&mut feed, &mut got, |e| matches!(e, FeedEvent::Disconnected { .. })).await;
    for i in 0..4 {
        rig.server.print_trade(code, p0 + 100 * (i % 2), 7);
    }
    let (back, filled) = (std::cell::Cell::new(false), std::cell::Cell::new(None));
    let watch = |e: &FeedEvent| match e {
        FeedEvent::Connected { attempt } if *attempt > 0 => back.set(true),
        FeedEvent::Gap(g) if g.code.is_some() => filled.set(Some(g.recovered)),
        _ => {}
    };
    read_until(&mut feed, &mut got, |e| {
        watch(e);
        back.get()
    })
    .await;
    // A print after the reconnect shows the jump in volume, which the feed fills over REST.
    rig.server.print_trade(code, p0, 1);
    read_until(&mut feed, &mut got, |e| {
        watch(e);
        filled.get().is_some()
    })
    .await;
    drain(&mut feed, &mut got, Duration::from_millis(300)).await;
    let cums: Vec<u64> = got.iter().map(|t| t.cum_volume).collect();
    assert_eq!(got.len(), 9, "every print once: {cums:?}");
    assert!(cums.windows(2).all(|w| w[1] > w[0]), "in order, no duplicate: {cums:?}");
    assert_eq!(cums.last(), Some(&(30 + 7 * 5 + 1)));
    assert!(filled.get().is_some_and(|n| n > 0), "the gap was filled over REST");
    feed.close().await;

    // A server with generated trades keeps its own tape.
    let taped = Rig::with(Environment::Real, |c| c.with_tape(3, 5.0)).await;
    assert!(!taped.server.print_trade(code, p0, 1));
}
