//! HTTP API throughput and tail latency: `/positions` and `/status` under 50 concurrent clients on
//! loopback, against `hantu api serve` (the built binary) over a SQLite store holding 10 positions,
//! with a stand-in trader publishing its status every second as the real one does.
//!
//! Run with `cargo bench -p hantu-cli --bench api` (10 s per route; `-- --quick` for 1 s).
//!
//! Measured (bench profile, 10 s per route, server and clients on the same 2-core machine, which
//! was shared with other builds at the time: load average about 16):
//!
//! | route | requests/s | p50 | p99 |
//! |---|---|---|---|
//! | `/positions` | 12,786 | 3.46 ms | 19.7 ms |
//! | `/status` | 9,842 | 3.57 ms | 31.6 ms |
//!
//! Each request checks the key in constant time and the per-key rate limit, reads the SQLite store on
//! tokio's blocking pool and serialises JSON; the store's one reader connection (beside its writer) serialises the reads.

use std::io::{BufRead as _, BufReader};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use hantu_core::control::{ControlState, TraderStatus, publish_status};
use hantu_core::domain::{Money, Position, Price, Qty, StockCode, Timestamp};
use hantu_core::store::{SqliteStore, Store as _};

const CLIENTS: usize = 50;
const KEY: &str = "bench-read-key-0123456789abcdef";

fn now() -> Timestamp {
    Timestamp::from_millis(chrono::Utc::now().timestamp_millis())
}

fn positions() -> Vec<Position> {
    (0..10)
        .map(|i| Position {
            code: StockCode::new(&format!("{:06}", 5_930 + i * 10)),
            qty: Qty::from_shares(10 + i as u64),
            cost: Money::from_won(700_000 * (10 + i as i64)),
            realized_pnl: Money::ZERO,
            last_price: Price::new(71_500),
            costs_paid: Money::from_won(105),
        })
        .collect()
}

fn status(started: Timestamp) -> TraderStatus {
    TraderStatus {
        mode: "paper".into(),
        strategy: "picks".into(),
        state: ControlState::Running,
        pid: std::process::id(),
        started_at: started,
        heartbeat: now(),
        cash: Money::from_won(50_000_000),
        equity: Money::from_won(60_000_000),
        pnl_today: Money::from_won(12_345),
        positions: positions(),
        working_orders: Vec::new(),
        last_error: None,
    }
}

/// The server process, ended by its handle when the bench ends.
struct Server(std::process::Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

async fn load(http: &reqwest::Client, url: &str, secs: f64) -> (f64, Vec<u64>) {
    let deadline = Instant::now() + Duration::from_secs_f64(secs);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..CLIENTS {
        let http = http.clone();
        let url = url.to_owned();
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            while Instant::now() < deadline {
                let t = Instant::now();
                let r = http.get(&url).header("X-API-Key", KEY).send().await.expect("request");
                assert!(r.status().is_success(), "{}", r.status());
                let _ = r.bytes().await.expect("body");
                lat.push(t.elapsed().as_micros() as u64);
            }
            lat
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.expect("client task"));
    }
    (started.elapsed().as_secs_f64(), all)
}

fn pct(sorted: &[u64], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i] as f64 / 1e3
}

#[tokio::main]
async fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let secs = if quick { 1.0 } else { 10.0 };
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("bench.db");
    let store = Arc::new(SqliteStore::open(&db).expect("store"));
    let started = now();
    store.save_positions(started, &positions()).expect("positions");
    publish_status(store.as_ref(), &status(started)).expect("status");

    let stop = Arc::new(AtomicBool::new(false));
    let publisher = {
        let (store, stop) = (Arc::clone(&store), Arc::clone(&stop));
        std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_secs(1));
                let _ = publish_status(store.as_ref(), &status(started));
            }
        })
    };

    let mut child = Command::new(env!("CARGO_BIN_EXE_hantu"))
        .current_dir(dir.path())
        .args(["--db", "bench.db", "api", "serve", "--port", "0", "--json"])
        .env("HANTU_API_KEYS", format!("bench:read:{KEY}"))
        .env("HANTU_API_RATE_PER_MINUTE", "4000000000")
        .env("HANTU_API_BURST", "4000000000")
        .env("HANTU_LOG_LEVEL", "error")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("hantu api serve");
    let stdout = child.stdout.take().expect("stdout");
    let server = Server(child);
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).expect("address line");
    let v: serde_json::Value = serde_json::from_str(&line).expect("address JSON");
    let base = v["listening"].as_str().expect("listening").to_owned();

    let http = reqwest::Client::builder().no_proxy().pool_max_idle_per_host(CLIENTS).build().expect("client");
    let _ = load(&http, &format!("{base}/status"), 0.3).await;
    println!("api: {CLIENTS} concurrent clients, {secs} s per route, server and clients on this machine");
    for route in ["/positions", "/status"] {
        let (elapsed, mut lat) = load(&http, &format!("{base}{route}"), secs).await;
        lat.sort_unstable();
        println!(
            "{route:<12} {:>9.0} requests/s   p50 {:.2} ms   p99 {:.2} ms   ({} requests)",
            lat.len() as f64 / elapsed,
            pct(&lat, 0.50),
            pct(&lat, 0.99),
            lat.len()
        );
    }
    stop.store(true, Ordering::Relaxed);
    let _ = publisher.join();
    drop(server);
}
