//! One WebSocket session of the local server, speaking KIS's real-time protocol (§7):
//! subscribe/unsubscribe requests checked against the approval keys, one session per app key
//! (`OPSP8996`), 41 registrations (`OPSP0008`), JSON control replies with the session's AES
//! key and iv, PINGPONG every `ping_interval` (echoes accepted as text or pong frames), and
//! data frames: trades (multi-record when several happened since the last send), books and
//! encrypted order/fill notices. Faults ([`super::WsFault`]) are applied here.

use std::collections::{BTreeSet, HashMap};
use std::time::Instant;

use axum::extract::State as AxState;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::response::Response;
use hantu_core::domain::{Price, StockCode};

use super::realtime::{WsFault, advance, ensure_tape};
use super::server::{Shared, lock};
use super::state::State;
use crate::ws::{
    BookFrame, Control, FrameCipher, NoticeContext, SubscribeRequest, data_frame_text, is_pingpong, notice_frame_text,
    opsp, pingpong_text,
};

const TRADES: &str = "H0STCNT0";
const BOOK: &str = "H0STASP0";

/// Upgrades any path to a session (KIS's server is path-agnostic).
pub(super) async fn upgrade(AxState(state): AxState<Shared>, ws: WebSocketUpgrade) -> Response {
    ws.on_upgrade(move |socket| run(socket, state))
}

struct Session {
    id: u64,
    app_key: Option<String>,
    /// Registrations: (tr_id, tr_key).
    subs: BTreeSet<(String, String)>,
    /// Next trade to send per stock with a trade registration.
    trade_cursor: HashMap<StockCode, usize>,
    /// Trades already reflected in the last book sent per stock with a book registration.
    book_cursor: HashMap<StockCode, usize>,
    /// Next notice to send, when notices are registered.
    notice_cursor: Option<usize>,
    iv: String,
    key: String,
    cipher: Option<FrameCipher>,
    stalled_until: Option<Instant>,
    duplicate_next: bool,
    outbox: Vec<String>,
}

enum Next {
    Continue,
    /// Close with a close frame (after the outbox).
    Close,
    /// Break the connection without a close frame.
    Drop,
}

fn notice_tr(s: &State) -> &'static str {
    if s.is_paper() { "H0STCNI9" } else { "H0STCNI0" }
}

fn random_text(s: &mut State, len: usize, alphabet: &[u8]) -> String {
    (0..len).map(|_| alphabet[(s.next_random() % alphabet.len() as u64) as usize] as char).collect()
}

async fn run(mut socket: WebSocket, state: Shared) {
    let (ping_every, pump_every, mut sess) = {
        let mut s = lock(&state);
        s.stats.ws_connections += 1;
        s.rt.next_session += 1;
        let iv = random_text(&mut s, 16, b"0123456789abcdef");
        let key = random_text(&mut s, 32, b"abcdefghijklmnopqrstuvwxyz");
        let cipher = FrameCipher::new(&key, &iv).ok();
        let sess = Session {
            id: s.rt.next_session,
            app_key: None,
            subs: BTreeSet::new(),
            trade_cursor: HashMap::new(),
            book_cursor: HashMap::new(),
            notice_cursor: None,
            iv,
            key,
            cipher,
            stalled_until: None,
            duplicate_next: false,
            outbox: Vec::new(),
        };
        (s.config.ws.ping_interval, s.config.ws.pump_interval, sess)
    };
    let mut ping = tokio::time::interval_at(tokio::time::Instant::now() + ping_every, ping_every);
    let mut pump = tokio::time::interval(pump_every);
    ping.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    pump.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let ending = loop {
        enum Ev {
            Msg(Option<Result<Message, axum::Error>>),
            Ping,
            Pump,
        }
        let ev = tokio::select! {
            m = socket.recv() => Ev::Msg(m),
            _ = ping.tick() => Ev::Ping,
            _ = pump.tick() => Ev::Pump,
        };
        let stalled = sess.stalled_until.is_some_and(|u| Instant::now() < u);
        let next = match ev {
            Ev::Msg(None | Some(Err(_)) | Some(Ok(Message::Close(_)))) => break Next::Close,
            Ev::Msg(Some(Ok(Message::Text(t)))) => {
                if is_pingpong(t.as_str()) {
                    lock(&state).stats.ws_pongs += 1;
                    Next::Continue
                } else {
                    request(&mut lock(&state), &mut sess, t.as_str())
                }
            }
            Ev::Msg(Some(Ok(Message::Pong(_)))) => {
                lock(&state).stats.ws_pongs += 1;
                Next::Continue
            }
            Ev::Msg(Some(Ok(_))) => Next::Continue,
            Ev::Ping if stalled => Next::Continue,
            Ev::Ping => {
                let mut s = lock(&state);
                s.stats.ws_pings += 1;
                sess.outbox.push(pingpong_text(&s.now().kst_datetime().format("%Y%m%d%H%M%S").to_string()));
                Next::Continue
            }
            Ev::Pump if stalled => Next::Continue,
            Ev::Pump => pump_once(&mut lock(&state), &mut sess),
        };
        if matches!(next, Next::Drop) {
            break Next::Drop;
        }
        if sess.stalled_until.is_none_or(|u| Instant::now() >= u) {
            for text in sess.outbox.drain(..) {
                if socket.send(Message::Text(text.into())).await.is_err() {
                    break;
                }
            }
        }
        if matches!(next, Next::Close) {
            break Next::Close;
        }
    };
    {
        let mut s = lock(&state);
        if let Some(app) = &sess.app_key {
            if s.rt.sessions.get(app) == Some(&sess.id) {
                s.rt.sessions.remove(app);
            }
        }
    }
    match ending {
        Next::Drop => drop(socket),
        _ => {
            let _ = socket.send(Message::Close(None)).await;
        }
    }
}

fn reply(sess: &mut Session, c: &Control) {
    sess.outbox.push(c.to_text());
}

/// Handles one subscribe/unsubscribe request.
fn request(s: &mut State, sess: &mut Session, text: &str) -> Next {
    let req = match SubscribeRequest::parse(text) {
        Ok(r) => r,
        Err(e) => {
            let (code, msg) = match e.field.as_str() {
                "header.tr_type" => ("OPSP8997", "JSON PARSING ERROR : invalid tr_type"),
                "<body>" => (opsp::INVALID_JSON, "JSON PARSING ERROR : invalid json format"),
                f if f.starts_with("header") => ("OPSP9997", "JSON PARSING ERROR : header not found"),
                _ => ("OPSP9991", "JSON PARSING ERROR : input not found"),
            };
            reply(sess, &Control::reply("", "", "9", code, msg));
            return Next::Continue;
        }
    };
    let (tr_id, tr_key) = (req.tr_id.as_str(), req.tr_key.as_str());
    let refuse = |sess: &mut Session, rt: &str, code: &str, msg: &str| {
        reply(sess, &Control::reply(tr_id, tr_key, rt, code, msg));
        Next::Continue
    };
    let Some(app) = s.rt.approvals.get(req.approval_key.expose()).cloned() else {
        return refuse(sess, "1", opsp::INVALID_APPROVAL, "invalid approval : NOT FOUND");
    };
    match &sess.app_key {
        Some(bound) if *bound != app => {
            return refuse(sess, "9", opsp::APPKEY_IN_USE, "ALREADY IN USE appkey");
        }
        Some(_) => {}
        None => {
            if s.rt.sessions.get(&app).is_some_and(|id| *id != sess.id) {
                reply(sess, &Control::reply("(null)", "", "9", opsp::APPKEY_IN_USE, "ALREADY IN USE appkey"));
                return Next::Close;
            }
            s.rt.sessions.insert(app.clone(), sess.id);
            sess.app_key = Some(app);
        }
    }
    let notices = notice_tr(s);
    let code = match tr_id {
        TRADES | BOOK => match StockCode::new_checked(tr_key) {
            Ok(c) if s.config.market.get(c).is_some() => Some(c),
            _ => return refuse(sess, "1", opsp::INVALID_TR_KEY, "SUBSCRIBE ERROR : invalid tr_key"),
        },
        t if t == notices => {
            // Choice: KIS accepts a wrong HTS id and stays silent; the local server refuses it
            // so a misconfigured test fails loudly.
            if tr_key != s.config.hts_id {
                return refuse(sess, "1", opsp::INVALID_TR_KEY, "SUBSCRIBE ERROR : invalid tr_key");
            }
            None
        }
        _ => return refuse(sess, "1", opsp::INVALID_TR_ID, "SUBSCRIBE ERROR : invalid tr_id"),
    };
    let pair = (tr_id.to_owned(), tr_key.to_owned());
    if !req.subscribe {
        if !sess.subs.remove(&pair) {
            return refuse(sess, "1", opsp::NOT_SUBSCRIBED, "UNSUBSCRIBE ERROR(not found!)");
        }
        match (tr_id, code) {
            (TRADES, Some(c)) => {
                sess.trade_cursor.remove(&c);
            }
            (BOOK, Some(c)) => {
                sess.book_cursor.remove(&c);
            }
            _ => sess.notice_cursor = None,
        }
        return refuse(sess, "0", opsp::UNSUBSCRIBED, "UNSUBSCRIBE SUCCESS");
    }
    if sess.subs.contains(&pair) {
        return refuse(sess, "1", opsp::ALREADY_SUBSCRIBED, "ALREADY IN SUBSCRIBE");
    }
    if sess.subs.len() >= opsp::MAX_REGISTRATIONS {
        return refuse(sess, "1", opsp::MAX_SUBSCRIBE, "MAX SUBSCRIBE OVER");
    }
    if let Some(c) = code {
        ensure_tape(s, c);
        advance(s);
    }
    // Only what happens from now on is sent, as KIS does; earlier trades come over REST.
    let sent = |s: &State, c: StockCode| s.tapes.get(&c).map_or(0, |t| t.trades.len());
    match (tr_id, code) {
        (TRADES, Some(c)) => {
            sess.trade_cursor.insert(c, sent(s, c));
        }
        (BOOK, Some(c)) => {
            sess.book_cursor.insert(c, usize::MAX);
        }
        _ => sess.notice_cursor = Some(s.rt.notices.len()),
    }
    sess.subs.insert(pair);
    let mut ok = Control::reply(tr_id, tr_key, "0", opsp::SUBSCRIBED, "SUBSCRIBE SUCCESS");
    ok.encrypted = code.is_none();
    ok.iv = Some(sess.iv.clone());
    ok.key = Some(sess.key.clone());
    reply(sess, &ok);
    Next::Continue
}

/// Sends what happened since the last pump: trades, books and notices; applies a fault.
fn pump_once(s: &mut State, sess: &mut Session) -> Next {
    if s.rt.closing {
        return Next::Drop;
    }
    if sess.subs.is_empty() {
        return Next::Continue;
    }
    advance(s);
    if let Some(fault) = s.ws_faults.pop_front() {
        s.stats.ws_faults += 1;
        tracing::debug!(?fault, session = sess.id, "Local KIS server applies a WebSocket fault");
        match fault {
            WsFault::Drop => return Next::Drop,
            WsFault::Stall(d) => {
                sess.stalled_until = Some(Instant::now() + d);
                return Next::Continue;
            }
            WsFault::Garbage => sess.outbox.push("0|H0STCNT0|00x|not^a^frame".into()),
            WsFault::Duplicate => sess.duplicate_next = true,
            WsFault::DelayNotices(d) => s.rt.notice_hold_until = Some(Instant::now() + d),
        }
    }
    let mut frames: Vec<(String, u64)> = Vec::new();
    let today = s.now().kst_date();
    let codes: Vec<StockCode> = sess.trade_cursor.keys().copied().collect();
    for code in codes {
        let Some(tape) = s.tapes.get(&code) else { continue };
        let from = sess.trade_cursor.get(&code).copied().unwrap_or(0).min(tape.trades.len());
        for chunk in tape.trades[from..].chunks(s.config.ws.max_batch.max(1)) {
            let recs: Vec<String> = chunk.iter().map(|t| tape.tick(t).to_record()).collect();
            frames.push((data_frame_text(false, TRADES, &recs), recs.len() as u64));
        }
        sess.trade_cursor.insert(code, tape.trades.len());
    }
    let books: Vec<StockCode> = sess.book_cursor.keys().copied().collect();
    for code in books {
        let Some(tape) = s.tapes.get(&code).filter(|t| t.date == today) else { continue };
        if sess.book_cursor.get(&code) == Some(&tape.trades.len()) {
            continue;
        }
        sess.book_cursor.insert(code, tape.trades.len());
        let (asks, bids) = tape.book();
        let time = tape.trades.last().map_or_else(|| s.now().kst_datetime().time(), |t| t.time);
        let to_px = |v: Vec<(i64, u64)>| -> Vec<(Price, u64)> {
            v.into_iter().filter_map(|(p, q)| Price::new_checked(p).ok().map(|p| (p, q))).collect()
        };
        let (asks, bids) = (to_px(asks), to_px(bids));
        let book = BookFrame {
            code,
            time: chrono::Timelike::with_nanosecond(&time, 0).unwrap_or(time),
            total_ask: asks.iter().map(|l| l.1).sum(),
            total_bid: bids.iter().map(|l| l.1).sum(),
            asks,
            bids,
            volume: tape.trades.last().map_or(0, |t| t.volume),
        };
        frames.push((data_frame_text(false, BOOK, &[book.to_record()]), 0));
    }
    let held = s.rt.notice_hold_until.is_some_and(|u| Instant::now() < u);
    if let (Some(from), Some(cipher), false) = (sess.notice_cursor, &sess.cipher, held) {
        let account = format!("{}{}", s.config.cano, s.config.product);
        let tr = notice_tr(s);
        for n in &s.rt.notices[from.min(s.rt.notices.len())..] {
            let ctx = NoticeContext {
                hts_id: &s.config.hts_id,
                account: &account,
                account_name: &s.config.account_name,
                order_kind: &n.order_kind,
                order_price: n.order_price.and_then(|p| Price::new_checked(p).ok()),
                stock_name: &n.stock_name,
            };
            frames.push((notice_frame_text(cipher, tr, &n.notice.to_plaintext(&ctx)), 0));
        }
        sess.notice_cursor = Some(s.rt.notices.len());
    }
    for (text, records) in frames {
        let times = if std::mem::take(&mut sess.duplicate_next) { 2 } else { 1 };
        for _ in 0..times {
            s.stats.ws_data_frames += 1;
            s.stats.ws_trade_records += records;
            sess.outbox.push(text.clone());
        }
    }
    Next::Continue
}
