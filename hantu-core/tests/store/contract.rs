//! The behaviour every `Store` must have, run against each implementation.

use chrono::NaiveDate;
use hantu_core::domain::{
    Bar, ClientOrderId, Fill, Fundamentals, Instrument, InstrumentKind, Market, Money, Order, OrderRequest,
    OrderStatus, Position, Price, Qty, Side, StockCode, Timestamp,
};
use hantu_core::store::{
    ApiCallRecord, DailyReturnRecord, EMERGENCY_STOP_KEY, EventKind, EventRecord, FirstHit, MemoryStore, OutcomeRecord,
    PredictionRecord, RegimeRecord, RunRecord, ScreenRunRecord, SelectionRecord, SqliteStore, Store, StoreError,
    TradeRecord, WatchlistEntryRecord, WeightsStatus, WeightsVersionRecord, emergency_stop,
};
use rust_decimal_macros::dec;
use serde_json::json;

pub fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

pub fn bar(code: &str, date: NaiveDate, close: i64) -> Bar {
    Bar::new_checked(
        StockCode::new(code),
        Timestamp::daily_close(date),
        Price::new(close),
        Price::new(close + 10),
        Price::new(close - 10),
        Price::new(close),
        1_000,
    )
    .unwrap()
}

pub fn order(id: &str, ts: i64) -> Order {
    let req =
        OrderRequest::limit(StockCode::new("005930"), Side::Buy, Qty::from_shares(10), Price::new(71_500)).unwrap();
    Order::new(ClientOrderId::new_checked(id).unwrap(), req, Timestamp::from_millis(ts))
}

fn journal(s: &dyn Store) {
    let mut o = order("run1-1", 1_000);
    s.journal_order(&o).unwrap();
    assert!(matches!(s.journal_order(&o), Err(StoreError::Constraint(_))));
    assert!(matches!(s.update_order(&order("never", 1)), Err(StoreError::NotFound(_))));

    o.transition(OrderStatus::Accepted, Timestamp::from_millis(2_000)).unwrap();
    o.broker_id = Some("0000117057".into());
    s.update_order(&o).unwrap();
    o.apply_fill(Qty::from_shares(4), Price::new(71_500), Timestamp::from_millis(3_000)).unwrap();
    s.update_order(&o).unwrap();
    let fill = Fill {
        client_id: o.client_id.clone(),
        code: o.request.code,
        side: Side::Buy,
        qty: Qty::from_shares(4),
        price: Price::new(71_500),
        commission: Money::new(dec!(42.9)),
        tax: Money::ZERO,
        ts: Timestamp::from_millis(3_000),
    };
    s.record_fill(&fill).unwrap();
    let stray = Fill { client_id: ClientOrderId::new_checked("ghost").unwrap(), ..fill.clone() };
    assert!(matches!(s.record_fill(&stray), Err(StoreError::NotFound(_))));

    let mut done = order("run1-2", 1_500);
    s.journal_order(&done).unwrap();
    done.transition(OrderStatus::Rejected, Timestamp::from_millis(1_600)).unwrap();
    done.reason = Some("insufficient cash".into());
    s.update_order(&done).unwrap();

    assert_eq!(s.order(&o.client_id).unwrap().as_ref(), Some(&o));
    assert_eq!(s.order(&done.client_id).unwrap().unwrap().reason.as_deref(), Some("insufficient cash"));
    assert_eq!(s.open_orders().unwrap(), vec![o.clone()]);
    let since = s.orders_since(Timestamp::from_millis(1_000)).unwrap();
    assert_eq!(since.iter().map(|x| x.client_id.as_str()).collect::<Vec<_>>(), ["run1-1", "run1-2"]);
    assert_eq!(since[1].status, OrderStatus::Rejected);
    assert_eq!(
        s.orders_since(Timestamp::from_millis(1_001)).unwrap(),
        vec![s.order(&done.client_id).unwrap().unwrap()]
    );
    assert!(s.orders_since(Timestamp::from_millis(1_501)).unwrap().is_empty());
    let history = s.order_history(&o.client_id).unwrap();
    let states: Vec<_> = history.iter().map(|h| (h.status, h.filled_qty.get(), h.updated.millis())).collect();
    assert_eq!(
        states,
        [
            (OrderStatus::PendingNew, 0, 1_000),
            (OrderStatus::Accepted, 0, 2_000),
            (OrderStatus::PartiallyFilled, 4, 3_000)
        ]
    );
    assert_eq!(history[0].broker_id, None);
    assert_eq!(history[2].broker_id.as_deref(), Some("0000117057"));
    assert_eq!(s.fills_for(&o.client_id).unwrap(), vec![fill.clone()]);
    assert_eq!(s.fills_since(Timestamp::from_millis(3_000)).unwrap(), vec![fill]);
    assert!(s.fills_since(Timestamp::from_millis(3_001)).unwrap().is_empty());
}

fn positions(s: &dyn Store) {
    assert!(s.positions().unwrap().is_empty());
    let p = Position {
        code: StockCode::new("005930"),
        qty: Qty::from_shares(4),
        cost: Money::new(dec!(286042.9)),
        realized_pnl: Money::new(dec!(-12.5)),
        last_price: Price::new(71_600),
        costs_paid: Money::new(dec!(42.9)),
    };
    s.save_positions(Timestamp::from_millis(10), std::slice::from_ref(&p)).unwrap();
    assert_eq!(s.positions().unwrap(), vec![p.clone()]);
    // A later flat snapshot means nothing is held, not "use the older one".
    s.save_positions(Timestamp::from_millis(20), &[]).unwrap();
    assert!(s.positions().unwrap().is_empty());
    s.save_positions(Timestamp::from_millis(20), std::slice::from_ref(&p)).unwrap();
    assert_eq!(s.positions().unwrap(), vec![p]);
}

fn market_data(s: &dyn Store) {
    let a = Instrument::stock(StockCode::new("005930"), "삼성전자", Market::Kospi, Some("제조".into()));
    let mut b = Instrument::stock(StockCode::new("069500"), "KODEX 200", Market::Kospi, None);
    b.kind = InstrumentKind::Etf;
    s.upsert_instruments(&[b.clone(), a.clone()]).unwrap();
    b.name = "KODEX 200 (renamed)".into();
    s.upsert_instruments(std::slice::from_ref(&b)).unwrap();
    assert_eq!(s.instruments().unwrap(), vec![a, b]);

    let bars: Vec<Bar> = (2..=6).map(|d| bar("005930", day(2024, 1, d), 70_000 + i64::from(d))).collect();
    assert_eq!(s.upsert_daily_bars(&bars).unwrap(), 5);
    let mut changed = bars[1];
    changed.volume = 7;
    s.upsert_daily_bars(&[changed]).unwrap();
    let got = s.daily_bars(StockCode::new("005930"), day(2024, 1, 3), day(2024, 1, 5)).unwrap();
    assert_eq!(got, vec![changed, bars[2], bars[3]]);
    assert!(s.daily_bars(StockCode::new("005930"), day(2024, 1, 5), day(2024, 1, 3)).unwrap().is_empty());
    assert!(s.daily_bars(StockCode::new("000660"), day(2000, 1, 1), day(2030, 1, 1)).unwrap().is_empty());

    // One bad bar refuses the whole batch.
    let mut broken = bar("000660", day(2024, 1, 3), 100);
    broken.high = Price::new(50);
    let batch = [bar("000660", day(2024, 1, 2), 100), broken];
    assert!(matches!(s.upsert_daily_bars(&batch), Err(StoreError::Constraint(_))));
    assert!(s.daily_bars(StockCode::new("000660"), day(2000, 1, 1), day(2030, 1, 1)).unwrap().is_empty());

    let m1 = Bar { ts: Timestamp::kst(day(2024, 1, 2), 9, 1), ..bars[0] };
    let m2 = Bar { ts: Timestamp::kst(day(2024, 1, 2), 9, 2), ..bars[0] };
    s.upsert_minute_bars(&[m2, m1]).unwrap();
    assert_eq!(s.minute_bars(m1.code, m1.ts, m2.ts).unwrap(), vec![m1, m2]);
    assert_eq!(s.minute_bars(m1.code, m2.ts, m2.ts).unwrap(), vec![m2]);

    let mut old = Fundamentals::unknown(StockCode::new("005930"), day(2024, 1, 2));
    old.per = Some(10.0);
    let mut new = Fundamentals::unknown(StockCode::new("005930"), day(2024, 6, 28));
    new.per = Some(12.5);
    new.market_cap = Some(426_000_000_000_000);
    new.listed_shares = Some(5_969_782_550);
    let other = Fundamentals::unknown(StockCode::new("000660"), day(2024, 3, 1));
    s.upsert_fundamentals(&[new.clone(), old, other.clone()]).unwrap();
    assert_eq!(s.latest_fundamentals().unwrap(), vec![other, new]);
}

fn entry(code: &str, rank: u32, score: f64) -> WatchlistEntryRecord {
    WatchlistEntryRecord {
        code: StockCode::new(code),
        rank,
        score,
        passed: rank < 3,
        criteria: vec![("liquidity".into(), 1.5e9), ("rsi".into(), 48.25)],
    }
}

fn pipeline(s: &dyn Store) {
    assert!(s.latest_watchlist().unwrap().is_none());
    let run = |ts| ScreenRunRecord {
        name: "default".into(),
        ts: Timestamp::from_millis(ts),
        universe_size: 2_900,
        config: json!({"min_value": 1e9}),
    };
    let first = s.save_screen_run(&run(100), &[entry("005930", 1, 0.9)]).unwrap();
    let entries = [entry("000660", 2, 0.5), entry("005930", 1, 0.8)];
    let second = s.save_screen_run(&run(200), &entries).unwrap();
    assert_ne!(first, second);
    let dup = [entry("000660", 1, 0.5), entry("005930", 1, 0.8)];
    assert!(matches!(s.save_screen_run(&run(300), &dup), Err(StoreError::Constraint(_))));
    let latest = s.latest_watchlist().unwrap().unwrap();
    assert_eq!(latest.run_id, second);
    assert_eq!(latest.run, run(200));
    assert_eq!(latest.entries, vec![entries[1].clone(), entries[0].clone()]);

    let pick = |code: &str, score: f64| SelectionRecord {
        date: day(2024, 7, 1),
        code: StockCode::new(code),
        class: "buy".into(),
        confidence: 0.7,
        score,
        weights_version: "w3".into(),
        screen_run_id: Some(second),
        factors: vec![("momentum".into(), 0.4), ("volume".into(), f64::NAN)],
        config: json!({"max_per_sector": 2}),
    };
    s.save_selections(&[pick("000660", 0.6), pick("005930", 0.9)]).unwrap();
    let mut upgraded = pick("000660", 0.95);
    upgraded.class = "strong_buy".into();
    s.save_selections(std::slice::from_ref(&upgraded)).unwrap();
    let got = s.selections_on(day(2024, 7, 1)).unwrap();
    assert_eq!(
        got.iter().map(|p| (p.code.as_str(), p.class.as_str())).collect::<Vec<_>>(),
        [("000660", "strong_buy"), ("005930", "buy")]
    );
    assert!(got[0].factors[1].1.is_nan());
    assert_eq!(got[0].config, json!({"max_per_sector": 2}));
    assert!(s.selections_on(day(2024, 7, 2)).unwrap().is_empty());
    let orphan = SelectionRecord { screen_run_id: Some(9_999), ..pick("035720", 0.1) };
    assert!(matches!(s.save_selections(&[orphan]), Err(StoreError::Constraint(_))));
    assert_eq!(s.selections_on(day(2024, 7, 1)).unwrap().len(), 2);

    let pred = |code: &str| PredictionRecord {
        date: day(2024, 7, 1),
        code: StockCode::new(code),
        horizon_days: 5,
        source: "selector".into(),
        class: "buy".into(),
        confidence: 0.7,
        expected_return: Some(0.03),
        weights_version: "w3".into(),
    };
    s.save_predictions(&[pred("005930"), pred("000660")]).unwrap();
    let outcome = OutcomeRecord {
        date: day(2024, 7, 1),
        code: StockCode::new("005930"),
        horizon_days: 5,
        source: "selector".into(),
        evaluated_on: day(2024, 7, 8),
        actual_return: 0.041,
        max_drawdown: -0.012,
        hit: true,
        entry_price: Some(Price::new(70_100)),
        max_favourable: 0.063,
        first_hit: FirstHit::Target,
        days_held: 4,
    };
    s.record_outcomes(std::slice::from_ref(&outcome)).unwrap();
    let unknown = OutcomeRecord { horizon_days: 20, ..outcome.clone() };
    assert!(matches!(s.record_outcomes(&[unknown]), Err(StoreError::NotFound(_))));
    assert_eq!(s.open_predictions().unwrap(), vec![pred("000660")]);
    assert_eq!(s.outcomes_since(day(2024, 7, 8)).unwrap(), vec![(pred("005930"), outcome.clone())]);
    assert!(s.outcomes_since(day(2024, 7, 9)).unwrap().is_empty());

    let regime =
        RegimeRecord { date: day(2024, 7, 1), regime: "bull".into(), score: 0.8, detail: json!({"ma200": true}) };
    s.set_regime(&regime).unwrap();
    assert_eq!(s.regime_on(day(2024, 7, 3)).unwrap(), Some(regime));
    assert_eq!(s.regime_on(day(2024, 6, 30)).unwrap(), None);

    let not_entered = OutcomeRecord {
        code: StockCode::new("000660"),
        entry_price: None,
        first_hit: FirstHit::NotEntered,
        actual_return: 0.0,
        hit: false,
        ..outcome.clone()
    };
    s.record_outcomes(std::slice::from_ref(&not_entered)).unwrap();
    assert_eq!(s.outcomes_since(day(2024, 7, 8)).unwrap()[0].1, not_entered);

    let v1 = WeightsVersionRecord {
        version: "w3".into(),
        effective_from: day(2024, 6, 3),
        parent: None,
        weights: vec![("technical".into(), 0.25), ("momentum".into(), 0.75)],
        inputs: json!({}),
        status: WeightsStatus::Approved,
    };
    let v2 = WeightsVersionRecord {
        version: "w4".into(),
        effective_from: day(2024, 7, 1),
        parent: Some("w3".into()),
        weights: vec![("technical".into(), 0.3), ("momentum".into(), 0.7)],
        inputs: json!({"samples": 40}),
        status: WeightsStatus::Approved,
    };
    assert!(matches!(s.save_weights_version(&v2), Err(StoreError::Constraint(_))), "parent must exist");
    s.save_weights_version(&v1).unwrap();
    s.save_weights_version(&v2).unwrap();
    assert_eq!(s.weights_versions().unwrap(), vec![v1.clone(), v2.clone()]);
    let rolled = WeightsVersionRecord { status: WeightsStatus::RolledBack, ..v2 };
    s.save_weights_version(&rolled).unwrap();
    assert_eq!(s.weights_versions().unwrap(), vec![v1, rolled]);
}

fn runs(s: &dyn Store) {
    let run = RunRecord {
        kind: "backtest".into(),
        strategy: "sma_cross".into(),
        started: Timestamp::from_millis(1),
        finished: Some(Timestamp::from_millis(2)),
        config: json!({"fast": 5, "slow": 20}),
        stats: json!({"sharpe": 1.25, "max_drawdown": -0.08}),
    };
    let trade = TradeRecord {
        code: StockCode::new("005930"),
        qty: 10,
        entry_ts: Timestamp::daily_close(day(2024, 1, 2)),
        entry_price: 70_000.5,
        exit_ts: Some(Timestamp::daily_close(day(2024, 1, 9))),
        exit_price: Some(72_000.0),
        pnl: Money::new(dec!(18_540.5)),
        costs: Money::new(dec!(1_459.5)),
        return_pct: 2.65,
    };
    let open_trip = TradeRecord {
        code: StockCode::new("000660"),
        entry_ts: Timestamp::daily_close(day(2024, 1, 3)),
        exit_ts: None,
        exit_price: None,
        pnl: Money::ZERO,
        return_pct: 0.0,
        ..trade.clone()
    };
    let daily = [
        DailyReturnRecord { date: day(2024, 1, 3), equity: Money::from_won(10_010_000), ret: 0.001 },
        DailyReturnRecord { date: day(2024, 1, 2), equity: Money::from_won(10_000_000), ret: 0.0 },
    ];
    let bad = [daily[0].clone(), daily[0].clone()];
    assert!(matches!(s.save_run(&run, &[], &bad), Err(StoreError::Constraint(_))));
    let id = s.save_run(&run, &[open_trip.clone(), trade.clone()], &daily).unwrap();
    let got = s.run(id).unwrap().unwrap();
    assert_eq!(got.run, run);
    assert_eq!(got.trades, vec![trade, open_trip]);
    assert_eq!(got.daily, vec![daily[1].clone(), daily[0].clone()]);
    assert_eq!(s.runs().unwrap(), vec![(id, run)]);
    assert!(s.run(id + 100).unwrap().is_none());
}

fn operations(s: &dyn Store) {
    let call = |ts, outcome: &str| ApiCallRecord {
        ts: Timestamp::from_millis(ts),
        endpoint: "/uapi/domestic-stock/v1/quotations/inquire-price".into(),
        tr_id: Some("FHKST01010100".into()),
        latency_us: 12_345,
        status: Some(200),
        outcome: outcome.into(),
    };
    s.record_api_calls(&[call(5, "ok"), call(9, "rate_limited")]).unwrap();
    assert_eq!(s.api_calls_since(Timestamp::from_millis(6)).unwrap(), vec![call(9, "rate_limited")]);
    let ev = EventRecord {
        ts: Timestamp::from_millis(7),
        kind: EventKind::Alert,
        source: "monitor".into(),
        message: "005930 hit stop-loss".into(),
        detail: json!({"price": 65_000}),
    };
    s.record_event(&ev).unwrap();
    assert_eq!(s.events_since(Timestamp::from_millis(7)).unwrap(), vec![ev]);
    assert!(s.events_since(Timestamp::from_millis(8)).unwrap().is_empty());

    assert!(!emergency_stop(s).unwrap());
    s.set_setting(EMERGENCY_STOP_KEY, "1").unwrap();
    assert!(emergency_stop(s).unwrap());
    s.set_setting(EMERGENCY_STOP_KEY, "0").unwrap();
    assert_eq!(s.setting(EMERGENCY_STOP_KEY).unwrap().as_deref(), Some("0"));
    assert_eq!(s.setting("missing").unwrap(), None);
}

fn job_runs(s: &dyn Store) {
    use hantu_core::schedule::{JobOutcome, JobRun};
    let run = |job: &str, at: i64| JobRun {
        job: job.into(),
        scheduled: Timestamp::from_millis(at),
        started: Some(Timestamp::from_millis(at + 5)),
        finished: None,
        outcome: JobOutcome::Running,
        error: None,
    };
    let a = s.record_job_run(&run("screen", 1_000)).unwrap();
    let b = s.record_job_run(&run("select", 2_000)).unwrap();
    let missed = JobRun {
        started: None,
        outcome: JobOutcome::Misfired,
        error: Some("late by 11m".into()),
        ..run("screen", 3_000)
    };
    let c = s.record_job_run(&missed).unwrap();
    assert!(a != b && b != c);
    let done = JobRun {
        finished: Some(Timestamp::from_millis(1_900)),
        outcome: JobOutcome::Failed,
        error: Some("no watchlist: run screen first".into()),
        ..run("screen", 1_000)
    };
    s.update_job_run(a, &done).unwrap();
    assert!(matches!(s.update_job_run(c + 100, &done), Err(StoreError::NotFound(_))));
    assert_eq!(s.job_runs(Some("screen"), 10).unwrap(), vec![(c, missed.clone()), (a, done)]);
    assert_eq!(s.job_runs(None, 2).unwrap(), vec![(c, missed), (b, run("select", 2_000))]);
    assert!(s.job_runs(Some("nope"), 10).unwrap().is_empty());
}

fn notifications(s: &dyn Store) {
    use hantu_core::notify::{DeliveryStatus, Level, NotificationRecord};
    let rec = |channel: &str, key: Option<&str>, ts| NotificationRecord {
        id: 0,
        ts: Timestamp::from_millis(ts),
        channel: channel.into(),
        level: Level::Warning,
        kind: "fill".into(),
        dedup_key: key.map(str::to_owned),
        title: "체결".into(),
        body: "body".into(),
        status: DeliveryStatus::Pending,
        attempts: 0,
        error: None,
        updated: Timestamp::from_millis(ts),
    };
    let a = s.claim_notification(&rec("telegram", Some("fill:1"), 100)).unwrap().expect("first claim");
    // Pending or sent, the same key on the same channel is a duplicate; another channel is not.
    assert_eq!(s.claim_notification(&rec("telegram", Some("fill:1"), 101)).unwrap(), None);
    let b = s.claim_notification(&rec("slack", Some("fill:1"), 102)).unwrap().expect("other channel");
    assert_ne!(a, b);
    s.finish_notification(a, DeliveryStatus::Sent, 2, None, Timestamp::from_millis(150)).unwrap();
    assert_eq!(s.claim_notification(&rec("telegram", Some("fill:1"), 103)).unwrap(), None);
    // A final failure is kept with its error, and the same event raised again gets another chance.
    s.finish_notification(b, DeliveryStatus::Failed, 3, Some("HTTP 500"), Timestamp::from_millis(160)).unwrap();
    assert_eq!(s.claim_notification(&rec("slack", Some("fill:1"), 104)).unwrap(), Some(b));
    // Without a key nothing is a duplicate.
    let c = s.claim_notification(&rec("telegram", None, 105)).unwrap().unwrap();
    let d = s.claim_notification(&rec("telegram", None, 106)).unwrap().unwrap();
    assert_ne!(c, d);
    assert!(matches!(
        s.finish_notification(999_999, DeliveryStatus::Sent, 1, None, Timestamp::from_millis(1)),
        Err(StoreError::NotFound(_))
    ));
    let all = s.notifications_since(Timestamp::from_millis(0)).unwrap();
    assert_eq!(all.len(), 4);
    let first = &all[0];
    assert_eq!((first.id, first.status, first.attempts, first.level), (a, DeliveryStatus::Sent, 2, Level::Warning));
    assert_eq!(first.title, "체결");
    assert_eq!(first.updated, Timestamp::from_millis(150));
    let slack = all.iter().find(|n| n.id == b).unwrap();
    assert_eq!((slack.status, slack.attempts, slack.error.as_deref()), (DeliveryStatus::Pending, 3, None));
    assert_eq!(s.notifications_since(Timestamp::from_millis(105)).unwrap().len(), 2);
}

fn account_locks(s: &dyn Store) {
    let held = s.try_lock_account("12345678-01").unwrap().expect("a free account locks");
    assert!(s.try_lock_account("12345678-01").unwrap().is_none(), "one holder at a time");
    let other = s.try_lock_account("87654321-01").unwrap().expect("another account is independent");
    assert!(!format!("{held:?}").contains("12345678"), "the guard never shows the account");
    drop(held);
    let again = s.try_lock_account("12345678-01").unwrap();
    assert!(again.is_some(), "released on drop");
    drop((again, other));
}

/// Runs every scenario on a fresh store.
pub fn check(s: &dyn Store) {
    job_runs(s);
    notifications(s);
    journal(s);
    positions(s);
    market_data(s);
    pipeline(s);
    runs(s);
    operations(s);
    account_locks(s);
}

#[test]
fn memory_store_meets_the_contract() {
    check(&MemoryStore::new());
}

#[test]
fn sqlite_in_memory_meets_the_contract() {
    check(&SqliteStore::open_in_memory().unwrap());
}

#[test]
fn sqlite_file_meets_the_contract_and_keeps_it_across_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hantu.db");
    check(&SqliteStore::open(&path).unwrap());
    let again = SqliteStore::open(&path).unwrap();
    assert_eq!(again.open_orders().unwrap().len(), 1);
    assert!(again.integrity_check().unwrap().is_empty());
}

#[test]
fn postgres_meets_the_contract() {
    let Some(pg) = super::pg::fresh("contract") else { return };
    check(&*pg);
    // Reconnecting finds the same data at the same schema version.
    let again = super::pg::reopen(&pg);
    assert_eq!(again.open_orders().unwrap().len(), 1);
    assert_eq!(again.schema_version().unwrap(), hantu_core::store::postgres::migrations::latest_version());
}
