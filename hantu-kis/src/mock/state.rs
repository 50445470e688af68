//! The local server's state: configuration, tokens, per-key buckets, faults, counters, the
//! account and its orders. One mutex guards it; handlers never hold it across an await.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use hantu_core::clock::{Clock, LiveClock};
use hantu_core::domain::{Side, StockCode, Timestamp};

use super::market::MockMarket;
use super::realtime::{MockFill, RtState, WsFault};
use super::tape::{Tape, TapeConfig};
use crate::env::Environment;

/// How the local server is set up.
#[derive(Clone)]
pub struct MockConfig {
    /// Which KIS environment it imitates (tr_ids, limits, messages, page sizes).
    pub env: Environment,
    /// The one app key it knows.
    pub app_key: String,
    /// Its secret.
    pub app_secret: String,
    /// Account `CANO`.
    pub cano: String,
    /// Account product code.
    pub product: String,
    /// Starting deposit (KRW).
    pub cash: i64,
    /// Starting holdings: code, shares, average price.
    pub holdings: Vec<(StockCode, u64, i64)>,
    /// The market.
    pub market: MockMarket,
    /// The server's clock (sessions, token issue times, order times). Inject a
    /// [`hantu_core::clock::SimClock`] to run "during market hours" at any wall time.
    pub clock: Arc<dyn Clock>,
    /// Token lifetime (`expires_in`).
    pub token_lifetime: Duration,
    /// Requests per second per app key; `None` = the environment's quota.
    pub rate_per_sec: Option<u32>,
    /// Commission rate (KIS non-face-to-face: 0.0140527 %).
    pub commission_rate: rust_decimal::Decimal,
    /// The HTS id order/fill notices are subscribed with (`tr_key` of H0STCNI0/9).
    pub hts_id: String,
    /// Account holder's name (in notices).
    pub account_name: String,
    /// Today's trades: `None` keeps prices still (moved only by [`super::MockServer::set_price`]
    /// and own fills) and sends no trade or book frames.
    pub tape: Option<TapeConfig>,
    /// The WebSocket side.
    pub ws: WsConfig,
    /// More registered apps (key, secret) for the same account, each with its own tokens,
    /// rate limit and WebSocket session (KIS lets one account register several apps).
    pub extra_apps: Vec<(String, String)>,
    /// Where the account is saved: when set, an order, revision or cancellation accepted over
    /// REST is written there (atomically, synced) before the reply leaves, so an accepted order
    /// survives a `kill -9` (see [`super::persist`]).
    pub persist: Option<std::path::PathBuf>,
}

/// How the local server's WebSocket side behaves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WsConfig {
    /// Time between PINGPONG frames (KIS: about 20 s in one log; UNCONFIRMED).
    pub ping_interval: Duration,
    /// How often (real time) a session sends what happened since the last time; trades of one
    /// stock that happened in between go out in one multi-record frame.
    pub pump_interval: Duration,
    /// At most this many records per trade frame.
    pub max_batch: usize,
}

impl Default for WsConfig {
    fn default() -> Self {
        Self { ping_interval: Duration::from_secs(20), pump_interval: Duration::from_millis(50), max_batch: 20 }
    }
}

impl std::fmt::Debug for MockConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MockConfig")
            .field("env", &self.env)
            .field("listings", &self.market.len())
            .finish_non_exhaustive()
    }
}

impl MockConfig {
    /// A server for `env` with a test key, account `50123456-01`, 10 M KRW and `market`.
    #[must_use]
    pub fn new(env: Environment, market: MockMarket) -> Self {
        Self {
            env,
            app_key: format!("PSMOCK{:030}", 1),
            app_secret: "S".repeat(180),
            cano: if env == Environment::Paper { "50123456".into() } else { "12345678".into() },
            product: "01".into(),
            cash: 10_000_000,
            holdings: Vec::new(),
            market,
            clock: Arc::new(LiveClock),
            token_lifetime: Duration::from_secs(86_400),
            rate_per_sec: None,
            commission_rate: rust_decimal::Decimal::new(140_527, 9),
            hts_id: "mockhts".into(),
            account_name: "홍길동".into(),
            tape: None,
            ws: WsConfig::default(),
            extra_apps: Vec::new(),
            persist: None,
        }
    }

    /// Registers one more app (key, secret) for the account.
    #[must_use]
    pub fn with_extra_app(mut self, key: impl Into<String>, secret: impl Into<String>) -> Self {
        self.extra_apps.push((key.into(), secret.into()));
        self
    }

    /// Sets the account (`CANO` and product code, e.g. `"50123456"`, `"01"`).
    #[must_use]
    pub fn with_account(mut self, cano: impl Into<String>, product: impl Into<String>) -> Self {
        self.cano = cano.into();
        self.product = product.into();
        self
    }

    /// The secret of a registered app key.
    #[must_use]
    pub fn secret_of(&self, app_key: &str) -> Option<&str> {
        if app_key == self.app_key {
            return Some(&self.app_secret);
        }
        self.extra_apps.iter().find(|(k, _)| k == app_key).map(|(_, s)| s.as_str())
    }

    /// Generates today's trades from `seed` at `trades_per_sec` per stock (server-clock time):
    /// prices move, trade and book frames flow, and inquire-ccnl / today's minute bars serve
    /// the same trades.
    #[must_use]
    pub fn with_tape(mut self, seed: u64, trades_per_sec: f64) -> Self {
        self.tape = Some(TapeConfig { seed, trades_per_sec });
        self
    }

    /// Sets the HTS id (the tr_key of order/fill notices).
    #[must_use]
    pub fn with_hts_id(mut self, hts_id: impl Into<String>) -> Self {
        self.hts_id = hts_id.into();
        self
    }

    /// Sets the PINGPONG interval.
    #[must_use]
    pub fn with_ping_interval(mut self, every: Duration) -> Self {
        self.ws.ping_interval = every;
        self
    }

    /// Uses another app key and secret.
    #[must_use]
    pub fn with_app(mut self, key: impl Into<String>, secret: impl Into<String>) -> Self {
        self.app_key = key.into();
        self.app_secret = secret.into();
        self
    }

    /// Sets the clock.
    #[must_use]
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Saves the account to `path` before replying to each order request (see [`MockConfig::persist`]).
    #[must_use]
    pub fn with_persist(mut self, path: impl Into<std::path::PathBuf>) -> Self {
        self.persist = Some(path.into());
        self
    }

    /// Sets the starting deposit.
    #[must_use]
    pub fn with_cash(mut self, cash: i64) -> Self {
        self.cash = cash;
        self
    }

    /// Adds a starting holding.
    #[must_use]
    pub fn with_holding(mut self, code: StockCode, qty: u64, avg_price: i64) -> Self {
        self.holdings.push((code, qty, avg_price));
        self
    }

    /// Overrides the per-key rate.
    #[must_use]
    pub fn with_rate(mut self, per_sec: u32) -> Self {
        self.rate_per_sec = Some(per_sec);
        self
    }
}

/// A fault to inject into matching requests.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Fault {
    /// Answer normally after this delay.
    Latency(Duration),
    /// Answer with this HTTP status and a non-KIS HTML body, without processing.
    Status(u16),
    /// Process the request, then break the connection mid-reply.
    Drop,
    /// Process the request, then answer only after this long (longer than the client waits).
    Timeout(Duration),
    /// Refuse with `EGW00201` (HTTP 500) without processing.
    RateLimit,
    /// Refuse with `EGW00201` inside an HTTP 200 reply (seen by some clients) without processing.
    RateLimitInOk,
    /// Refuse with `EGW00215` (HTTP 500) without processing.
    LedgerRateLimit,
    /// Expire every token now, then validate (so this request gets `EGW00123`).
    ExpireTokens,
    /// Process, then answer HTTP 200 with a body that is not JSON.
    MalformedJson,
    /// Process, then replace the first numeric string of the reply's output with `"12x"`.
    BadNumber,
}

/// When a fault applies.
#[derive(Clone, Debug)]
pub struct FaultRule {
    /// Applies to paths containing this (None = every `/uapi` path).
    pub path: Option<String>,
    /// How many more requests it applies to (None = until cleared).
    pub remaining: Option<u32>,
    /// The fault.
    pub fault: Fault,
}

impl FaultRule {
    /// `fault` for the next `times` requests to any path.
    #[must_use]
    pub fn times(fault: Fault, times: u32) -> Self {
        Self { path: None, remaining: Some(times), fault }
    }

    /// `fault` for every request until cleared.
    #[must_use]
    pub fn always(fault: Fault) -> Self {
        Self { path: None, remaining: None, fault }
    }

    /// Restricts the rule to paths containing `path` (e.g. `order-cash`).
    #[must_use]
    pub fn on(mut self, path: &str) -> Self {
        self.path = Some(path.to_owned());
        self
    }
}

/// Counters the tests read.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MockStats {
    /// Calls to `/oauth2/tokenP` (each would text the account holder).
    pub token_requests: u64,
    /// New tokens issued.
    pub tokens_issued: u64,
    /// `EGW00133` refusals.
    pub token_too_soon: u64,
    /// `/uapi` requests received.
    pub requests: u64,
    /// `EGW00201` refusals by the rate limit (not injected ones).
    pub rate_limited: u64,
    /// `order-cash` requests that passed the gateway (accepted or rejected).
    pub order_submissions: u64,
    /// `order-rvsecncl` requests that passed the gateway.
    pub revise_cancel_submissions: u64,
    /// Faults injected.
    pub faults: u64,
    /// WebSocket connections accepted.
    pub ws_connections: u64,
    /// Data frames sent (trades, books, notices; duplicates included).
    pub ws_data_frames: u64,
    /// Trade records sent.
    pub ws_trade_records: u64,
    /// PINGPONG frames sent.
    pub ws_pings: u64,
    /// PINGPONG echoes (text or pong frames) received.
    pub ws_pongs: u64,
    /// WebSocket faults applied.
    pub ws_faults: u64,
}

/// An issued token (saved as is in a snapshot, which is why snapshots are written 0600).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(super) struct TokenState {
    pub app_key: String,
    pub value: String,
    pub issued: Timestamp,
    pub expires: Timestamp,
    pub revoked: bool,
}

/// A per-key token bucket on the real clock.
#[derive(Debug)]
pub(super) struct Bucket {
    pub tokens: f64,
    pub last: Instant,
}

/// An order in the mock's book (one row of inquire-daily-ccld); saved as is in a snapshot.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(super) struct MockOrder {
    pub odno: String,
    pub orig_odno: Option<String>,
    pub date: chrono::NaiveDate,
    pub time: chrono::NaiveTime,
    pub code: StockCode,
    pub side: Side,
    pub division: String,
    pub qty: u64,
    pub price: Option<i64>,
    pub filled_qty: u64,
    pub filled_amount: i64,
    pub cancelled_qty: u64,
    /// A revise/cancel row (not itself working).
    pub is_amend: bool,
    /// `cncl_yn`.
    pub is_cancel: bool,
}

impl MockOrder {
    pub fn remaining(&self) -> u64 {
        if self.is_amend { 0 } else { self.qty - self.filled_qty - self.cancelled_qty }
    }
}

/// A holding in the mock account; saved (with its code) in a snapshot.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(super) struct MockHolding {
    pub qty: u64,
    pub cost: i64,
    pub bought_today: u64,
    pub sold_today: u64,
}

/// Everything mutable.
pub(super) struct State {
    pub config: MockConfig,
    pub tokens: Vec<TokenState>,
    /// Last token issuance per app key.
    pub last_issue: HashMap<String, Timestamp>,
    pub buckets: HashMap<String, Bucket>,
    pub faults: VecDeque<FaultRule>,
    pub stats: MockStats,
    pub cash: i64,
    pub bought_today: i64,
    pub sold_today: i64,
    pub costs_today: i64,
    pub holdings: std::collections::BTreeMap<StockCode, MockHolding>,
    pub orders: Vec<MockOrder>,
    pub next_odno: u64,
    pub fill_limit: Option<u64>,
    pub seq: u64,
    pub tapes: std::collections::BTreeMap<StockCode, Tape>,
    pub rt: RtState,
    pub fills: Vec<MockFill>,
    pub ws_faults: VecDeque<WsFault>,
}

impl State {
    pub fn new(config: MockConfig) -> Self {
        let holdings = config
            .holdings
            .iter()
            .map(|(c, q, p)| (*c, MockHolding { qty: *q, cost: *p * *q as i64, ..MockHolding::default() }))
            .collect();
        let next_odno = if config.env == Environment::Paper { 8_637 } else { 117_057 };
        Self {
            cash: config.cash,
            config,
            tokens: Vec::new(),
            last_issue: HashMap::new(),
            buckets: HashMap::new(),
            faults: VecDeque::new(),
            stats: MockStats::default(),
            bought_today: 0,
            sold_today: 0,
            costs_today: 0,
            holdings,
            orders: Vec::new(),
            next_odno,
            fill_limit: None,
            seq: 0,
            tapes: std::collections::BTreeMap::new(),
            rt: RtState::default(),
            fills: Vec::new(),
            ws_faults: VecDeque::new(),
        }
    }

    pub fn now(&self) -> Timestamp {
        self.config.clock.now()
    }

    pub fn is_paper(&self) -> bool {
        self.config.env == Environment::Paper
    }

    /// A fresh pseudo-random 64-bit value (ids, not secrets).
    pub fn next_random(&mut self) -> u64 {
        self.seq += 1;
        let mut x = self.seq.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ self.now().millis() as u64;
        x ^= x >> 31;
        x = x.wrapping_mul(0xbf58_476d_1ce4_e5b9);
        x ^ (x >> 29)
    }

    /// Takes the fault for `path`, if any.
    pub fn take_fault(&mut self, path: &str) -> Option<Fault> {
        let i = self.faults.iter().position(|r| r.path.as_deref().is_none_or(|p| path.contains(p)))?;
        let rule = &mut self.faults[i];
        let fault = rule.fault.clone();
        match &mut rule.remaining {
            Some(n) if *n <= 1 => {
                self.faults.remove(i);
            }
            Some(n) => *n -= 1,
            None => {}
        }
        self.stats.faults += 1;
        Some(fault)
    }

    /// Token-bucket check for `app_key` at real time `now`.
    pub fn allow(&mut self, app_key: &str, now: Instant) -> bool {
        let rate = f64::from(self.config.rate_per_sec.unwrap_or(self.config.env.requests_per_sec()));
        let b = self.buckets.entry(app_key.to_owned()).or_insert(Bucket { tokens: rate, last: now });
        b.tokens = (b.tokens + now.saturating_duration_since(b.last).as_secs_f64() * rate).min(rate);
        b.last = now;
        if b.tokens >= 1.0 {
            b.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}
