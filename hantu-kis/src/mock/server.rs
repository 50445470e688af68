//! The axum server: OAuth endpoints, the `/uapi` gateway (auth headers, token rules, per-key
//! rate limit, tr_id per environment, faults) and dispatch to the endpoint handlers.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Query, State as AxState};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use hantu_core::domain::{StockCode, Timestamp};
use serde_json::{Value, json};
use tokio::sync::oneshot;

use super::realtime::{self, MockFill, WsFault};
use super::state::{Fault, FaultRule, MockConfig, MockStats, State, TokenState};
use super::tape::MockTrade;
use super::wire::Reply;
use super::{account, info, quotes, trading, ws_session};
use crate::env::Environment;

pub(super) type Shared = Arc<Mutex<State>>;

pub(super) fn lock(s: &Shared) -> MutexGuard<'_, State> {
    s.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// A parsed `/uapi` request.
#[derive(Debug)]
pub(super) struct Req {
    pub name: String,
    pub tr_id: String,
    /// Parameters with upper-case names (query for GET, body for POST).
    pub params: HashMap<String, String>,
}

impl Req {
    /// A parameter, `""` when absent.
    pub fn get(&self, key: &str) -> &str {
        self.params.get(key).map_or("", String::as_str)
    }

    /// Whether the parameter is present.
    pub fn has(&self, key: &str) -> bool {
        self.params.contains_key(key)
    }

    /// A stock code parameter.
    pub fn code(&self, key: &str) -> Option<StockCode> {
        StockCode::new_checked(self.get(key).trim()).ok()
    }
}

/// The local KIS server, listening on 127.0.0.1. Dropping it stops it.
pub struct MockServer {
    addr: SocketAddr,
    ws_addr: SocketAddr,
    pub(super) state: Shared,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
    ws_shutdown: Option<oneshot::Sender<()>>,
    ws_task: Option<tokio::task::JoinHandle<()>>,
}

impl std::fmt::Debug for MockServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MockServer").field("addr", &self.addr).finish_non_exhaustive()
    }
}

impl MockServer {
    /// Starts a server on `127.0.0.1:0` (an ephemeral port).
    ///
    /// # Errors
    /// If the socket cannot be bound.
    pub async fn start(config: MockConfig) -> std::io::Result<Self> {
        Self::start_on(config, 0).await
    }

    /// Starts a server on `127.0.0.1:port` (0 = ephemeral).
    ///
    /// # Errors
    /// If the socket cannot be bound.
    pub async fn start_on(config: MockConfig, port: u16) -> std::io::Result<Self> {
        Self::start_on_ports(config, port, 0).await
    }

    /// Starts a server with REST on `127.0.0.1:port` and WebSocket on `127.0.0.1:ws_port` (0 =
    /// ephemeral), for a sandbox clients find at the same addresses every time.
    ///
    /// # Errors
    /// If a socket cannot be bound.
    pub async fn start_on_ports(config: MockConfig, port: u16, ws_port: u16) -> std::io::Result<Self> {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
        let addr = listener.local_addr()?;
        let state: Shared = Arc::new(Mutex::new(State::new(config)));
        let app = Router::new()
            .route("/oauth2/tokenP", post(token_p))
            .route("/oauth2/revokeP", post(revoke_p))
            .route("/oauth2/Approval", post(approval))
            .route("/uapi/hashkey", post(hashkey))
            .fallback(uapi)
            .with_state(state.clone());
        let (tx, rx) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let serve = axum::serve(listener, app).with_graceful_shutdown(async {
                let _ = rx.await;
            });
            if let Err(e) = serve.await {
                tracing::warn!(error = %e, "Local KIS server stopped");
            }
        });
        // KIS serves WebSocket on its own host and port; so does the local server.
        let ws_listener = tokio::net::TcpListener::bind(("127.0.0.1", ws_port)).await?;
        let ws_addr = ws_listener.local_addr()?;
        let ws_app = Router::new().fallback(ws_session::upgrade).with_state(state.clone());
        let (ws_tx, ws_rx) = oneshot::channel::<()>();
        let ws_task = tokio::spawn(async move {
            let serve = axum::serve(ws_listener, ws_app).with_graceful_shutdown(async {
                let _ = ws_rx.await;
            });
            if let Err(e) = serve.await {
                tracing::warn!(error = %e, "Local KIS WebSocket server stopped");
            }
        });
        tracing::info!(%addr, %ws_addr, "Local KIS server listening");
        Ok(Self {
            addr,
            ws_addr,
            state,
            shutdown: Some(tx),
            task: Some(task),
            ws_shutdown: Some(ws_tx),
            ws_task: Some(ws_task),
        })
    }

    /// `ws://127.0.0.1:<port>`: the WebSocket side (any path, like KIS's `/tryitout`).
    #[must_use]
    pub fn ws_url(&self) -> String {
        format!("ws://{}", self.ws_addr)
    }

    /// The HTS id order/fill notices are subscribed with.
    #[must_use]
    pub fn hts_id(&self) -> String {
        lock(&self.state).config.hts_id.clone()
    }

    /// Today's trades of `code` up to the server clock's time (every trade a session
    /// registered for `code` was sent after registering, and what inquire-ccnl and today's
    /// minute bars are made of). Starts the stock's tape if needed; empty without a tape.
    #[must_use]
    pub fn trades(&self, code: StockCode) -> Vec<MockTrade> {
        let mut s = lock(&self.state);
        realtime::ensure_tape(&mut s, code);
        realtime::advance(&mut s);
        s.tapes.get(&code).map(|t| t.trades.clone()).unwrap_or_default()
    }

    /// Today's one-minute bars of `code` up to the server clock's time, as inquire-time-itemchartprice
    /// serves them: (minute start KST, [open, high, low, close], volume), ascending.
    #[must_use]
    pub fn minute_bars(&self, code: StockCode) -> Vec<(chrono::NaiveTime, [i64; 4], u64)> {
        let mut s = lock(&self.state);
        realtime::ensure_tape(&mut s, code);
        realtime::advance(&mut s);
        let now = s.now().kst_datetime();
        match s.tapes.get(&code) {
            Some(t) => t.minutes(now.time()),
            None => {
                s.config.market.get(code).map(|l| l.minutes(now.date(), now.time(), now.date())).unwrap_or_default()
            }
        }
    }

    /// Every fill of the account's orders so far (what notices and inquire-daily-ccld report).
    #[must_use]
    pub fn fills(&self) -> Vec<MockFill> {
        let mut s = lock(&self.state);
        realtime::advance(&mut s);
        s.fills.clone()
    }

    /// Queues a WebSocket fault; the next session with registrations applies it at its next send.
    pub fn inject_ws(&self, fault: WsFault) {
        lock(&self.state).ws_faults.push_back(fault);
    }

    /// Removes queued WebSocket faults and releases held notices.
    pub fn clear_ws_faults(&self) {
        let mut s = lock(&self.state);
        s.ws_faults.clear();
        s.rt.notice_hold_until = None;
    }

    /// Live WebSocket sessions (bound to an app key).
    #[must_use]
    pub fn ws_sessions(&self) -> usize {
        lock(&self.state).rt.sessions.len()
    }

    /// `http://127.0.0.1:<port>`.
    #[must_use]
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The bound address.
    #[must_use]
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Counters.
    #[must_use]
    pub fn stats(&self) -> MockStats {
        lock(&self.state).stats
    }

    /// The app key and secret the server accepts.
    #[must_use]
    pub fn app(&self) -> (String, String) {
        let s = lock(&self.state);
        (s.config.app_key.clone(), s.config.app_secret.clone())
    }

    /// The account (`CANO-PRODUCT`).
    #[must_use]
    pub fn account(&self) -> String {
        let s = lock(&self.state);
        format!("{}-{}", s.config.cano, s.config.product)
    }

    /// The environment imitated.
    #[must_use]
    pub fn env(&self) -> Environment {
        lock(&self.state).config.env
    }

    /// Adds a fault rule (rules are tried in insertion order).
    pub fn inject(&self, rule: FaultRule) {
        lock(&self.state).faults.push_back(rule);
    }

    /// Removes all fault rules.
    pub fn clear_faults(&self) {
        lock(&self.state).faults.clear();
    }

    /// Expires every issued token now (the next call with one gets `EGW00123`).
    pub fn expire_tokens(&self) {
        expire_all(&mut lock(&self.state));
    }

    /// Moves the price of `code` (a trade of zero shares) and matches resting orders.
    pub fn set_price(&self, code: StockCode, price: i64) {
        let mut s = lock(&self.state);
        if let Some(l) = s.config.market.get_mut(code) {
            l.last = price;
        }
        trading::match_orders(&mut s);
    }

    /// Prints a trade of `qty` shares at `price` on `code` now: unlike [`MockServer::set_price`]
    /// it is a trade the WebSocket sends (H0STCNT0, to sessions registered for `code`) and
    /// inquire-ccnl lists, with the cumulative volume growing. Working orders match against it.
    /// For servers without a generated tape ([`crate::mock::MockConfig::with_tape`]); returns `false` and prints
    /// nothing there, or for an unknown code.
    pub fn print_trade(&self, code: StockCode, price: i64, qty: u64) -> bool {
        realtime::print_trade(&mut lock(&self.state), code, price, qty)
    }

    /// Current price of `code`.
    #[must_use]
    pub fn price(&self, code: StockCode) -> Option<i64> {
        let mut s = lock(&self.state);
        realtime::ensure_tape(&mut s, code);
        realtime::advance(&mut s);
        s.config.market.get(code).map(|l| l.last)
    }

    /// Caps how many shares of one order fill per matching pass (None = all), to produce
    /// partial fills.
    pub fn set_fill_limit(&self, limit: Option<u64>) {
        lock(&self.state).fill_limit = limit;
    }

    /// Runs a matching pass (e.g. after moving the injected clock into the session).
    pub fn match_now(&self) {
        trading::match_orders(&mut lock(&self.state));
    }

    /// Cash deposit now.
    #[must_use]
    pub fn cash(&self) -> i64 {
        lock(&self.state).cash
    }

    /// Shares held of `code`.
    #[must_use]
    pub fn holding(&self, code: StockCode) -> u64 {
        lock(&self.state).holdings.get(&code).map_or(0, |h| h.qty)
    }

    /// Stops the server and waits for it (open WebSocket sessions are cut).
    pub async fn stop(mut self) {
        lock(&self.state).rt.closing = true;
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.ws_task.take() {
            t.abort();
        }
        if let Some(t) = self.task.take() {
            let _ = t.await;
        }
    }
}

impl Drop for MockServer {
    fn drop(&mut self) {
        lock(&self.state).rt.closing = true;
        for tx in [self.shutdown.take(), self.ws_shutdown.take()].into_iter().flatten() {
            let _ = tx.send(());
        }
        for t in [self.task.take(), self.ws_task.take()].into_iter().flatten() {
            t.abort();
        }
    }
}

fn expire_all(s: &mut State) {
    let now = s.now();
    for t in &mut s.tokens {
        t.expires = t.expires.min(now);
    }
}

fn oauth_refusal(status: StatusCode, code: &str, desc: &str) -> Response {
    (status, axum::Json(json!({"error_description": desc, "error_code": code}))).into_response()
}

fn kst(ts: Timestamp) -> String {
    ts.kst_datetime().format("%Y-%m-%d %H:%M:%S").to_string()
}

/// Fields of a JSON object body, or `None` if the body is not one.
fn json_fields(body: &Bytes) -> Option<serde_json::Map<String, Value>> {
    match serde_json::from_slice(body) {
        Ok(Value::Object(m)) => Some(m),
        _ => None,
    }
}

fn field<'a>(m: &'a serde_json::Map<String, Value>, k: &str) -> &'a str {
    m.get(k).and_then(Value::as_str).unwrap_or_default()
}

async fn token_p(AxState(state): AxState<Shared>, body: Bytes) -> Response {
    let mut s = lock(&state);
    s.stats.token_requests += 1;
    let Some(m) = json_fields(&body) else {
        return oauth_refusal(StatusCode::FORBIDDEN, "EGW00002", "서버 에러가 발생했습니다.");
    };
    if field(&m, "grant_type") != "client_credentials" {
        return oauth_refusal(StatusCode::FORBIDDEN, "EGW00205", "credentials_type이 유효하지 않습니다.(Bearer)");
    }
    let app = field(&m, "appkey").to_owned();
    let Some(secret) = s.config.secret_of(&app) else {
        return oauth_refusal(StatusCode::FORBIDDEN, "EGW00103", "유효하지 않은 AppKey입니다.");
    };
    if field(&m, "appsecret") != secret {
        return oauth_refusal(StatusCode::FORBIDDEN, "EGW00105", "유효하지 않은 AppSecret입니다.");
    }
    let now = s.now();
    const SIX_HOURS_MS: i64 = 6 * 3600 * 1000;
    if let Some(t) =
        s.tokens.iter().rev().find(|t| {
            t.app_key == app && !t.revoked && t.expires > now && now.millis() - t.issued.millis() < SIX_HOURS_MS
        })
    {
        let remaining = (t.expires.millis() - now.millis()) / 1000;
        return axum::Json(json!({
            "access_token": t.value,
            "access_token_token_expired": kst(t.expires),
            "token_type": "Bearer",
            "expires_in": remaining,
        }))
        .into_response();
    }
    if s.last_issue.get(&app).is_some_and(|l| now.millis() - l.millis() < 60_000) {
        s.stats.token_too_soon += 1;
        return oauth_refusal(StatusCode::FORBIDDEN, "EGW00133", "접근토큰 발급 잠시 후 다시 시도하세요(1분당 1회)");
    }
    let lifetime = s.config.token_lifetime.as_millis() as i64;
    let expires = Timestamp::from_millis(now.millis() + lifetime);
    let jti = format!("{:016x}{:016x}", s.next_random(), s.next_random());
    let value = format!("eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzUxMiJ9.mock{jti}.{:016x}", s.next_random());
    s.tokens.push(TokenState { app_key: app.clone(), value: value.clone(), issued: now, expires, revoked: false });
    s.last_issue.insert(app, now);
    s.stats.tokens_issued += 1;
    axum::Json(json!({
        "access_token": value,
        "access_token_token_expired": kst(expires),
        "token_type": "Bearer",
        "expires_in": lifetime / 1000,
    }))
    .into_response()
}

async fn revoke_p(AxState(state): AxState<Shared>, body: Bytes) -> Response {
    let mut s = lock(&state);
    let Some(m) = json_fields(&body) else {
        return oauth_refusal(StatusCode::FORBIDDEN, "EGW00002", "서버 에러가 발생했습니다.");
    };
    let app = field(&m, "appkey").to_owned();
    if s.config.secret_of(&app) != Some(field(&m, "appsecret")) {
        return oauth_refusal(StatusCode::FORBIDDEN, "EGW00103", "유효하지 않은 AppKey입니다.");
    }
    let token = field(&m, "token").to_owned();
    match s.tokens.iter_mut().find(|t| t.value == token && t.app_key == app) {
        Some(t) => {
            t.revoked = true;
            axum::Json(json!({"code": 200, "message": "접근토큰 폐기에 성공하였습니다"})).into_response()
        }
        None => oauth_refusal(StatusCode::FORBIDDEN, "EGW00121", "유효하지 않은 token 입니다."),
    }
}

async fn approval(AxState(state): AxState<Shared>, body: Bytes) -> Response {
    let mut s = lock(&state);
    let Some(m) = json_fields(&body) else {
        return oauth_refusal(StatusCode::FORBIDDEN, "EGW00002", "서버 에러가 발생했습니다.");
    };
    let app = field(&m, "appkey").to_owned();
    if app.is_empty() || s.config.secret_of(&app) != Some(field(&m, "secretkey")) {
        return oauth_refusal(StatusCode::FORBIDDEN, "EGW00105", "유효하지 않은 AppSecret입니다.");
    }
    let (a, b) = (s.next_random(), s.next_random());
    let key =
        format!("{:08x}-{:04x}-{:04x}-{:04x}-{:012x}", a >> 32, a & 0xffff, (b >> 48) | 0x4000, b & 0xffff, b >> 16);
    let key = key[..36.min(key.len())].to_owned();
    s.rt.approvals.insert(key.clone(), app);
    axum::Json(json!({"approval_key": key})).into_response()
}

async fn hashkey(AxState(state): AxState<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    let mut s = lock(&state);
    let hv = |k: &str| headers.get(k).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    if hv("appkey").is_empty() || s.config.secret_of(&hv("appkey")) != Some(hv("appsecret").as_str()) {
        return Reply::gateway("EGW00103", "유효하지 않은 AppKey입니다.").into_response_with("", "");
    }
    if !s.allow(&hv("appkey"), Instant::now()) {
        s.stats.rate_limited += 1;
        return Reply::gateway("EGW00201", "초당 거래건수를 초과하였습니다.").into_response_with("", "");
    }
    let Some(m) = json_fields(&body) else {
        return Reply::gateway("IGW00007", "MCA 전문바디 구성 중 오류가 발생하였습니다.").into_response_with("", "");
    };
    // The algorithm is undocumented (64 hex digits); the mock uses four FNV-1a lanes.
    let text = serde_json::to_string(&m).unwrap_or_default();
    let hash: String = (0..4u64)
        .map(|lane| {
            let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ lane;
            for b in text.bytes() {
                h ^= u64::from(b);
                h = h.wrapping_mul(0x0100_0000_01b3);
            }
            format!("{h:016x}")
        })
        .collect();
    axum::Json(json!({"BODY": m, "HASH": hash})).into_response()
}

impl Reply {
    pub(super) fn into_response_with(self, tr_id: &str, gt_uid: &str) -> Response {
        let headers = self.headers(tr_id, gt_uid);
        (self.status, headers, self.body.to_string()).into_response()
    }
}

/// tr_ids accepted per endpoint: (real, paper). An empty paper list = real only.
fn tr_ids(name: &str) -> Option<(&'static [&'static str], &'static [&'static str])> {
    Some(match name {
        "inquire-price" => (&["FHKST01010100"], &["FHKST01010100"]),
        "inquire-ccnl" => (&["FHKST01010300"], &["FHKST01010300"]),
        "inquire-daily-itemchartprice" => (&["FHKST03010100"], &["FHKST03010100"]),
        "inquire-daily-price" => (&["FHKST01010400"], &["FHKST01010400"]),
        "inquire-time-itemchartprice" => (&["FHKST03010200"], &["FHKST03010200"]),
        "inquire-time-dailychartprice" => (&["FHKST03010230"], &[]),
        "inquire-asking-price-exp-ccn" => (&["FHKST01010200"], &["FHKST01010200"]),
        "volume-rank" => (&["FHPST01710000"], &[]),
        "order-cash" => (
            &["TTTC0011U", "TTTC0012U", "TTTC0801U", "TTTC0802U"],
            &["VTTC0011U", "VTTC0012U", "VTTC0801U", "VTTC0802U"],
        ),
        "order-rvsecncl" => (&["TTTC0013U", "TTTC0803U"], &["VTTC0013U", "VTTC0803U"]),
        "inquire-psbl-rvsecncl" => (&["TTTC0084R", "TTTC8036R"], &[]),
        "inquire-daily-ccld" => (
            &["TTTC0081R", "CTSC9215R", "TTTC8001R", "CTSC9115R"],
            &["VTTC0081R", "VTSC9215R", "VTTC8001R", "VTSC9115R"],
        ),
        "inquire-balance" => (&["TTTC8434R"], &["VTTC8434R"]),
        "inquire-psbl-order" => (&["TTTC8908R"], &["VTTC8908R"]),
        "inquire-psbl-sell" => (&["TTTC8408R"], &[]),
        "search-info" => (&["CTPF1604R"], &[]),
        "search-stock-info" => (&["CTPF1002R"], &[]),
        "chk-holiday" => (&["CTCA0903R"], &[]),
        "psearch-title" => (&["HHKST03900300"], &[]),
        "psearch-result" => (&["HHKST03900400"], &[]),
        _ => return None,
    })
}

enum Gate {
    Pass(Req),
    Stop(Reply),
}

fn gate(
    s: &mut State,
    method: &Method,
    path: &str,
    q: HashMap<String, String>,
    headers: &HeaderMap,
    body: &Bytes,
) -> Gate {
    let hv = |k: &str| headers.get(k).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let app_key = hv("appkey");
    if app_key.is_empty() {
        return Gate::Stop(Reply::gateway("EGW00102", "AppKey는 필수입니다."));
    }
    let Some(secret) = s.config.secret_of(app_key) else {
        return Gate::Stop(Reply::gateway("EGW00103", "유효하지 않은 AppKey입니다."));
    };
    if hv("appsecret").is_empty() {
        return Gate::Stop(Reply::gateway("EGW00104", "AppSecret은 필수입니다."));
    }
    if hv("appsecret") != secret {
        return Gate::Stop(Reply::gateway("EGW00105", "유효하지 않은 AppSecret입니다."));
    }
    let auth = hv("authorization");
    let Some(token) = auth.strip_prefix("Bearer ").or_else(|| auth.strip_prefix("bearer ")) else {
        return Gate::Stop(Reply::gateway("EGW00205", "credentials_type이 유효하지 않습니다.(Bearer)"));
    };
    let now = s.now();
    // A token works only with the app it was issued to.
    match s.tokens.iter().find(|t| t.value == token.trim() && t.app_key == app_key) {
        None => return Gate::Stop(Reply::gateway("EGW00121", "유효하지 않은 token 입니다.")),
        Some(t) if t.revoked => return Gate::Stop(Reply::gateway("EGW00121", "유효하지 않은 token 입니다.")),
        Some(t) if t.expires <= now => return Gate::Stop(Reply::gateway("EGW00123", "기간이 만료된 token 입니다.")),
        Some(_) => {}
    }
    if !s.allow(app_key, Instant::now()) {
        s.stats.rate_limited += 1;
        return Gate::Stop(Reply::gateway("EGW00201", "초당 거래건수를 초과하였습니다."));
    }
    let name = path.rsplit('/').next().unwrap_or_default().to_owned();
    let tr_id = hv("tr_id").to_owned();
    let Some((real, paper)) = tr_ids(&name) else {
        return Gate::Stop(Reply::refuse(StatusCode::NOT_FOUND, "1", "OPSQ0002", "없는 서비스 코드 입니다."));
    };
    let paper_env = s.is_paper();
    let allowed = if paper_env { paper } else { real };
    if !allowed.contains(&tr_id.as_str()) {
        if paper_env && real.contains(&tr_id.as_str()) {
            return Gate::Stop(Reply::gateway("UNCONFIRMED", "모의투자 TR 이 아닙니다."));
        }
        return Gate::Stop(Reply::gateway("OPSQ0002", "없는 서비스 코드 입니다."));
    }
    let params = if *method == Method::POST {
        match json_fields(body) {
            Some(m) if m.values().all(Value::is_string) => {
                m.into_iter().map(|(k, v)| (k, v.as_str().unwrap_or_default().to_owned())).collect()
            }
            _ => return Gate::Stop(Reply::gateway("IGW00007", "MCA 전문바디 구성 중 오류가 발생하였습니다.")),
        }
    } else {
        q.into_iter().map(|(k, v)| (k.to_ascii_uppercase(), v)).collect()
    };
    Gate::Pass(Req { name, tr_id, params })
}

fn dispatch(s: &mut State, req: &Req) -> Reply {
    if let Some(code) = req.code("FID_INPUT_ISCD").or_else(|| req.code("PDNO")) {
        realtime::ensure_tape(s, code);
    }
    realtime::advance(s);
    match req.name.as_str() {
        "inquire-price" => quotes::inquire_price(s, req),
        "inquire-ccnl" => quotes::inquire_ccnl(s, req),
        "inquire-daily-itemchartprice" => quotes::daily_chart(s, req),
        "inquire-daily-price" => quotes::daily_price(s, req),
        "inquire-time-itemchartprice" | "inquire-time-dailychartprice" => quotes::minute_chart(s, req),
        "inquire-asking-price-exp-ccn" => quotes::asking_price(s, req),
        "volume-rank" => quotes::volume_rank(s, req),
        "order-cash" => trading::order_cash(s, req),
        "order-rvsecncl" => trading::order_rvsecncl(s, req),
        "inquire-psbl-rvsecncl" => account::psbl_rvsecncl(s, req),
        "inquire-daily-ccld" => account::daily_ccld(s, req),
        "inquire-balance" => account::balance(s, req),
        "inquire-psbl-order" => account::psbl_order(s, req),
        "inquire-psbl-sell" => account::psbl_sell(s, req),
        "search-info" => info::search_info(s, req),
        "search-stock-info" => info::search_stock_info(s, req),
        "chk-holiday" => info::chk_holiday(s, req),
        "psearch-title" => info::psearch_title(s, req),
        "psearch-result" => info::psearch_result(s, req),
        _ => Reply::refuse(StatusCode::NOT_FOUND, "1", "OPSQ0002", "없는 서비스 코드 입니다."),
    }
}

fn corrupt_first_number(v: &mut Value) -> bool {
    match v {
        Value::String(s) if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) => {
            s.push('x');
            true
        }
        Value::Object(m) => {
            m.iter_mut().filter(|(k, _)| k.starts_with("output")).any(|(_, v)| corrupt_first_number(v))
                || m.iter_mut()
                    .any(|(k, v)| !k.starts_with("rt_cd") && !k.starts_with("msg") && corrupt_first_number(v))
        }
        Value::Array(a) => a.iter_mut().any(corrupt_first_number),
        _ => false,
    }
}

async fn uapi(
    AxState(state): AxState<Shared>,
    method: Method,
    uri: Uri,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path().to_owned();
    if !path.starts_with("/uapi/") {
        return (StatusCode::NOT_FOUND, "not found").into_response();
    }
    let tr_id = headers.get("tr_id").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    let (fault, reply, gt_uid) = {
        let mut s = lock(&state);
        s.stats.requests += 1;
        let gt_uid = format!("{:016x}{:016x}", s.next_random(), s.next_random());
        let fault = s.take_fault(&path);
        let pre = match &fault {
            Some(Fault::Status(code)) => Some(Reply {
                status: StatusCode::from_u16(*code).unwrap_or(StatusCode::BAD_GATEWAY),
                body: Value::Null,
                tr_cont: None,
            }),
            Some(Fault::RateLimit) => Some(Reply::gateway("EGW00201", "초당 거래건수를 초과하였습니다.")),
            Some(Fault::RateLimitInOk) => Some(Reply::reject("EGW00201", "초당 거래건수를 초과하였습니다.")),
            Some(Fault::LedgerRateLimit) => {
                Some(Reply::gateway("EGW00215", "원장에서 허용 가능한 초당 거래건수를 초과하였습니다."))
            }
            Some(Fault::ExpireTokens) => {
                expire_all(&mut s);
                None
            }
            _ => None,
        };
        let reply = match pre {
            Some(r) => r,
            None => match gate(&mut s, &method, &path, q, &headers, &body) {
                Gate::Stop(r) => r,
                Gate::Pass(req) => {
                    let changes = req.name == "order-cash" || req.name == "order-rvsecncl";
                    if req.name == "order-cash" {
                        s.stats.order_submissions += 1;
                    } else if req.name == "order-rvsecncl" {
                        s.stats.revise_cancel_submissions += 1;
                    }
                    let reply = dispatch(&mut s, &req);
                    if changes {
                        // Under the lock, so saves land in the order the changes were made.
                        super::persist::save_now(&s);
                    }
                    reply
                }
            },
        };
        (fault, reply, gt_uid)
    };
    match fault {
        Some(Fault::Status(code)) => {
            let status = StatusCode::from_u16(code).unwrap_or(StatusCode::BAD_GATEWAY);
            (status, [("content-type", "text/html")], format!("<html><body><h1>{status}</h1></body></html>"))
                .into_response()
        }
        Some(Fault::Latency(d)) => {
            tokio::time::sleep(d).await;
            reply.into_response_with(&tr_id, &gt_uid)
        }
        Some(Fault::Timeout(d)) => {
            tokio::time::sleep(d).await;
            reply.into_response_with(&tr_id, &gt_uid)
        }
        Some(Fault::Drop) => {
            let headers = reply.headers(&tr_id, &gt_uid);
            let stream = futures_util::stream::once(async {
                Err::<Bytes, std::io::Error>(std::io::Error::other("connection dropped by fault injection"))
            });
            (StatusCode::OK, headers, Body::from_stream(stream)).into_response()
        }
        Some(Fault::MalformedJson) => {
            let text = reply.body.to_string();
            let mut cut = text.len() / 2;
            while !text.is_char_boundary(cut) {
                cut -= 1;
            }
            let cut = &text[..cut];
            let headers = reply.headers(&tr_id, &gt_uid);
            (StatusCode::OK, headers, cut.to_owned()).into_response()
        }
        Some(Fault::BadNumber) => {
            let mut reply = reply;
            corrupt_first_number(&mut reply.body);
            reply.into_response_with(&tr_id, &gt_uid)
        }
        _ => reply.into_response_with(&tr_id, &gt_uid),
    }
}

/// Both KIS domains at once, as KIS runs them: a real and a paper server over one market
/// (each with its own ports, apps, tokens, rate limits and account). Paper tools that read
/// quotes from the real domain with a real app key see the same prices as on paper.
///
/// "One market" holds by construction: both servers start from the same listings, clock and
/// tape, and a tape is a pure function of the clock, so their trades are identical. Without a
/// tape, move prices through [`MockDomains::set_price`] (both domains); own fills move only
/// their own domain's price, as a paper fill never moves KRX.
#[derive(Debug)]
pub struct MockDomains {
    /// The real domain (`openapi…:9443` / `ops…:21000`).
    pub real: MockServer,
    /// The paper domain (`openapivts…:29443` / `ops…:31000`).
    pub paper: MockServer,
}

impl MockDomains {
    /// Starts both domains. `real`'s market, clock and tape are used for both; each keeps its
    /// own app keys, account, cash and holdings. The environments are set to real and paper.
    ///
    /// # Errors
    /// If a socket cannot be bound.
    pub async fn start(mut real: MockConfig, mut paper: MockConfig) -> std::io::Result<Self> {
        real.env = Environment::Real;
        paper.env = Environment::Paper;
        paper.market = real.market.clone();
        paper.clock = real.clock.clone();
        paper.tape = real.tape;
        Ok(Self { real: MockServer::start(real).await?, paper: MockServer::start(paper).await? })
    }

    /// Moves the price of `code` on both domains and matches resting orders.
    pub fn set_price(&self, code: StockCode, price: i64) {
        self.real.set_price(code, price);
        self.paper.set_price(code, price);
    }
}
