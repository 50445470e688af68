//! Fake servers on 127.0.0.1 for the notification tests: a Telegram Bot API (`sendMessage`,
//! `getUpdates`), a Slack incoming webhook and an SMTP server, each recording what it received.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::post;
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

async fn serve(app: axum::Router) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.ok() });
    format!("http://{addr}")
}

/// A port nothing listens on.
pub async fn closed_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    l.local_addr().unwrap().port()
}

#[derive(Default)]
struct TgState {
    token: String,
    sent: Vec<Value>,
    calls: Vec<Instant>,
    script: VecDeque<(u16, Value)>,
    updates: VecDeque<Value>,
    next_update: i64,
    offsets: Vec<i64>,
}

/// A fake Telegram Bot API.
#[derive(Clone)]
pub struct Telegram {
    /// Base URL (`http://127.0.0.1:port`).
    pub url: String,
    state: Arc<Mutex<TgState>>,
}

async fn tg_handler(
    State(st): State<Arc<Mutex<TgState>>>,
    Path(path): Path<String>,
    Json(body): Json<Value>,
) -> axum::response::Response {
    let reply = tg_reply(&st, &path, &body);
    match reply {
        Ok(r) => r,
        Err(()) => {
            // Long polling with nothing to give: hold the request a little, as Telegram does.
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            Json(json!({"ok": true, "result": []})).into_response()
        }
    }
}

/// The reply, or `Err` for an empty long poll.
fn tg_reply(st: &Mutex<TgState>, path: &str, body: &Value) -> Result<axum::response::Response, ()> {
    let mut s = st.lock().unwrap();
    let Some((bot, method)) = path.split_once('/') else { return Ok(StatusCode::NOT_FOUND.into_response()) };
    if bot.strip_prefix("bot") != Some(s.token.as_str()) {
        return Ok((
            StatusCode::UNAUTHORIZED,
            Json(json!({"ok": false, "error_code": 401, "description": "Unauthorized"})),
        )
            .into_response());
    }
    Ok(match method {
        "sendMessage" => {
            s.calls.push(Instant::now());
            if let Some((code, reply)) = s.script.pop_front() {
                return Ok((StatusCode::from_u16(code).unwrap(), Json(reply)).into_response());
            }
            s.sent.push(body.clone());
            Json(json!({"ok": true, "result": {"message_id": s.sent.len()}})).into_response()
        }
        "getMe" => {
            Json(json!({"ok": true, "result": {"id": 1, "is_bot": true, "username": "hantu_test_bot"}})).into_response()
        }
        "getUpdates" => {
            let offset = body["offset"].as_i64().unwrap_or(0);
            s.offsets.push(offset);
            s.updates.retain(|u| u["update_id"].as_i64().unwrap_or(0) >= offset);
            let ready: Vec<Value> = s.updates.iter().cloned().collect();
            if ready.is_empty() {
                return Err(());
            }
            Json(json!({"ok": true, "result": ready})).into_response()
        }
        _ => (StatusCode::NOT_FOUND, Json(json!({"ok": false, "description": "Not Found"}))).into_response(),
    })
}

impl Telegram {
    /// Starts a fake bot API for `token`.
    pub async fn start(token: &str) -> Self {
        let state = Arc::new(Mutex::new(TgState { token: token.to_owned(), next_update: 1, ..TgState::default() }));
        let app = axum::Router::new().route("/{*path}", post(tg_handler)).with_state(Arc::clone(&state));
        Self { url: serve(app).await, state }
    }

    /// The next `sendMessage` calls answer these instead of succeeding.
    pub fn script(&self, replies: Vec<(u16, Value)>) {
        self.state.lock().unwrap().script.extend(replies);
    }

    /// Messages accepted, in order.
    pub fn sent(&self) -> Vec<Value> {
        self.state.lock().unwrap().sent.clone()
    }

    /// The texts sent to `chat`.
    pub fn texts_to(&self, chat: i64) -> Vec<String> {
        self.sent()
            .iter()
            .filter(|m| m["chat_id"] == json!(chat) || m["chat_id"] == json!(chat.to_string()))
            .map(|m| m["text"].as_str().unwrap_or_default().to_owned())
            .collect()
    }

    /// `sendMessage` calls, accepted or not.
    pub fn calls(&self) -> usize {
        self.state.lock().unwrap().calls.len()
    }

    /// When each `sendMessage` call arrived.
    pub fn call_times(&self) -> Vec<Instant> {
        self.state.lock().unwrap().calls.clone()
    }

    /// Queues a text message from `chat_id` for `getUpdates`.
    pub fn say(&self, chat_id: i64, text: &str) {
        let mut s = self.state.lock().unwrap();
        let id = s.next_update;
        s.next_update += 1;
        s.updates.push_back(json!({
            "update_id": id,
            "message": {"message_id": id, "chat": {"id": chat_id, "type": "private"}, "from": {"id": chat_id, "username": format!("user{chat_id}")}, "text": text}
        }));
    }

    /// Whether every queued update has been fetched and confirmed (asked for past it).
    pub fn drained(&self) -> bool {
        let s = self.state.lock().unwrap();
        s.updates.is_empty() && s.offsets.last().is_some_and(|o| *o >= s.next_update)
    }
}

#[derive(Default)]
struct SlackState {
    posted: Vec<Value>,
    fail: usize,
}

/// A fake Slack incoming webhook.
#[derive(Clone)]
pub struct Slack {
    /// The webhook URL.
    pub url: String,
    state: Arc<Mutex<SlackState>>,
}

async fn slack_handler(State(st): State<Arc<Mutex<SlackState>>>, Json(body): Json<Value>) -> axum::response::Response {
    let mut s = st.lock().unwrap();
    if body.get("text").is_none() && body.get("blocks").is_none() {
        // As Slack: a payload without text is refused and posts nothing.
        return (StatusCode::BAD_REQUEST, "no_text").into_response();
    }
    if s.fail > 0 {
        s.fail -= 1;
        if s.fail % 2 == 0 {
            return (StatusCode::TOO_MANY_REQUESTS, [("retry-after", "1")], "rate_limited").into_response();
        }
        return (StatusCode::SERVICE_UNAVAILABLE, "unavailable").into_response();
    }
    s.posted.push(body);
    "ok".into_response()
}

impl Slack {
    /// Starts a fake webhook.
    pub async fn start() -> Self {
        let state = Arc::new(Mutex::new(SlackState::default()));
        let app =
            axum::Router::new().route("/services/T000/B000/hook", post(slack_handler)).with_state(Arc::clone(&state));
        Self { url: format!("{}/services/T000/B000/hook", serve(app).await), state }
    }

    /// The next `n` posts fail (alternating 503 and 429 with `Retry-After: 1`, ending on 429).
    pub fn fail_first(&self, n: usize) {
        self.state.lock().unwrap().fail = n;
    }

    /// Bodies accepted.
    pub fn posted(&self) -> Vec<Value> {
        self.state.lock().unwrap().posted.clone()
    }
}

/// One mail the fake SMTP server accepted.
#[derive(Clone, Debug)]
pub struct Mail {
    /// `MAIL FROM` argument.
    pub from: String,
    /// `RCPT TO` arguments.
    pub to: Vec<String>,
    /// The message (headers and body).
    pub data: String,
}

/// A fake SMTP server: plain text, no auth, enough of RFC 5321 for lettre.
#[derive(Clone)]
pub struct Smtp {
    /// Its port on 127.0.0.1.
    pub port: u16,
    mails: Arc<Mutex<Vec<Mail>>>,
}

impl Smtp {
    /// Starts the server.
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let mails = Arc::new(Mutex::new(Vec::new()));
        let m = Arc::clone(&mails);
        tokio::spawn(async move {
            while let Ok((sock, _)) = listener.accept().await {
                let m = Arc::clone(&m);
                tokio::spawn(async move {
                    let _ = session(sock, m).await;
                });
            }
        });
        Self { port, mails }
    }

    /// Mails accepted.
    pub fn mails(&self) -> Vec<Mail> {
        self.mails.lock().unwrap().clone()
    }
}

async fn session(sock: tokio::net::TcpStream, mails: Arc<Mutex<Vec<Mail>>>) -> std::io::Result<()> {
    let (r, mut w) = sock.into_split();
    let mut r = BufReader::new(r);
    w.write_all(b"220 fake.local ESMTP\r\n").await?;
    let mut cur = Mail { from: String::new(), to: Vec::new(), data: String::new() };
    let mut line = String::new();
    loop {
        line.clear();
        if r.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        let upper = line.to_ascii_uppercase();
        let reply: &[u8] = if upper.starts_with("EHLO") {
            b"250-fake.local\r\n250 8BITMIME\r\n"
        } else if upper.starts_with("HELO") || upper.starts_with("RSET") || upper.starts_with("NOOP") {
            b"250 OK\r\n"
        } else if upper.starts_with("MAIL FROM:") {
            cur.from = line[10..].split_whitespace().next().unwrap_or_default().to_owned();
            b"250 OK\r\n"
        } else if upper.starts_with("RCPT TO:") {
            cur.to.push(line[8..].trim().to_owned());
            b"250 OK\r\n"
        } else if upper.starts_with("DATA") {
            w.write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n").await?;
            let mut data = String::new();
            loop {
                line.clear();
                if r.read_line(&mut line).await? == 0 {
                    return Ok(());
                }
                if line == ".\r\n" {
                    break;
                }
                data.push_str(&line);
            }
            cur.data = data;
            mails
                .lock()
                .unwrap()
                .push(std::mem::replace(&mut cur, Mail { from: String::new(), to: Vec::new(), data: String::new() }));
            b"250 OK queued\r\n"
        } else if upper.starts_with("QUIT") {
            w.write_all(b"221 Bye\r\n").await?;
            return Ok(());
        } else {
            b"502 Command not implemented\r\n"
        };
        w.write_all(reply).await?;
    }
}

/// Log lines written while a guard from [`Logs::enter`] is held on this thread.
#[derive(Clone, Default)]
pub struct Logs(Arc<Mutex<Vec<u8>>>);

/// A fresh log capture.
pub fn capture_logs() -> Logs {
    Logs::default()
}

impl Logs {
    /// Routes this thread's logs (every level) into the capture until the guard drops.
    pub fn enter(&self) -> tracing::subscriber::DefaultGuard {
        let buf = self.clone();
        let sub = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .with_writer(move || LogWriter(Arc::clone(&buf.0)))
            .finish();
        tracing::subscriber::set_default(sub)
    }

    /// Everything captured.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

struct LogWriter(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for LogWriter {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
