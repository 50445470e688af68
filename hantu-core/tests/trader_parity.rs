//! Parity report: a paper session's bars, replayed through the backtest with the same strategy, give
//! the same orders and fills.
//!
//! The one structural difference, and its cause: the backtest fills a market order at the next bar's
//! open; the trader on paper decides on a bar when the first print of the next minute completes it,
//! and fills at the print after that (never on the print that produced the order). The two prices are
//! the same when a minute's first two prints are — the session below is built so — and differ by the
//! move between them otherwise. Orders the backtest decides on the last bar have no later bar and end
//! "backtest ended"; the trader never saw that bar complete.

use std::sync::Arc;

use chrono::NaiveDate;
use hantu_core::backtest::{Backtest, BacktestConfig};
use hantu_core::clock::SimClock;
use hantu_core::domain::{Money, OrderStatus, Price, StockCode, Tick, Timestamp};
use hantu_core::realtime::{FeedEvent, Trade};
use hantu_core::sim::PaperBroker;
use hantu_core::store::MemoryStore;
use hantu_core::strategies::{Params, by_name};
use hantu_core::trader::{MinuteBars, Trader, TraderConfig, Venue};

fn params() -> Params {
    [("fast".to_string(), 2.0), ("slow".to_string(), 4.0), ("weight".to_string(), 0.5)].into()
}

#[tokio::test]
async fn a_paper_session_replayed_through_the_backtest_gives_the_same_orders_and_fills() {
    let code = StockCode::new("005930");
    let day = NaiveDate::from_ymd_opt(2025, 7, 25).unwrap();
    let t0 = Timestamp::kst(day, 10, 0).millis();
    // 40 minutes of four prints each; a minute's first two prints are equal.
    let mut ticks = Vec::new();
    for m in 0..40_i64 {
        let p = 10_000 + 10 * ((8.0 * (m as f64 / 3.0).sin()).round() as i64) * 5;
        for (k, px) in [p, p, p + 10, p - 10].into_iter().enumerate() {
            let ts = Timestamp::from_millis(t0 + m * 60_000 + i64::try_from(k).unwrap() * 10_000 + 1);
            ticks.push(Tick { code, ts, price: Price::new(px), qty: 1_000_000 });
        }
    }

    let clock = Arc::new(SimClock::new(Timestamp::from_millis(t0)));
    let paper = Arc::new(
        PaperBroker::new().with_cash(Money::from_won(100_000_000)).with_clock(clock.clone()).with_fill_on_next_price(),
    );
    let cfg = TraderConfig {
        engine: hantu_core::engine::EngineConfig { cash: Money::from_won(100_000_000), ..Default::default() },
        ..TraderConfig::default()
    };
    let mut trader = Trader::new(
        cfg,
        by_name("sma-cross", &params()).unwrap(),
        Venue::Paper(paper),
        Arc::new(MemoryStore::new()),
        clock.clone(),
        &[code],
    )
    .unwrap();
    trader.set_prev_closes(&[(code, Price::new(10_000))]);
    trader.start().await.unwrap();
    for (i, t) in ticks.iter().enumerate() {
        clock.set(t.ts);
        trader.on_event(FeedEvent::Trade(Trade { tick: *t, cum_volume: i as u64 + 1 })).await.unwrap();
    }

    // The bars the session built, every minute (the last one included: the backtest may decide on it).
    let mut builder = MinuteBars::new();
    let mut bars: Vec<_> = ticks.iter().filter_map(|t| builder.push(t)).collect();
    bars.extend(builder.flush_until(Timestamp::from_millis(i64::MAX / 2)));
    let report = Backtest::new(BacktestConfig::default().with_cash(100_000_000))
        .run(&bars, &mut by_name("sma-cross", &params()).unwrap())
        .unwrap();

    let live: Vec<_> = trader.engine().fills().iter().map(|f| (f.side, f.qty, f.price)).collect();
    let backtest: Vec<_> = report.fills.iter().map(|f| (f.side, f.qty, f.price)).collect();
    assert!(live.len() >= 3, "the session traded: {live:?}");
    assert_eq!(live, backtest, "same fills");
    let orders = |o: &[hantu_core::domain::Order]| -> Vec<_> {
        o.iter()
            .filter(|o| o.reason.as_deref() != Some("backtest ended"))
            .map(|o| (o.request.side, o.request.qty, o.request.kind, o.status == OrderStatus::Filled))
            .collect()
    };
    let mut live_orders = trader.engine().finished_orders().to_vec();
    live_orders.extend(trader.engine().open_orders().iter().cloned());
    let live_orders: Vec<_> = orders(&live_orders).into_iter().filter(|o| o.3).collect();
    assert_eq!(live_orders, orders(&report.orders), "same orders");
}
