//! A scripted KIS real-time server on 127.0.0.1 for client tests: the test decides every trade, when
//! the socket drops, what the server says to a subscription. REST serves the token, the approval key
//! and `inquire-ccnl` (the latest 30 of the scripted trades, newest first), so gap-fill reads the same
//! tape the socket sent. KIS's wire format throughout (§2.3, §7).

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Query, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{NaiveDate, NaiveTime};
use futures_util::{SinkExt, StreamExt};
use hantu_core::domain::{StockCode, Tick, Timestamp};
use hantu_core::realtime::Trade;
use hantu_kis::auth::Credential;
use hantu_kis::ws::{FeedConfig, SubscribeRequest};
use hantu_kis::{Environment, KisClient, KisConfig};
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;

/// The AES key and iv every subscribe ack carries (the reference sample's test vector).
pub const AES_KEY: &str = "abcdefghijklmnopabcdefghijklmnop";
/// See [`AES_KEY`].
pub const AES_IV: &str = "0123456789abcdef";
/// HTS id of the scripted account.
pub const HTS_ID: &str = "myhtsid";

/// 2025-07-25, the day of the reference samples.
pub fn day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, 7, 25).unwrap()
}

enum Out {
    Text(String),
    Drop,
}

/// Registrations of one session: `(tr_id, tr_key)`.
type Registered = Arc<Mutex<HashSet<(String, String)>>>;

#[derive(Default)]
struct Inner {
    trades: HashMap<StockCode, Vec<Trade>>,
    sessions: Vec<(u64, mpsc::UnboundedSender<Out>, Registered)>,
    next_session: u64,
    connections: u64,
    refuse: HashMap<(String, String), (String, String, String)>,
    budget: usize,
    echoed: Vec<String>,
    requests: Vec<String>,
    ccnl_calls: u64,
}

/// The scripted server.
#[derive(Clone)]
pub struct Script {
    inner: Arc<Mutex<Inner>>,
    pub rest_url: String,
    pub ws_url: String,
}

fn trade_record(t: &Trade) -> String {
    let mut f = vec![String::new(); 46];
    let time = t.tick.ts.kst_datetime().time().format("%H%M%S").to_string();
    let px = t.tick.price.won().to_string();
    f[0] = t.tick.code.to_string();
    f[1] = time;
    f[2] = px.clone();
    f[3] = "2".into();
    f[4] = "100".into();
    f[5] = "0.15".into();
    f[6] = px.clone();
    for i in [7, 8, 9, 10, 11] {
        f[i] = px.clone();
    }
    f[12] = t.tick.qty.to_string();
    f[13] = t.cum_volume.to_string();
    f[14] = "0".into();
    f[33] = t.tick.ts.kst_date().format("%Y%m%d").to_string();
    f[34] = "20".into();
    f[35] = "N".into();
    f.join("^")
}

/// A data frame of `trades` (one frame, `count` records).
pub fn trade_frame(trades: &[Trade]) -> String {
    let body: Vec<String> = trades.iter().map(trade_record).collect();
    format!("0|H0STCNT0|{:03}|{}", trades.len(), body.join("^"))
}

fn control(tr_id: &str, tr_key: &str, rt_cd: &str, msg_cd: &str, msg: &str, encrypt: bool, keys: bool) -> String {
    let mut body = json!({"rt_cd": rt_cd, "msg_cd": msg_cd, "msg1": msg});
    if keys {
        body["output"] = json!({"iv": AES_IV, "key": AES_KEY});
    }
    json!({"header": {"tr_id": tr_id, "tr_key": tr_key, "encrypt": if encrypt {"Y"} else {"N"}}, "body": body})
        .to_string()
}

impl Script {
    /// Starts the REST and WebSocket sides on ephemeral ports of 127.0.0.1.
    pub async fn start() -> Self {
        let inner = Arc::new(Mutex::new(Inner { budget: 41, ..Inner::default() }));
        let rest = TcpListener::bind(("127.0.0.1", 0)).await.unwrap();
        let ws = TcpListener::bind(("127.0.0.1", 0)).await.unwrap();
        let script = Self {
            inner: inner.clone(),
            rest_url: format!("http://{}", rest.local_addr().unwrap()),
            ws_url: format!("ws://{}/tryitout", ws.local_addr().unwrap()),
        };
        let app = Router::new()
            .route("/oauth2/tokenP", post(token))
            .route("/oauth2/Approval", post(approval))
            .route("/uapi/domestic-stock/v1/quotations/inquire-ccnl", get(ccnl))
            .with_state(inner.clone());
        tokio::spawn(async move {
            let _ = axum::serve(rest, app).await;
        });
        tokio::spawn(accept(ws, inner));
        script
    }

    /// A client of the server (real environment, so notices are H0STCNI0).
    pub fn client(&self) -> KisClient {
        let key = format!("PSSCRIPT{:028}", fastrand::u64(..));
        let config = KisConfig::new(Environment::Real, Credential::new(key, "S".repeat(180)).unwrap())
            .with_rest_url(&self.rest_url)
            .with_rate(1_000.0);
        KisClient::new(config).unwrap()
    }

    /// Feed settings pointed at the server: fast reconnects, the scripted HTS id.
    pub fn feed_config(&self, client: &KisClient) -> FeedConfig {
        FeedConfig::for_client(client).with_ws_url(&self.ws_url).with_hts_id(HTS_ID).with_backoff(
            hantu_kis::ws::Backoff {
                initial: Duration::from_millis(100),
                max: Duration::from_millis(400),
                factor: 2.0,
                jitter: 0.5,
            },
        )
    }

    /// Makes the server answer a subscription of `(tr_id, tr_key)` with an error.
    pub fn refuse(&self, tr_id: &str, tr_key: &str, rt_cd: &str, msg_cd: &str, msg: &str) {
        self.inner
            .lock()
            .unwrap()
            .refuse
            .insert((tr_id.into(), tr_key.into()), (rt_cd.into(), msg_cd.into(), msg.into()));
    }

    /// Sets the server's registration limit.
    pub fn set_budget(&self, budget: usize) {
        self.inner.lock().unwrap().budget = budget;
    }

    /// Records trades (the tape) and sends them, as one frame, to every session registered for the code.
    pub fn trades(&self, trades: &[Trade]) {
        let mut s = self.inner.lock().unwrap();
        for t in trades {
            s.trades.entry(t.tick.code).or_default().push(*t);
        }
        let Some(code) = trades.first().map(|t| t.tick.code) else { return };
        let frame = trade_frame(trades);
        for (_, tx, subs) in &s.sessions {
            if subs.lock().unwrap().contains(&("H0STCNT0".to_owned(), code.to_string())) {
                let _ = tx.send(Out::Text(frame.clone()));
            }
        }
    }

    /// Records trades without sending them (the client misses them).
    pub fn trades_unsent(&self, trades: &[Trade]) {
        let mut s = self.inner.lock().unwrap();
        for t in trades {
            s.trades.entry(t.tick.code).or_default().push(*t);
        }
    }

    /// Every trade of `code` so far.
    pub fn tape(&self, code: StockCode) -> Vec<Trade> {
        self.inner.lock().unwrap().trades.get(&code).cloned().unwrap_or_default()
    }

    /// Sends a text frame to every session.
    pub fn send_raw(&self, text: &str) {
        let s = self.inner.lock().unwrap();
        for (_, tx, _) in &s.sessions {
            let _ = tx.send(Out::Text(text.to_owned()));
        }
    }

    /// Cuts every connection without a close frame.
    pub fn drop_all(&self) {
        let mut s = self.inner.lock().unwrap();
        for (_, tx, _) in s.sessions.drain(..) {
            let _ = tx.send(Out::Drop);
        }
    }

    /// Connections accepted so far.
    pub fn connections(&self) -> u64 {
        self.inner.lock().unwrap().connections
    }

    /// Registrations of the live sessions.
    pub fn registrations(&self) -> usize {
        self.inner.lock().unwrap().sessions.iter().map(|(_, _, subs)| subs.lock().unwrap().len()).sum()
    }

    /// Text frames the client sent that were not subscribe requests (PINGPONG echoes).
    pub fn echoed(&self) -> Vec<String> {
        self.inner.lock().unwrap().echoed.clone()
    }

    /// Raw subscribe requests received.
    pub fn requests(&self) -> Vec<String> {
        self.inner.lock().unwrap().requests.clone()
    }

    /// inquire-ccnl calls served.
    pub fn ccnl_calls(&self) -> u64 {
        self.inner.lock().unwrap().ccnl_calls
    }
}

async fn accept(listener: TcpListener, inner: Arc<Mutex<Inner>>) {
    while let Ok((tcp, _)) = listener.accept().await {
        let inner = inner.clone();
        tokio::spawn(async move {
            let Ok(ws) = tokio_tungstenite::accept_async(tcp).await else { return };
            let (mut sink, mut stream) = ws.split();
            let (tx, mut rx) = mpsc::unbounded_channel::<Out>();
            let subs = Arc::new(Mutex::new(HashSet::new()));
            let id = {
                let mut s = inner.lock().unwrap();
                s.connections += 1;
                s.next_session += 1;
                let id = s.next_session;
                s.sessions.push((id, tx.clone(), subs.clone()));
                id
            };
            let writer = tokio::spawn(async move {
                while let Some(out) = rx.recv().await {
                    match out {
                        Out::Text(t) => {
                            if sink.send(Message::text(t)).await.is_err() {
                                return;
                            }
                        }
                        // Dropping the sink and stream closes the TCP connection with no close frame.
                        Out::Drop => return,
                    }
                }
            });
            loop {
                tokio::select! {
                    msg = stream.next() => {
                        let Some(Ok(msg)) = msg else { break };
                        let Message::Text(text) = msg else { continue };
                        let reply = on_request(&inner, &subs, text.as_str());
                        if let Some(r) = reply {
                            let _ = tx.send(Out::Text(r));
                        }
                    }
                    () = tokio::time::sleep(Duration::from_millis(20)) => {
                        if writer.is_finished() {
                            break;
                        }
                    }
                }
            }
            inner.lock().unwrap().sessions.retain(|(sid, _, _)| *sid != id);
            writer.abort();
        });
    }
}

fn on_request(inner: &Arc<Mutex<Inner>>, subs: &Registered, text: &str) -> Option<String> {
    let mut s = inner.lock().unwrap();
    let Ok(req) = SubscribeRequest::parse(text) else {
        s.echoed.push(text.to_owned());
        return None;
    };
    s.requests.push(text.to_owned());
    let key = (req.tr_id.clone(), req.tr_key.clone());
    let encrypt = req.tr_id.starts_with("H0STCNI");
    let c = |rt: &str, cd: &str, msg: &str, keys: bool| control(&req.tr_id, &req.tr_key, rt, cd, msg, encrypt, keys);
    if let Some((rt, cd, msg)) = s.refuse.get(&key) {
        return Some(c(rt, cd, msg, false));
    }
    let mut subs = subs.lock().unwrap();
    Some(if req.subscribe {
        if subs.contains(&key) {
            c("1", "OPSP0002", "ALREADY IN SUBSCRIBE", false)
        } else if subs.len() >= s.budget {
            c("1", "OPSP0008", "MAX SUBSCRIBE OVER", false)
        } else {
            subs.insert(key);
            c("0", "OPSP0000", "SUBSCRIBE SUCCESS", true)
        }
    } else if subs.remove(&key) {
        c("0", "OPSP0001", "UNSUBSCRIBE SUCCESS", false)
    } else {
        c("1", "OPSP0003", "UNSUBSCRIBE ERROR(not found!)", false)
    })
}

async fn token() -> Json<Value> {
    let expires =
        (chrono::Utc::now() + chrono::Duration::hours(33)).naive_utc().format("%Y-%m-%d %H:%M:%S").to_string();
    Json(
        json!({"access_token": "script-token", "access_token_token_expired": expires, "token_type": "Bearer", "expires_in": 86400}),
    )
}

async fn approval() -> Json<Value> {
    Json(json!({"approval_key": format!("{:036}", fastrand::u64(..))}))
}

async fn ccnl(State(inner): State<Arc<Mutex<Inner>>>, Query(q): Query<HashMap<String, String>>) -> Json<Value> {
    let mut s = inner.lock().unwrap();
    s.ccnl_calls += 1;
    let code = q.get("FID_INPUT_ISCD").and_then(|c| c.parse::<StockCode>().ok());
    let rows: Vec<Value> = code
        .and_then(|c| s.trades.get(&c))
        .map(|list| {
            list.iter()
                .rev()
                .take(30)
                .map(|t| {
                    json!({
                        "stck_cntg_hour": t.tick.ts.kst_datetime().time().format("%H%M%S").to_string(),
                        "stck_prpr": t.tick.price.won().to_string(),
                        "prdy_vrss": "100", "prdy_vrss_sign": "2",
                        "cntg_vol": t.tick.qty.to_string(),
                        "tday_rltv": "100.00", "prdy_ctrt": "0.15",
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    Json(json!({"output": rows, "rt_cd": "0", "msg_cd": "MCA00000", "msg1": "정상처리 되었습니다."}))
}

/// A deterministic tape of `n` trades of `code` from `start` (KST on [`day`]), several per second,
/// prices wandering on the 100-won grid, cumulative volume from `cum0`.
pub fn tape(code: &str, start: NaiveTime, n: usize, cum0: u64, seed: u64) -> Vec<Trade> {
    let mut rng = fastrand::Rng::with_seed(seed);
    let code = StockCode::new(code);
    let mut ms = Timestamp::from_kst(day().and_time(start)).millis();
    let (mut px, mut cum) = (70_000i64, cum0);
    (0..n)
        .map(|_| {
            ms += rng.i64(100..700);
            px += 100 * rng.i64(-1..=1);
            let qty = rng.u64(1..50);
            cum += qty;
            // The wire carries whole seconds.
            let ts = Timestamp::from_millis(ms - ms.rem_euclid(1000));
            Trade { tick: Tick { code, ts, price: hantu_core::domain::Price::new(px), qty }, cum_volume: cum }
        })
        .collect()
}
