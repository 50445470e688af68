//! The API over real HTTP on 127.0.0.1, against a SQLite store filled by `hantu demo` (a simulated
//! market, screened, selected and backtested) plus a trading day: orders in every state, a fill,
//! positions, the trader's published status and alerts.

mod auth;
mod browser;
mod routes;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use chrono::NaiveDate;
use hantu_core::control::{ControlState, TraderStatus, publish_status};
use hantu_core::domain::{
    ClientOrderId, Fill, Money, Order, OrderRequest, OrderStatus, Position, Price, Qty, Side, StockCode, Timestamp,
};
use hantu_core::store::{EventKind, EventRecord, SqliteStore, Store};

use super::{ApiConfig, ApiServer, KeyRing};
use crate::commands::Ctx;
use crate::commands::demo::DemoArgs;
use crate::config::{Config, Loaded};

/// A control key.
pub const CONTROL_KEY: &str = "control-key-0123456789abcdef";
/// A read-only key.
pub const READ_KEY: &str = "read-key-0123456789abcdef0123";

/// A demo database built once per test binary; each test works on its own copy.
fn demo_db() -> &'static Path {
    static DB: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    let (_, path) = DB.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("demo.db");
        let global = crate::cli::GlobalArgs {
            config: None,
            db: Some(db.clone()),
            json: true,
            log_format: None,
            verbose: 0,
            quiet: true,
        };
        let loaded =
            Loaded { config: Config::default(), sources: BTreeMap::new(), secrets: BTreeMap::new(), file: None };
        let ctx = Ctx::new(&global, loaded);
        let args = DemoArgs { stocks: 400, days: 500, backtest_days: 20, seed: 42 };
        crate::commands::demo::run(&args, &ctx).unwrap();
        let store = SqliteStore::open(&db).unwrap();
        trading_day(&store);
        drop(store);
        (dir, db)
    });
    path
}

fn now() -> Timestamp {
    super::read::now()
}

/// The last close of `code` (on the tick grid, so a valid order price).
fn last_close(s: &dyn Store, code: StockCode) -> Price {
    let bars = s
        .daily_bars(code, NaiveDate::from_ymd_opt(1900, 1, 1).unwrap(), NaiveDate::from_ymd_opt(2999, 1, 1).unwrap())
        .unwrap();
    bars.last().unwrap().close
}

/// A morning of trading the first picks: a filled buy, a working limit order, a rejected one, the
/// positions, the trader's status and an alert.
fn trading_day(s: &dyn Store) {
    let picks = s.latest_watchlist().unwrap().unwrap();
    let codes: Vec<StockCode> = picks.entries.iter().take(3).map(|e| e.code).collect();
    let t0 = now().millis() - 60_000;
    let ts = |d: i64| Timestamp::from_millis(t0 + d);
    let price = last_close(s, codes[0]);

    let mut filled = Order::new(
        ClientOrderId::new_checked("api-t-1").unwrap(),
        OrderRequest::market(codes[0], Side::Buy, Qty::from_shares(10)).unwrap(),
        ts(0),
    );
    s.journal_order(&filled).unwrap();
    filled.transition(OrderStatus::Accepted, ts(40)).unwrap();
    filled.broker_id = Some("0000000001".into());
    s.update_order(&filled).unwrap();
    filled.apply_fill(Qty::from_shares(10), price, ts(90)).unwrap();
    s.update_order(&filled).unwrap();
    let fill = Fill {
        client_id: filled.client_id.clone(),
        code: codes[0],
        side: Side::Buy,
        qty: Qty::from_shares(10),
        price,
        commission: Money::from_won(15),
        tax: Money::ZERO,
        ts: ts(90),
    };
    s.record_fill(&fill).unwrap();

    let p1 = last_close(s, codes[1]);
    let mut working = Order::new(
        ClientOrderId::new_checked("api-t-2").unwrap(),
        OrderRequest::limit(codes[1], Side::Buy, Qty::from_shares(5), p1).unwrap(),
        ts(1_000),
    );
    s.journal_order(&working).unwrap();
    working.transition(OrderStatus::Accepted, ts(1_030)).unwrap();
    s.update_order(&working).unwrap();

    let mut rejected = Order::new(
        ClientOrderId::new_checked("api-t-3").unwrap(),
        OrderRequest::market(codes[2], Side::Sell, Qty::from_shares(1)).unwrap(),
        ts(2_000),
    );
    s.journal_order(&rejected).unwrap();
    rejected.transition(OrderStatus::Rejected, ts(2_010)).unwrap();
    rejected.reason = Some("nothing to sell".into());
    s.update_order(&rejected).unwrap();

    let mut pos = Position::flat(codes[0], price);
    pos.apply(&fill).unwrap();
    s.save_positions(ts(100), std::slice::from_ref(&pos)).unwrap();
    let held = pos.market_value();
    publish_status(
        s,
        &TraderStatus {
            mode: "sandbox".into(),
            strategy: "picks".into(),
            state: ControlState::Running,
            pid: std::process::id(),
            started_at: ts(0),
            heartbeat: now(),
            cash: Money::from_won(100_000_000 - held - 15),
            equity: Money::from_won(100_000_000 - 15),
            pnl_today: Money::from_won(-15),
            positions: vec![pos],
            working_orders: vec![working],
            last_error: None,
        },
    )
    .unwrap();
    s.record_event(&EventRecord {
        ts: ts(3_000),
        kind: EventKind::Alert,
        source: "monitor".into(),
        message: format!("{} crossed its entry band", codes[0]),
        detail: serde_json::json!({ "code": codes[0].to_string() }),
    })
    .unwrap();
}

/// A running API over a fresh copy of the demo store.
pub struct TestApi {
    /// Its address.
    pub addr: SocketAddr,
    /// The store it serves (shared with the test, as another process would share the file).
    pub store: Arc<SqliteStore>,
    /// An HTTP client.
    pub http: reqwest::Client,
    _dir: tempfile::TempDir,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
}

impl TestApi {
    /// Starts one with generous rate limits.
    pub async fn start() -> Self {
        Self::start_with(10_000, 10_000).await
    }

    /// Starts one with the given per-key rate and burst.
    pub async fn start_with(rate_per_minute: u32, burst: u32) -> Self {
        let src = demo_db();
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("hantu.db");
        std::fs::copy(src, &db).unwrap();
        let store = Arc::new(SqliteStore::open(&db).unwrap());
        let config = ApiConfig {
            addr: "127.0.0.1:0".parse().unwrap(),
            keys: KeyRing::parse(&format!("ops:control:{CONTROL_KEY},grafana:read:{READ_KEY}")).unwrap(),
            rate_per_minute,
            burst,
            log_dir: None,
        };
        let server = ApiServer::bind(config, Arc::clone(&store) as Arc<dyn Store>).await.unwrap();
        let addr = server.local_addr().unwrap();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(server.serve(async move {
            let _ = rx.await;
        }));
        let http = reqwest::Client::builder().no_proxy().build().unwrap();
        Self { addr, store, http, _dir: dir, stop: Some(tx), task: Some(task) }
    }

    /// The URL of `path`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// GET with a key.
    pub async fn get(&self, path: &str, key: Option<&str>) -> reqwest::Response {
        let mut r = self.http.get(self.url(path));
        if let Some(k) = key {
            r = r.header("X-API-Key", k);
        }
        r.send().await.unwrap()
    }

    /// GET with the read key, expecting 200 and JSON.
    pub async fn json(&self, path: &str) -> serde_json::Value {
        let r = self.get(path, Some(READ_KEY)).await;
        assert_eq!(r.status(), 200, "{path}");
        r.json().await.unwrap()
    }

    /// POST a body with a key.
    pub async fn post(&self, path: &str, key: Option<&str>, body: &str) -> reqwest::Response {
        let mut r = self.http.post(self.url(path)).header("content-type", "application/json").body(body.to_owned());
        if let Some(k) = key {
            r = r.header("X-API-Key", k);
        }
        r.send().await.unwrap()
    }

    /// Stops the server and waits for it (proves graceful shutdown ends, streams included).
    pub async fn stop(mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            tokio::time::timeout(std::time::Duration::from_secs(10), task).await.unwrap().unwrap().unwrap();
        }
    }
}

/// Asserts an error answer: status, JSON code, and a request id matching the header.
pub async fn assert_error(r: reqwest::Response, status: u16, code: &str) -> serde_json::Value {
    assert_eq!(r.status(), status);
    let rid = r.headers().get("x-request-id").unwrap().to_str().unwrap().to_owned();
    assert_eq!(r.headers().get("content-type").unwrap(), "application/json");
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], code, "{body}");
    assert_eq!(body["request_id"], rid.as_str());
    assert!(!body["error"]["message"].as_str().unwrap().is_empty());
    body
}
