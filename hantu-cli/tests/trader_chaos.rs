//! Chaos test: the `hantu` trader binary against the local KIS server over real HTTP (orders,
//! reconcile, gap-fill) and WebSocket (trade prints, encrypted order/fill notices), killed with
//! SIGKILL again and again — at random moments, and exactly between journal write and broker call
//! and between broker reply and journal update (the binary's crash-test pause hook) — and restarted,
//! while the server also drops the socket, duplicates frames and holds notices back now and then.
//! Afterwards: zero duplicate orders at the server, every server fill booked once in the store and
//! announced once (console channel), and positions and cash equal to the server's.
//!
//! CI runs 25 kills. The long run:
//!
//! ```text
//! HANTU_CHAOS_KILLS=200 cargo test -p hantu-cli --test trader_chaos -- --nocapture
//! ```
//! (`HANTU_CHAOS_SEED=<n>` replays a run.)

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use hantu_core::broker::Broker;
use hantu_core::clock::Clock;
use hantu_core::domain::{InstrumentKind, Market, Money, Side, StockCode, Timestamp};
use hantu_core::krx::{KrxCalendar, TickTable};
use hantu_core::store::{SelectionRecord, SqliteStore, Store};
use hantu_kis::auth::{AccountNo, Credential};
use hantu_kis::mock::{MockConfig, MockMarket, MockServer, ShiftedClock, WsFault};
use hantu_kis::{Environment, KisBroker, KisClient, KisConfig};

const COMMISSION: &str = "0.000140527";

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn trading_day() -> NaiveDate {
    // A fixed trading day: the server and the trader both run on a clock shifted to it.
    NaiveDate::from_ymd_opt(2025, 7, 25).unwrap()
}

struct Harness {
    dir: tempfile::TempDir,
    server: Arc<MockServer>,
    clock: Arc<ShiftedClock>,
}

impl Harness {
    fn db(&self) -> std::path::PathBuf {
        self.dir.path().join("chaos.db")
    }

    fn spawn(&self, hook_ms: Option<u64>) -> (Child, mpsc::Receiver<String>) {
        let (key, secret) = self.server.app();
        let start = self.clock.now().kst_datetime().format("%Y-%m-%dT%H:%M:%S").to_string();
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_hantu"));
        cmd.current_dir(self.dir.path())
            .args(["--db", self.db().to_str().unwrap(), "trade", "start", "--live", "--picks"])
            .args(["--max-entries", "100000", "--start-at", &start])
            .env("HANTU_KIS_ENV", "real")
            .env("HANTU_KIS_REST_URL", self.server.base_url())
            .env("HANTU_KIS_WS_URL", self.server.ws_url())
            .env("HANTU_KIS_HTS_ID", self.server.hts_id())
            .env("HANTU_KIS_APP_KEY", key)
            .env("HANTU_KIS_APP_SECRET", secret)
            .env("HANTU_KIS_ACCOUNT", self.server.account())
            .env("HANTU_DATA_DIR", self.dir.path())
            .env("HANTU_BACKTEST_COMMISSION_RATE", COMMISSION)
            .env("RUST_LOG", "info")
            .env_remove("TRADER_HOOK_PAUSE_MS")
            // Every HANTU_* variable is a setting to the binary; the harness's own are not.
            .env_remove("HANTU_CHAOS_KILLS")
            .env_remove("HANTU_CHAOS_SEED")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if let Some(ms) = hook_ms {
            cmd.env("TRADER_HOOK_PAUSE_MS", ms.to_string());
        }
        let mut child = cmd.spawn().expect("spawn hantu");
        let (tx, rx) = mpsc::channel();
        for pipe in [
            child.stdout.take().map(|p| Box::new(p) as Box<dyn std::io::Read + Send>),
            child.stderr.take().map(|p| Box::new(p) as Box<dyn std::io::Read + Send>),
        ]
        .into_iter()
        .flatten()
        {
            let tx = tx.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                    if tx.send(line).is_err() {
                        break;
                    }
                }
            });
        }
        (child, rx)
    }
}

/// Waits for a line containing `what`; `false` on timeout or when the process ended.
fn wait_for(rx: &mpsc::Receiver<String>, what: &str, timeout: Duration, log: &mut Vec<String>) -> bool {
    let until = Instant::now() + timeout;
    while let Some(left) = until.checked_duration_since(Instant::now()) {
        match rx.recv_timeout(left) {
            Ok(line) => {
                let hit = line.contains(what);
                log.push(line);
                if hit {
                    return true;
                }
            }
            Err(_) => return false,
        }
    }
    false
}

fn kill(child: &mut Child) {
    // SIGKILL: no handler, no cleanup.
    let _ = child.kill();
    let _ = child.wait();
}

fn write_picks(
    store: &dyn Store,
    server: &MockServer,
    codes: &[StockCode],
    day: NaiveDate,
) -> BTreeMap<StockCode, (i64, i64)> {
    let table = TickTable::for_date(day, Market::Kospi, InstrumentKind::Stock);
    let mut bands = BTreeMap::new();
    let mut records = Vec::new();
    for code in codes {
        let p0 = server.price(*code).expect("listed");
        let t = table.tick(p0);
        let qty = (800_000 / p0).max(1);
        records.push(SelectionRecord {
            date: day,
            code: *code,
            class: "buy".into(),
            confidence: 0.8,
            score: 80.0,
            weights_version: "chaos".into(),
            screen_run_id: None,
            factors: Vec::new(),
            config: serde_json::json!({
                "entry_low": p0 - 2 * t, "entry_high": p0, "stop": p0 - 5 * t, "target": p0 + 3 * t, "qty": qty,
            }),
        });
        bands.insert(*code, (p0 - 7 * t, p0 + 5 * t));
    }
    store.save_selections(&records).unwrap();
    bands
}

#[test]
fn sigkill_at_random_and_at_the_dangerous_instants_loses_and_doubles_nothing() {
    let kills: usize = std::env::var("HANTU_CHAOS_KILLS").ok().and_then(|v| v.parse().ok()).unwrap_or(25);
    let seed: u64 = std::env::var("HANTU_CHAOS_SEED").ok().and_then(|v| v.parse().ok()).unwrap_or_else(|| {
        u64::try_from(
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() % 1_000_000_007,
        )
        .unwrap()
            | 1
    });
    println!("chaos: {kills} kills, seed {seed}");
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let day = trading_day();
    assert!(KrxCalendar::is_trading_day(day));
    let clock = Arc::new(ShiftedClock::starting_at(Timestamp::kst(day, 10, 0)));
    let market = MockMarket::fixture(day);
    let codes: Vec<StockCode> = market.codes().take(3).collect();
    let server = rt.block_on(async {
        let cfg = MockConfig::new(Environment::Real, market).with_clock(clock.clone()).with_rate(100_000);
        Arc::new(MockServer::start(cfg).await.expect("local KIS server"))
    });
    let h = Harness { dir: tempfile::tempdir().unwrap(), server: server.clone(), clock: clock.clone() };
    let store = SqliteStore::open(h.db()).unwrap();
    let bands = write_picks(&store, &server, &codes, day);
    drop(store);
    // Every trader announces its fills on the console channel, deduplicated through the store.
    std::fs::write(h.dir.path().join("hantu.toml"), "[notify]\nlang = \"en\"\n[notify.console]\n").unwrap();

    // The market: each code prints trades a tick apart, walking through its entry zone, stop and
    // target; the prints reach the trader over the WebSocket.
    let stop_walk = Arc::new(AtomicBool::new(false));
    let walker = {
        let (server, stop, bands) = (server.clone(), stop_walk.clone(), bands.clone());
        let table = TickTable::for_date(day, Market::Kospi, InstrumentKind::Stock);
        rt.spawn(async move {
            let mut rng = Rng(seed ^ 0xdead_beef);
            while !stop.load(Ordering::SeqCst) {
                tokio::time::sleep(Duration::from_millis(25)).await;
                for (code, (lo, hi)) in &bands {
                    let p = server.price(*code).unwrap_or(*lo);
                    let t = table.tick(p);
                    let next = if rng.below(2) == 0 { p + t } else { p - t };
                    assert!(server.print_trade(*code, next.clamp(*lo, *hi), 1 + rng.below(50)));
                }
            }
        })
    };

    let mut rng = Rng(seed);
    let mut log = Vec::new();
    let started = Instant::now();
    // The first start is not killed before it has its token (KIS refuses a second issue within a minute).
    let (mut child, rx) = h.spawn(None);
    assert!(wait_for(&rx, "trader started: live", Duration::from_secs(30), &mut log), "first start: {log:?}");
    std::thread::sleep(Duration::from_millis(300));
    kill(&mut child);
    let (mut at_before, mut at_after, mut at_random) = (0, 0, 0);
    let mut faults = 0;
    for _ in 0..kills {
        // Now and then the socket breaks too: the next trader session meets it.
        let fault = match rng.below(8) {
            0 => Some(WsFault::Drop),
            1 => Some(WsFault::Duplicate),
            2 => Some(WsFault::DelayNotices(Duration::from_millis(300))),
            _ => None,
        };
        if let Some(f) = fault {
            server.inject_ws(f);
            faults += 1;
        }
        let mode = rng.below(3);
        let (mut child, rx) = h.spawn(if mode < 2 { Some(40) } else { None });
        match mode {
            0 if wait_for(&rx, "hook before_place", Duration::from_secs(10), &mut log) => at_before += 1,
            1 if wait_for(&rx, "hook after_reply", Duration::from_secs(10), &mut log) => at_after += 1,
            _ => {
                std::thread::sleep(Duration::from_millis(200 + rng.below(2300)));
                at_random += 1;
            }
        }
        kill(&mut child);
    }
    stop_walk.store(true, Ordering::SeqCst);
    rt.block_on(walker).unwrap();
    server.clear_ws_faults();
    let chaos_time = started.elapsed();

    // A clean run reconciles whatever the last kill left, then SIGTERM: it must exit 0.
    let (mut child, rx) = h.spawn(None);
    assert!(
        wait_for(&rx, "trader started: live", Duration::from_secs(30), &mut log),
        "clean start: {:?}",
        &log[log.len().saturating_sub(20)..]
    );
    std::thread::sleep(Duration::from_millis(1500));
    let pid = child.id().to_string();
    assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    let term_at = Instant::now();
    let status = child.wait().unwrap();
    assert!(status.success(), "SIGTERM exits 0, got {status:?}");
    assert!(term_at.elapsed() < Duration::from_secs(10), "shutdown within its bound");

    // The server's view, over the wire, with the trader's cached token.
    let broker_orders = rt.block_on(async {
        let (key, secret) = server.app();
        let cfg = KisConfig::new(Environment::Real, Credential::new(key, secret).unwrap())
            .with_rest_url(server.base_url())
            .with_account(AccountNo::parse(&server.account()).unwrap())
            .with_clock(clock.clone())
            .with_token_cache(h.dir.path().join("kis-token-real.json"));
        let broker = KisBroker::new(KisClient::new(cfg).unwrap()).unwrap();
        broker.orders_today().await.unwrap()
    });
    let store = SqliteStore::open(h.db()).unwrap();
    assert!(
        store.open_orders().unwrap().iter().all(|o| o.status != hantu_core::domain::OrderStatus::PendingNew),
        "no order left unknown"
    );
    let fills = store.fills_since(Timestamp::from_millis(0)).unwrap();
    let mut booked: BTreeMap<String, u64> = BTreeMap::new();
    let mut journal_of: BTreeMap<String, String> = BTreeMap::new();
    for f in &fills {
        let order = store.order(&f.client_id).unwrap().expect("fill of a journaled order");
        let no = order.broker_id.clone().expect("a filled order has its broker number");
        if let Some(other) = journal_of.insert(no.clone(), f.client_id.to_string()) {
            assert_eq!(other, f.client_id.to_string(), "broker order {no} booked under two journal orders");
        }
        *booked.entry(no).or_default() += f.qty.get();
    }
    let server_filled: BTreeMap<String, u64> = broker_orders
        .iter()
        .filter(|o| o.filled_qty.get() > 0)
        .map(|o| (o.broker_id.clone(), o.filled_qty.get()))
        .collect();
    assert_eq!(booked, server_filled, "every server fill booked once, nothing booked the server did not fill");
    // Zero duplicates: every order at the server is exactly one journal order (none was sent twice,
    // none is owned twice), whether it filled or not.
    let mut owner: BTreeMap<String, String> = BTreeMap::new();
    for o in store.orders_since(Timestamp::from_millis(0)).unwrap() {
        if let Some(no) = o.broker_id {
            if let Some(other) = owner.insert(no.clone(), o.client_id.to_string()) {
                panic!("broker order {no} owned by two journal orders: {other} and {}", o.client_id);
            }
        }
    }
    for (no, client) in &journal_of {
        assert_eq!(owner.get(no), Some(client), "the fills of broker order {no} are booked under its owner");
    }
    let unmatched: Vec<_> = broker_orders.iter().filter(|o| !owner.contains_key(&o.broker_id)).collect();
    assert!(unmatched.is_empty(), "server orders no journal order owns: {unmatched:?}");

    // Every fill announced once, across the kills: a fill a kill caught before its announcement (or
    // one a restart's reconcile booked) is told by the next start, and none twice.
    let told: Vec<String> = store
        .notifications_since(Timestamp::from_millis(0))
        .unwrap()
        .into_iter()
        .filter(|n| n.channel == "console")
        .filter_map(|n| n.dedup_key.filter(|k| k.starts_with("fill:")))
        .collect();
    let mut unique = told.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), told.len(), "a fill announced twice");
    for f in &fills {
        let key = format!("fill:{}:{}:", f.client_id, f.ts.millis());
        assert!(told.iter().any(|k| k.starts_with(&key)), "fill {key}… never announced");
    }
    assert_eq!(told.len(), fills.len(), "announcements of fills that are not in the store");

    let mut held: BTreeMap<StockCode, i64> = BTreeMap::new();
    let mut cash = Money::from_won(10_000_000);
    for f in &fills {
        *held.entry(f.code).or_default() +=
            i64::try_from(f.qty.get()).unwrap() * if f.side == Side::Buy { 1 } else { -1 };
        cash += f.cash_flow();
    }
    for code in &codes {
        assert_eq!(
            held.get(code).copied().unwrap_or(0),
            i64::try_from(server.holding(*code)).unwrap(),
            "position in {code}"
        );
    }
    assert_eq!(cash.to_won(), server.cash(), "cash");
    let stats = server.stats();
    println!(
        "chaos: {kills} kills ({at_before} before a broker call, {at_after} after a broker reply, {at_random} at random) \
         and {faults} socket faults in {:.1}s; {} WebSocket sessions, {} data frames; \
         {} server orders, {} fills booked and announced once, 0 duplicates; positions and cash equal the server's",
        chaos_time.as_secs_f64(),
        stats.ws_connections,
        stats.ws_data_frames,
        broker_orders.len(),
        fills.len()
    );
    assert!(stats.ws_trade_records > 0, "prints went over the WebSocket");
    let events = store.events_since(Timestamp::from_millis(0)).unwrap();
    assert!(
        !events.iter().any(|e| e.message.starts_with("order notices unavailable")),
        "every trader subscribed to the account's notices"
    );
    assert!(
        broker_orders.len() >= 4,
        "the session traded (orders: {}); log tail: {:#?}",
        broker_orders.len(),
        &log[log.len().saturating_sub(40)..]
    );
}
