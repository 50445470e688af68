//! The `hantu trade start` binary against the local KIS server over real HTTP and WebSocket, steered
//! and watched from other processes as an operator would: one trader per account, `hantu trade
//! pause` / `resume` against a running trader, dropped sockets counted by `/metrics`, and the
//! trader's notifications reaching a fake Slack webhook on 127.0.0.1.

#[allow(dead_code, reason = "the fake servers are shared with the unit tests; not every helper is used here")]
#[path = "../src/service/notify/tests/fake.rs"]
mod fake;

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use chrono::{NaiveDate, NaiveDateTime};
use hantu_core::clock::{Clock, LiveClock};
use hantu_core::domain::{InstrumentKind, Market, StockCode, Timestamp};
use hantu_core::krx::TickTable;
use hantu_core::store::{EventRecord, SelectionRecord, SqliteStore, Store};
use hantu_kis::Environment;
use hantu_kis::mock::{MockConfig, MockMarket, MockServer, ShiftedClock, WsFault};

const API_KEY: &str = "trader-live-test-key-0123456789";

fn day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, 7, 25).unwrap()
}

/// The local KIS server (and a fake Slack webhook) on a runtime of their own, a store directory,
/// and the `hantu` binary pointed at them.
struct Rig {
    rt: tokio::runtime::Runtime,
    dir: tempfile::TempDir,
    server: Arc<MockServer>,
    clock: Arc<dyn Clock>,
    shifted: bool,
    slack: fake::Slack,
}

impl Rig {
    /// A server on a clock starting at `start` (KST), or on the wall clock.
    fn new(start: Option<NaiveDateTime>) -> Self {
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        let clock: Arc<dyn Clock> = match start {
            Some(s) => Arc::new(ShiftedClock::starting_at(Timestamp::from_kst(s))),
            None => Arc::new(LiveClock),
        };
        let (server, slack) = rt.block_on(async {
            let market = MockMarket::fixture(day());
            let cfg = MockConfig::new(Environment::Real, market).with_clock(clock.clone()).with_rate(100_000);
            (Arc::new(MockServer::start(cfg).await.unwrap()), fake::Slack::start().await)
        });
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("hantu.toml"),
            "[notify]\nlang = \"en\"\nbackoff_ms = 20\n[notify.slack]\nrate_per_minute = 600\n",
        )
        .unwrap();
        Self { rt, dir, server, clock, shifted: start.is_some(), slack }
    }

    fn db(&self) -> PathBuf {
        self.dir.path().join("live.db")
    }

    fn store(&self) -> SqliteStore {
        SqliteStore::open(self.db()).unwrap()
    }

    /// `hantu --db <db> <args>` with the server's KIS settings and the Slack webhook.
    fn cmd(&self, args: &[&str]) -> Command {
        let (key, secret) = self.server.app();
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_hantu"));
        cmd.current_dir(self.dir.path()).arg("--db").arg(self.db()).args(args);
        for (k, _) in std::env::vars().filter(|(k, _)| k.starts_with("HANTU_")) {
            cmd.env_remove(k);
        }
        cmd.env("HANTU_KIS_ENV", "real")
            .env("HANTU_KIS_REST_URL", self.server.base_url())
            .env("HANTU_KIS_WS_URL", self.server.ws_url())
            .env("HANTU_KIS_HTS_ID", self.server.hts_id())
            .env("HANTU_KIS_APP_KEY", key)
            .env("HANTU_KIS_APP_SECRET", secret)
            .env("HANTU_KIS_ACCOUNT", self.server.account())
            .env("HANTU_DATA_DIR", self.dir.path())
            .env("HANTU_SLACK_WEBHOOK_URL", &self.slack.url)
            .env("HANTU_API_KEYS", format!("ops:control:{API_KEY}"))
            .env("RUST_LOG", "info")
            .env_remove("TRADER_HOOK_PAUSE_MS");
        cmd
    }

    fn run(&self, args: &[&str]) -> Output {
        self.cmd(args).output().unwrap()
    }

    /// `hantu trade start --live <args>` in the background, its output lines on a channel.
    fn start_trader(&self, args: &[&str]) -> Trader {
        let mut full = vec!["trade", "start", "--live"];
        full.extend_from_slice(args);
        let start = self.clock.now().kst_datetime().format("%Y-%m-%dT%H:%M:%S").to_string();
        if self.shifted {
            full.extend(["--start-at", &start]);
        }
        let mut child = self.cmd(&full).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
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
        let mut t = Trader { child, lines: rx, log: Vec::new() };
        assert!(t.wait_for("trader started: live", Duration::from_secs(30)), "the trader did not start: {:#?}", t.log);
        t
    }

    /// Store events so far.
    fn events(&self) -> Vec<EventRecord> {
        self.store().events_since(Timestamp::from_millis(0)).unwrap()
    }

    /// Slack texts so far.
    fn slack_texts(&self) -> Vec<String> {
        self.slack.posted().iter().map(|v| v["text"].as_str().unwrap_or_default().to_owned()).collect()
    }
}

struct Trader {
    child: Child,
    lines: mpsc::Receiver<String>,
    log: Vec<String>,
}

impl Trader {
    fn wait_for(&mut self, what: &str, timeout: Duration) -> bool {
        let until = Instant::now() + timeout;
        while let Some(left) = until.checked_duration_since(Instant::now()) {
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    let hit = line.contains(what);
                    self.log.push(line);
                    if hit {
                        return true;
                    }
                }
                Err(_) => return false,
            }
        }
        false
    }

    /// SIGTERM (unless it already ended); it must exit 0 within a bound.
    fn terminate(mut self) {
        if self.child.try_wait().unwrap().is_none() {
            assert!(Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status().unwrap().success());
        }
        let until = Instant::now() + Duration::from_secs(20);
        let status = loop {
            if let Some(s) = self.child.try_wait().unwrap() {
                break s;
            }
            assert!(Instant::now() < until, "the trader did not stop on SIGTERM: {:#?}", self.log);
            std::thread::sleep(Duration::from_millis(50));
        };
        self.log.extend(self.lines.try_iter());
        assert!(status.success(), "the trader exited with {status:?}: {:#?}", self.log);
    }
}

impl Drop for Trader {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Polls `ok` until it holds (bounded), failing with `what`.
fn wait_until(what: &str, timeout: Duration, mut ok: impl FnMut() -> bool) {
    let until = Instant::now() + timeout;
    while !ok() {
        assert!(Instant::now() < until, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn kst(h: u32, m: u32, s: u32) -> NaiveDateTime {
    day().and_hms_opt(h, m, s).unwrap()
}

#[test]
fn a_second_trader_on_the_same_account_is_refused_and_told_who_holds_it() {
    let rig = Rig::new(Some(kst(10, 0, 0)));
    let args = ["--strategy", "sma-cross", "--codes", "005930"];
    let first = rig.start_trader(&args);
    let start = rig.clock.now().kst_datetime().format("%Y-%m-%dT%H:%M:%S").to_string();
    let o =
        rig.run(&["trade", "start", "--live", "--strategy", "sma-cross", "--codes", "005930", "--start-at", &start]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("another trader holds this account"), "{err}");
    assert!(err.contains(&format!("pid {}", first.child.id())), "the holder is named: {err}");
    assert!(!err.contains(&rig.server.account()), "the account number is a secret: {err}");
    // The refused start touched no journal: the run counter is still the first trader's.
    assert_eq!(rig.store().setting("trader.run_seq").unwrap().as_deref(), Some("1"));
    first.terminate();
    // The lock ended with its holder.
    let second = rig.start_trader(&args);
    second.terminate();
}

#[test]
fn sockets_the_server_drops_are_store_events_that_metrics_count() {
    // The wall clock: the API's metrics read the last 24 hours of events.
    let rig = Rig::new(None);
    let code: StockCode = "005930".parse().unwrap();
    let trader = rig.start_trader(&["--strategy", "sma-cross", "--codes", "005930", "--keep-running"]);
    let stop = Arc::new(AtomicBool::new(false));
    let printer = {
        let (server, stop) = (rig.server.clone(), stop.clone());
        rig.rt.spawn(async move {
            let p0 = server.price(code).unwrap();
            let mut i = 0;
            while !stop.load(Ordering::SeqCst) {
                tokio::time::sleep(Duration::from_millis(40)).await;
                i += 1;
                server.print_trade(code, p0 + 100 * (i % 3), 10);
            }
        })
    };
    let reconnects =
        |rig: &Rig| rig.events().iter().filter(|e| e.source == "ws" && e.detail["event"] == "reconnect").count();
    let trades_sent = |rig: &Rig| rig.server.stats().ws_trade_records;
    let code_gap = |rig: &Rig| {
        rig.events().iter().any(|e| e.source == "ws" && e.detail["event"] == "gap" && e.detail["code"] == "005930")
    };
    // A gap of the stock can only be measured from a trade the trader had before the drop, and
    // the server drops a socket at its next send, prints or not: so each drop waits for a trade
    // sent on the current socket (the old one is gone, so a trade sent since the last reconnect
    // went to the new one).
    let mut sent = 0;
    for n in 1..=3 {
        wait_until(&format!("a trade sent before drop {n}"), Duration::from_secs(30), || trades_sent(&rig) > sent);
        rig.server.inject_ws(WsFault::Drop);
        wait_until(&format!("reconnect {n} recorded"), Duration::from_secs(30), || reconnects(&rig) >= n);
        sent = trades_sent(&rig);
    }
    // The first trade after a reconnect shows what was missed; its gap-fill is recorded when done.
    wait_until("a gap of 005930 recorded", Duration::from_secs(30), || code_gap(&rig));
    stop.store(true, Ordering::SeqCst);
    rig.rt.block_on(printer).unwrap();
    trader.terminate();
    let events = rig.events();
    let ws: Vec<&EventRecord> = events.iter().filter(|e| e.source == "ws").collect();
    let count = |what: &str| ws.iter().filter(|e| e.detail["event"] == what).count();
    assert_eq!(count("reconnect"), 3, "{ws:#?}");
    assert_eq!(count("disconnect"), 3, "{ws:#?}");
    let gaps = count("gap");
    assert!(gaps >= 3, "each reconnect is a gap of the connection: {ws:#?}");
    assert!(
        ws.iter().any(|e| e.detail["event"] == "gap" && e.detail["code"] == "005930"),
        "prints missed while the socket was down were gap-filled over REST: {ws:#?}"
    );

    // `/metrics` of the HTTP API over the same store counts exactly those rows.
    let mut api = rig
        .cmd(&["api", "serve", "--port", "0", "--json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(api.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let v: serde_json::Value = serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line:?}"));
    let url = v["listening"].as_str().unwrap().to_owned();
    let text = rig.rt.block_on(async {
        let http = reqwest::Client::builder().no_proxy().build().unwrap();
        let r = http.get(format!("{url}/metrics")).header("X-API-Key", API_KEY).send().await.unwrap();
        assert_eq!(r.status(), 200);
        r.text().await.unwrap()
    });
    let _ = api.kill();
    let _ = api.wait();
    let metric = |name: &str| -> u64 {
        text.lines()
            .find_map(|l| l.strip_prefix(name).and_then(|v| v.trim().parse().ok()))
            .unwrap_or_else(|| panic!("{name} missing from {text}"))
    };
    assert_eq!(metric("hantu_ws_reconnects_total "), 3, "{text}");
    assert_eq!(metric("hantu_ws_gaps_total "), gaps as u64, "{text}");
}

fn write_pick(store: &dyn Store, code: StockCode, p0: i64, t: i64) {
    store
        .save_selections(&[SelectionRecord {
            date: day(),
            code,
            class: "buy".into(),
            confidence: 0.8,
            score: 80.0,
            weights_version: "test".into(),
            screen_run_id: None,
            factors: Vec::new(),
            config: serde_json::json!({
                "entry_low": p0 - 2 * t, "entry_high": p0, "stop": p0 - 5 * t, "target": p0 + 3 * t, "qty": 10,
            }),
        }])
        .unwrap();
}

#[test]
fn pause_from_another_process_holds_entries_while_exits_work_then_resume_and_people_are_told() {
    let rig = Rig::new(Some(kst(10, 0, 0)));
    let code: StockCode = "005930".parse().unwrap();
    let p0 = rig.server.price(code).unwrap();
    let t = TickTable::for_date(day(), Market::Kospi, InstrumentKind::Stock).tick(p0);
    write_pick(&rig.store(), code, p0, t);
    let trader = rig.start_trader(&["--picks", "--max-entries", "10"]);
    let submitted = || rig.server.stats().order_submissions;
    // Prints at `price` until `ok` holds.
    let print_until = |what: &str, price: i64, ok: &dyn Fn() -> bool| {
        wait_until(what, Duration::from_secs(30), || {
            rig.server.print_trade(code, price, 5);
            std::thread::sleep(Duration::from_millis(60));
            ok()
        });
    };
    print_until("the entry", p0, &|| rig.server.holding(code) == 10);
    assert_eq!(submitted(), 1);

    let acted = |state: &str| {
        let msg = format!("trader acting on {state}");
        wait_until(&msg.clone(), Duration::from_secs(10), || rig.events().iter().any(|e| e.message == msg));
    };
    let o = rig.run(&["trade", "pause"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stdout).contains("the running trader acts on it"));
    acted("paused");
    // Paused: the target still sells ...
    print_until("the exit while paused", p0 + 3 * t, &|| rig.server.holding(code) == 0);
    assert_eq!(submitted(), 2);
    // ... but prints in the entry zone buy nothing.
    for _ in 0..25 {
        rig.server.print_trade(code, p0 - t, 5);
        std::thread::sleep(Duration::from_millis(60));
    }
    assert_eq!(submitted(), 2, "no entry while paused");
    assert_eq!(rig.server.holding(code), 0);

    assert!(rig.run(&["trade", "resume"]).status.success());
    acted("running");
    print_until("the entry after resume", p0 - t, &|| rig.server.holding(code) == 10);
    assert_eq!(submitted(), 3);
    trader.terminate();

    let texts = rig.slack_texts();
    let has = |needle: &str| texts.iter().any(|t| t.contains(needle));
    assert!(has("Filled: Bought 10"), "{texts:#?}");
    assert!(has("Emergency stop set") && has("pause"), "{texts:#?}");
    assert!(has("Target hit"), "{texts:#?}");
    assert!(texts.iter().any(|t| t.contains("Filled: Sold 10") && t.contains("Realized P&amp;L +")), "{texts:#?}");
    assert!(has("Emergency stop cleared"), "{texts:#?}");
    assert!(
        !rig.events().iter().any(|e| e.message.starts_with("order notices unavailable")),
        "the trader subscribed to the account's notices"
    );
    // Every notification is in the store's history, once.
    let history = rig.store().notifications_since(Timestamp::from_millis(0)).unwrap();
    assert_eq!(history.len(), texts.len(), "{history:#?}");
    assert!(history.iter().all(|h| h.channel == "slack" && h.status.as_str() == "sent"), "{history:#?}");
}

#[test]
fn at_the_close_the_trader_reports_the_day_to_people_and_exits() {
    let rig = Rig::new(Some(kst(15, 29, 57)));
    let mut trader = rig.start_trader(&["--strategy", "sma-cross", "--codes", "005930"]);
    assert!(trader.wait_for("trader ended: DayClosed", Duration::from_secs(30)), "{:#?}", trader.log);
    trader.terminate();
    let texts = rig.slack_texts();
    assert!(texts.iter().any(|t| t.contains("Daily report 2025-07-25")), "{texts:#?}");
}
