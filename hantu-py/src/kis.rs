//! `hantu.kis`: a blocking facade over the KIS adapter, and the local KIS server.
//!
//! Each object owns a small multi-threaded tokio runtime; a call blocks on it with the GIL
//! released. Nothing touches Python's event loop, so the calls work inside a running Jupyter
//! kernel (whose asyncio loop is busy running the cell) as well as in plain scripts. The local
//! server's tasks run on its runtime's workers, so it keeps answering between calls.

use std::sync::{Arc, Mutex};

use chrono::NaiveDate;
use hantu_core::broker::Broker;
use hantu_core::clock::{Clock, LiveClock, SimClock};
use hantu_core::data::MarketData;
use hantu_core::domain::{Price, Side, StockCode, Timestamp};
use hantu_kis::auth::{AccountNo, Credential};
use hantu_kis::mock::{MockConfig, MockMarket, MockServer};
use hantu_kis::rest::{OrderCash, OrderDivision};
use hantu_kis::{Environment, ErrorClass, KisBroker, KisClient, KisConfig, KisError};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use serde::Serialize;

use crate::error::{BrokerError, ConfigError, DataError, RateLimitError, broker_err, validation_err};
use crate::frames::bars_to_columns;
use crate::gil::detached;

fn kis_err(e: &KisError) -> PyErr {
    match (e, e.class()) {
        (KisError::Config(_), _) => ConfigError::new_err(format!("config: kis: {e}")),
        (_, ErrorClass::RateLimited) => RateLimitError::new_err(e.to_string()),
        _ => BrokerError::new_err(e.to_string()),
    }
}

fn runtime() -> PyResult<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("hantu-kis")
        .enable_all()
        .build()
        .map_err(|e| BrokerError::new_err(format!("cannot start the I/O runtime: {e}")))
}

fn env(s: &str) -> PyResult<Environment> {
    match s.to_ascii_lowercase().as_str() {
        "paper" | "vts" => Ok(Environment::Paper),
        "real" | "prod" => Ok(Environment::Real),
        _ => Err(ConfigError::new_err(format!("config: kis.env: {s:?} must be \"paper\" or \"real\""))),
    }
}

fn json<T: Serialize>(v: &T) -> PyResult<String> {
    serde_json::to_string(v).map_err(|e| DataError::new_err(e.to_string()))
}

fn code(s: &str) -> PyResult<StockCode> {
    StockCode::new_checked(s).map_err(|e| validation_err(&e))
}

/// A KST wall-clock time `YYYY-MM-DD HH:MM`.
fn kst(s: &str) -> PyResult<Timestamp> {
    chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M")
        .map(Timestamp::from_kst)
        .map_err(|e| ConfigError::new_err(format!("config: at: {s:?}: {e} (expected YYYY-MM-DD HH:MM, KST)")))
}

fn date(s: &str) -> PyResult<NaiveDate> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|e| ConfigError::new_err(format!("date {s:?}: {e}")))
}

/// A KIS account (real or paper), blocking.
#[pyclass(frozen, name = "Client", module = "hantu.kis")]
pub(crate) struct PyClient {
    rt: tokio::runtime::Runtime,
    broker: KisBroker,
    account: AccountNo,
    env: Environment,
    url: String,
}

impl PyClient {
    fn build(
        env: Environment,
        credential: Credential,
        account: AccountNo,
        url: Option<String>,
        token_cache: Option<std::path::PathBuf>,
        clock: Option<Arc<dyn Clock>>,
    ) -> PyResult<Self> {
        let mut cfg = KisConfig::new(env, credential).with_account(account.clone());
        if let Some(u) = url {
            cfg = cfg.with_rest_url(u);
        }
        if let Some(p) = token_cache {
            cfg = cfg.with_token_cache(p);
        }
        if let Some(c) = clock {
            cfg = cfg.with_clock(c);
        }
        let url = cfg.rest_url.clone();
        let rt = runtime()?;
        let broker = {
            let _guard = rt.enter();
            KisBroker::new(KisClient::new(cfg).map_err(|e| kis_err(&e))?).map_err(|e| kis_err(&e))?
        };
        Ok(Self { rt, broker, account, env, url })
    }

    fn order(&self, py: Python<'_>, side: Side, code: &str, qty: u64, price: Option<i64>) -> PyResult<String> {
        let code = self::code(code)?;
        if qty == 0 {
            return Err(crate::error::ValidationError::new_err("order quantity must be at least 1 share"));
        }
        let price = price.map(|p| Price::new_checked(p).map_err(|e| validation_err(&e))).transpose()?;
        let req = OrderCash {
            account: self.account.clone(),
            side,
            code,
            division: if price.is_some() { OrderDivision::Limit } else { OrderDivision::Market },
            qty,
            price,
            legacy: false,
        };
        let ack = detached(py, || self.rt.block_on(self.broker.client().call(&req))).map_err(|e| kis_err(&e))?;
        Ok(ack.order_no)
    }
}

#[pymethods]
impl PyClient {
    /// Connects with an app key and secret and an account `12345678-01`. `url` points at
    /// another host (e.g. a local server); `token_cache` is a file to keep the access token in
    /// (0600) between sessions.
    #[new]
    #[pyo3(signature = (app_key, app_secret, account, env = "paper", url = None, token_cache = None))]
    fn new(
        app_key: &str,
        app_secret: &str,
        account: &str,
        env: &str,
        url: Option<String>,
        token_cache: Option<std::path::PathBuf>,
    ) -> PyResult<Self> {
        let env = self::env(env)?;
        let credential = Credential::new(app_key, app_secret).map_err(|e| kis_err(&e))?;
        let account = AccountNo::parse(account).map_err(|e| kis_err(&e))?;
        Self::build(env, credential, account, url, token_cache, None)
    }

    fn __repr__(&self) -> String {
        format!("kis.Client({}, {})", if self.env == Environment::Paper { "paper" } else { "real" }, self.url)
    }

    /// The latest quote of `code`, as JSON.
    fn quote_json(&self, py: Python<'_>, code: &str) -> PyResult<String> {
        let c = self::code(code)?;
        json(&detached(py, || self.rt.block_on(self.broker.quote(c))).map_err(|e| broker_err(&e))?)
    }

    /// Daily bars of `code` in `start..=end` (`YYYY-MM-DD`), as columns.
    fn daily_bars<'py>(&self, py: Python<'py>, code: &str, start: &str, end: &str) -> PyResult<Bound<'py, PyDict>> {
        let (c, from, to) = (self::code(code)?, date(start)?, date(end)?);
        let bars =
            detached(py, || self.rt.block_on(self.broker.daily_bars(c, from, to))).map_err(|e| broker_err(&e))?;
        bars_to_columns(py, &bars)
    }

    /// Today's one-minute bars of `code` so far, as columns.
    fn minute_bars<'py>(&self, py: Python<'py>, code: &str) -> PyResult<Bound<'py, PyDict>> {
        let c = self::code(code)?;
        let bars = detached(py, || self.rt.block_on(self.broker.minute_bars(c))).map_err(|e| broker_err(&e))?;
        bars_to_columns(py, &bars)
    }

    /// Cash, buying power and total equity, as JSON.
    fn balance_json(&self, py: Python<'_>) -> PyResult<String> {
        json(&detached(py, || self.rt.block_on(self.broker.balance())).map_err(|e| broker_err(&e))?)
    }

    /// Positions held, as JSON records.
    fn positions_json(&self, py: Python<'_>) -> PyResult<String> {
        json(&detached(py, || self.rt.block_on(self.broker.positions())).map_err(|e| broker_err(&e))?)
    }

    /// Orders still working, as JSON records.
    fn open_orders_json(&self, py: Python<'_>) -> PyResult<String> {
        json(&detached(py, || self.rt.block_on(self.broker.open_orders())).map_err(|e| broker_err(&e))?)
    }

    /// Today's orders, as JSON records.
    fn orders_today_json(&self, py: Python<'_>) -> PyResult<String> {
        json(&detached(py, || self.rt.block_on(self.broker.orders_today())).map_err(|e| broker_err(&e))?)
    }

    /// The condition searches saved in HTS under `user` (the HTS id), as JSON records
    /// `seq, group, name`.
    fn conditions_json(&self, py: Python<'_>, user: &str) -> PyResult<String> {
        let req = hantu_kis::rest::PsearchTitle { user_id: user.to_owned() };
        let titles = detached(py, || self.rt.block_on(self.broker.client().call(&req))).map_err(|e| kis_err(&e))?;
        let rows: Vec<_> =
            titles.0.iter().map(|t| serde_json::json!({ "seq": t.seq, "group": t.group, "name": t.name })).collect();
        json(&rows)
    }

    /// The stocks matching saved condition `seq` of `user`, as JSON records `code, name, price,
    /// volume` (KIS's "no matches" error is an empty list).
    fn condition_json(&self, py: Python<'_>, user: &str, seq: &str) -> PyResult<String> {
        let req = hantu_kis::rest::PsearchResult { user_id: user.to_owned(), seq: seq.to_owned() };
        let matches = match detached(py, || self.rt.block_on(self.broker.client().call(&req))) {
            Ok(m) => m.0,
            Err(e) if e.msg_cd() == Some("MCA05918") => Vec::new(),
            Err(e) => return Err(kis_err(&e)),
        };
        let rows: Vec<_> = matches
            .iter()
            .map(|m| serde_json::json!({ "code": m.code, "name": m.name, "price": m.price.won(), "volume": m.volume }))
            .collect();
        json(&rows)
    }

    /// Fills since `since_ms` (UTC milliseconds), as JSON records.
    fn fills_json(&self, py: Python<'_>, since_ms: i64) -> PyResult<String> {
        let since = Timestamp::from_millis(since_ms);
        json(&detached(py, || self.rt.block_on(self.broker.fills_since(since))).map_err(|e| broker_err(&e))?)
    }

    /// Places a day order to buy `qty` shares of `code` (at the market, or at `price` won or
    /// better) straight at KIS; returns the KIS order number. This bypasses the engine's risk
    /// checks and journal: it is for manual orders. KIS validates tick, price band and cash.
    #[pyo3(signature = (code, qty, price = None))]
    fn buy(&self, py: Python<'_>, code: &str, qty: u64, price: Option<i64>) -> PyResult<String> {
        self.order(py, Side::Buy, code, qty, price)
    }

    /// Places a day order to sell, as [`PyClient::buy`].
    #[pyo3(signature = (code, qty, price = None))]
    fn sell(&self, py: Python<'_>, code: &str, qty: u64, price: Option<i64>) -> PyResult<String> {
        self.order(py, Side::Sell, code, qty, price)
    }

    /// Cancels the working order with KIS order number `broker_id`.
    fn cancel(&self, py: Python<'_>, broker_id: &str) -> PyResult<()> {
        detached(py, || self.rt.block_on(self.broker.cancel(broker_id))).map_err(|e| broker_err(&e))
    }
}

/// The local KIS server: KIS's wire format over a simulated market on 127.0.0.1.
#[pyclass(frozen, name = "LocalServer", module = "hantu.kis")]
pub(crate) struct PyLocalServer {
    rt: tokio::runtime::Runtime,
    clock: Option<Arc<SimClock>>,
    server: Mutex<Option<MockServer>>,
    url: String,
    ws_url: String,
    hts_id: String,
    app: (String, String),
    account: String,
    env: String,
}

impl PyLocalServer {
    fn with<T>(&self, f: impl FnOnce(&MockServer) -> T) -> PyResult<T> {
        let guard = self.server.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        guard.as_ref().map(f).ok_or_else(|| BrokerError::new_err("the local KIS server was stopped"))
    }
}

#[pymethods]
impl PyLocalServer {
    /// Starts a server for `env` with `cash` won on deposit. Its market holds five well-known
    /// stocks (005930, 000660, 035720, 247540, 293490), or `stocks` synthetic ones (`000001`...)
    /// with `days` of history. `port` 0 picks a free port. `app_key`/`app_secret`, `account`
    /// and `hts_id` replace the test credentials; `apps` registers more (key, secret) pairs;
    /// `tape_seed` makes the market trade (`trades_per_sec` per stock) and stream over WebSocket.
    #[new]
    #[pyo3(signature = (
        env = "paper", cash = 10_000_000, stocks = None, days = 300, port = 0, at = None,
        app_key = None, app_secret = None, account = None, hts_id = None, apps = Vec::new(),
        tape_seed = None, trades_per_sec = 5.0
    ))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        env: &str,
        cash: i64,
        stocks: Option<usize>,
        days: usize,
        port: u16,
        at: Option<&str>,
        app_key: Option<String>,
        app_secret: Option<String>,
        account: Option<String>,
        hts_id: Option<String>,
        apps: Vec<(String, String)>,
        tape_seed: Option<u64>,
        trades_per_sec: f64,
    ) -> PyResult<Self> {
        let environment = self::env(env)?;
        let mut problems = Vec::new();
        if cash < 0 {
            problems.push(format!("cash: {cash} must not be negative"));
        }
        if app_key.is_some() != app_secret.is_some() {
            problems.push("app_key/app_secret: give both or neither".to_owned());
        }
        for (name, v) in [("app_key", &app_key), ("app_secret", &app_secret), ("hts_id", &hts_id)] {
            if v.as_deref().is_some_and(|v| v.trim().is_empty()) {
                problems.push(format!("{name}: must not be empty"));
            }
        }
        if apps.iter().any(|(k, s)| k.trim().is_empty() || s.trim().is_empty()) {
            problems.push("apps: every (key, secret) must be non-empty".to_owned());
        }
        let parsed_account = match account.as_deref().map(AccountNo::parse).transpose() {
            Ok(a) => a,
            Err(e) => {
                problems.push(format!("account: {e}"));
                None
            }
        };
        if !(trades_per_sec.is_finite() && trades_per_sec > 0.0) {
            problems.push(format!("trades_per_sec: {trades_per_sec} must be positive"));
        }
        if !problems.is_empty() {
            return Err(ConfigError::new_err(format!("config: {}", problems.join("; "))));
        }
        let clock = at.map(|s| kst(s).map(|ts| Arc::new(SimClock::new(ts)))).transpose()?;
        let today = clock.as_ref().map_or_else(|| LiveClock.now(), |c| c.now()).kst_date();
        let market = match stocks {
            None => MockMarket::fixture(today),
            Some(n) if n > 0 && days > 1 => MockMarket::synthetic(n, days, today),
            Some(n) => {
                return Err(ConfigError::new_err(format!("config: stocks {n} and days {days} must be positive")));
            }
        };
        let rt = runtime()?;
        let mut cfg = MockConfig::new(environment, market).with_cash(cash);
        if let Some(c) = &clock {
            cfg = cfg.with_clock(c.clone());
        }
        if let (Some(k), Some(s)) = (app_key, app_secret) {
            cfg = cfg.with_app(k, s);
        }
        if let Some(a) = &parsed_account {
            cfg = cfg.with_account(a.cano(), a.product());
        }
        if let Some(h) = hts_id {
            cfg = cfg.with_hts_id(h);
        }
        for (k, s) in apps {
            cfg = cfg.with_extra_app(k, s);
        }
        if let Some(seed) = tape_seed {
            cfg = cfg.with_tape(seed, trades_per_sec);
        }
        let server = detached(py, || rt.block_on(MockServer::start_on(cfg, port)))
            .map_err(|e| BrokerError::new_err(format!("cannot start the local KIS server: {e}")))?;
        let url = server.base_url();
        let ws_url = server.ws_url();
        let hts_id = server.hts_id();
        let app = server.app();
        let account = server.account();
        Ok(Self {
            rt,
            clock,
            server: Mutex::new(Some(server)),
            url,
            ws_url,
            hts_id,
            app,
            account,
            env: env.to_ascii_lowercase(),
        })
    }

    /// `ws://127.0.0.1:<port>`: the real-time (WebSocket) side.
    #[getter]
    fn ws_url(&self) -> &str {
        &self.ws_url
    }

    /// The HTS id order/fill notices are subscribed with.
    #[getter]
    fn hts_id(&self) -> &str {
        &self.hts_id
    }

    /// `http://127.0.0.1:<port>`.
    #[getter]
    fn url(&self) -> &str {
        &self.url
    }

    /// The test app key the server accepts.
    #[getter]
    fn app_key(&self) -> &str {
        &self.app.0
    }

    /// The test app secret the server accepts (not a real secret).
    #[getter]
    fn app_secret(&self) -> &str {
        &self.app.1
    }

    /// The account number `12345678-01`.
    #[getter]
    fn account(&self) -> &str {
        &self.account
    }

    /// `"paper"` or `"real"`.
    #[getter]
    fn env(&self) -> &str {
        &self.env
    }

    /// Cash on deposit now (won).
    fn cash(&self) -> PyResult<i64> {
        self.with(MockServer::cash)
    }

    /// Shares held of `code`.
    fn holding(&self, code: &str) -> PyResult<u64> {
        let c = self::code(code)?;
        self.with(|s| s.holding(c))
    }

    /// The current price of `code`, or `None` if the server does not list it.
    fn price(&self, code: &str) -> PyResult<Option<i64>> {
        let c = self::code(code)?;
        self.with(|s| s.price(c))
    }

    /// Moves the price of `code` and matches resting orders against it.
    fn set_price(&self, code: &str, price: i64) -> PyResult<()> {
        let c = self::code(code)?;
        self.with(|s| s.set_price(c, price))
    }

    /// A client of this server with its test credentials (and its clock, when it has one).
    fn client(&self) -> PyResult<PyClient> {
        let credential = Credential::new(self.app.0.as_str(), self.app.1.as_str()).map_err(|e| kis_err(&e))?;
        let account = AccountNo::parse(&self.account).map_err(|e| kis_err(&e))?;
        let clock = self.clock.clone().map(|c| c as Arc<dyn Clock>);
        PyClient::build(self::env(&self.env)?, credential, account, Some(self.url.clone()), None, clock)
    }

    /// Moves a server started with `at` to another KST time `YYYY-MM-DD HH:MM` and matches
    /// resting orders.
    fn set_time(&self, at: &str) -> PyResult<()> {
        let Some(clock) = &self.clock else {
            return Err(ConfigError::new_err("config: at: this server runs on the wall clock; start it with at=..."));
        };
        clock.set(kst(at)?);
        self.with(MockServer::match_now)
    }

    /// Stops the server (idempotent).
    fn stop(&self, py: Python<'_>) {
        let server = self.server.lock().unwrap_or_else(std::sync::PoisonError::into_inner).take();
        if let Some(s) = server {
            detached(py, || self.rt.block_on(s.stop()));
        }
    }

    /// Whether the server is running.
    #[getter]
    fn running(&self) -> bool {
        self.server.lock().unwrap_or_else(std::sync::PoisonError::into_inner).is_some()
    }

    fn __repr__(&self) -> String {
        format!("kis.LocalServer({}, {}, account {})", self.env, self.url, self.account)
    }
}

/// Builds the `kis` submodule.
pub(crate) fn module(py: Python<'_>) -> PyResult<Bound<'_, PyModule>> {
    let m = PyModule::new(py, "kis")?;
    m.add_class::<PyClient>()?;
    m.add_class::<PyLocalServer>()?;
    m.add_class::<crate::stream::PyStream>()?;
    Ok(m)
}
