//! The connection task of a [`super::KisFeed`]: one loop that reads frames, answers PINGPONG,
//! serves subscribe/unsubscribe requests, watches for silence, reconnects with backoff, re-subscribes,
//! and merges gap-fill results into the stream so the consumer sees every trade once, in order.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use hantu_core::domain::{StockCode, Timestamp};
use hantu_core::realtime::{Channel, FeedError, FeedEvent, Gap, Subscription, Trade};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinSet;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};
use tracing::{debug, info, warn};

use super::budget::{Admission, Registry};
use super::crypto::FrameCipher;
use super::decode::{TradeDecoder, books, notice};
use super::feed::{Counters, FeedConfig};
use super::frames::DataFrame;
use super::gapfill::{missing_volume, recover_held};
use super::messages::{Control, ServerMessage, SubscribeRequest};
use crate::auth::{ApprovalKeys, Secret};
use crate::parse::ParseError;
use crate::rest::{Execution, Executions, InquireCcnl};
use crate::{Environment, KisClient};

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;
type Reply = oneshot::Sender<Result<(), FeedError>>;

/// Requests from the [`super::KisFeed`] handle.
pub(super) enum Cmd {
    Subscribe(Subscription, Reply),
    Unsubscribe(Subscription, Reply),
    Close(oneshot::Sender<()>),
}

/// A request sent and not yet answered. `reply` is `None` for re-subscriptions after a reconnect
/// and for unsubscriptions of displaced registrations.
struct Pending {
    sub: Subscription,
    subscribe: bool,
    reply: Option<Reply>,
}

/// Per-code trade state: the last delivered cumulative volume, and trades held while a gap fills.
struct Flow {
    last_cum: u64,
    last_ts: Timestamp,
    filling: Option<Vec<Trade>>,
}

/// A finished request for a code's recent executions, for a gap-fill.
struct Filled {
    code: StockCode,
    from: Timestamp,
    first: Trade,
    attempt: u32,
    result: Result<Vec<Execution>, String>,
}

/// Requests for recent executions per gap before it is reported unrecovered.
const FILL_ATTEMPTS: u32 = 4;

/// Why a connection ended.
enum End {
    Lost(String),
    Shutdown(Option<oneshot::Sender<()>>),
}

pub(super) struct Session {
    client: KisClient,
    cfg: FeedConfig,
    approval: Arc<ApprovalKeys>,
    key: Option<Secret>,
    registry: Registry,
    out: mpsc::Sender<FeedEvent>,
    counters: Arc<Counters>,
    lagging: bool,
    lag_report_due: bool,
    flows: HashMap<StockCode, Flow>,
    ciphers: HashMap<String, FrameCipher>,
    pending: HashMap<(String, String), Pending>,
    resubscribing: usize,
    fills: JoinSet<Filled>,
    decoder: TradeDecoder,
    trades: Vec<Trade>,
    attempt: u32,
    last_frame: Instant,
    lost_at: Option<Timestamp>,
    consumer_gone: bool,
}

fn refused(c: &Control) -> FeedError {
    FeedError::Refused { code: c.msg_cd.clone(), message: c.msg.clone() }
}

impl Session {
    pub(super) fn new(
        client: KisClient,
        cfg: FeedConfig,
        approval: Arc<ApprovalKeys>,
        out: mpsc::Sender<FeedEvent>,
        counters: Arc<Counters>,
    ) -> Self {
        Self {
            registry: Registry::new(cfg.budget),
            client,
            cfg,
            approval,
            key: None,
            out,
            counters,
            lagging: false,
            lag_report_due: false,
            flows: HashMap::new(),
            ciphers: HashMap::new(),
            pending: HashMap::new(),
            resubscribing: 0,
            fills: JoinSet::new(),
            decoder: TradeDecoder::new(),
            trades: Vec::new(),
            attempt: 0,
            last_frame: Instant::now(),
            lost_at: None,
            consumer_gone: false,
        }
    }

    fn now(&self) -> Timestamp {
        self.client.config().clock.now()
    }

    /// Gets the approval key (cached) and opens the socket.
    pub(super) async fn open(&mut self) -> Result<Ws, String> {
        let key = self.approval.get().await.map_err(|e| format!("approval key: {e}"))?;
        self.key = Some(key.0);
        // Nagle off: frames are small and a delayed ACK would hold a pong or a subscribe for 40 ms.
        let connect = tokio_tungstenite::connect_async_with_config(self.cfg.ws_url.as_str(), None, true);
        let (ws, _) = tokio::time::timeout(Duration::from_secs(10), connect)
            .await
            .map_err(|_| format!("connecting to {} timed out", self.cfg.ws_url))?
            .map_err(|e| format!("connecting to {}: {e}", self.cfg.ws_url))?;
        self.last_frame = Instant::now();
        self.ciphers.clear();
        Ok(ws)
    }

    /// Runs until the handle closes or drops.
    pub(super) async fn run(mut self, first: Ws, mut cmds: mpsc::Receiver<Cmd>) {
        let mut ws = Some(first);
        loop {
            let socket = match ws.take() {
                Some(s) => s,
                None => match self.reconnect(&mut cmds).await {
                    Some(s) => s,
                    None => return,
                },
            };
            match self.serve(socket, &mut cmds).await {
                End::Shutdown(done) => {
                    if let Some(done) = done {
                        let _ = done.send(());
                    }
                    return;
                }
                End::Lost(reason) => {
                    warn!(reason = %reason, "Real-time connection lost");
                    self.lost_at = Some(self.now());
                    for (_, p) in self.pending.drain() {
                        if p.subscribe && p.reply.is_some() {
                            // Stays registered: sent again on reconnect.
                            if let Some(r) = p.reply {
                                let _ = r.send(Ok(()));
                            }
                        }
                    }
                    self.emit(FeedEvent::Disconnected { reason }).await;
                    if self.consumer_gone {
                        return;
                    }
                }
            }
        }
    }

    async fn reconnect(&mut self, cmds: &mut mpsc::Receiver<Cmd>) -> Option<Ws> {
        let mut tries = 0u32;
        loop {
            let sleep = tokio::time::sleep(self.cfg.backoff.next_delay(tries));
            tokio::pin!(sleep);
            loop {
                tokio::select! {
                    () = &mut sleep => break,
                    cmd = cmds.recv() => match cmd {
                        None => return None,
                        Some(Cmd::Close(done)) => {
                            let _ = done.send(());
                            return None;
                        }
                        Some(cmd) => { let _ = self.on_cmd(None, cmd).await; }
                    },
                    Some(done) = self.fills.join_next(), if !self.fills.is_empty() => {
                        if let Ok(done) = done {
                            self.on_filled(done).await;
                        }
                    }
                }
            }
            match self.open().await {
                Ok(ws) => {
                    self.attempt += 1;
                    self.counters.reconnects.fetch_add(1, Ordering::Relaxed);
                    info!(attempt = self.attempt, "Real-time connection re-established");
                    return Some(ws);
                }
                Err(e) => {
                    debug!(error = %e, tries, "Reconnect failed");
                    tries = tries.saturating_add(1);
                }
            }
        }
    }

    async fn serve(&mut self, mut ws: Ws, cmds: &mut mpsc::Receiver<Cmd>) -> End {
        // Re-register everything (nothing on the first connection).
        self.resubscribing = 0;
        let subs: Vec<Subscription> = self.registry.subscriptions().to_vec();
        for sub in subs {
            match self.send_request(&mut ws, sub, true, None).await {
                Ok(true) => self.resubscribing += 1,
                Ok(false) => {}
                Err(end) => return end,
            }
        }
        if self.resubscribing == 0 {
            self.announce_connected().await;
        }
        loop {
            if self.consumer_gone {
                return End::Shutdown(None);
            }
            let deadline = self.last_frame + self.cfg.silence;
            tokio::select! {
                msg = ws.next() => {
                    self.last_frame = Instant::now();
                    let end = match msg {
                        None => Some(End::Lost("closed by the server".into())),
                        Some(Err(e)) => Some(End::Lost(format!("socket error: {e}"))),
                        Some(Ok(Message::Text(text))) => self.on_text(&mut ws, text.as_str()).await.err(),
                        Some(Ok(Message::Close(frame))) => Some(End::Lost(match frame {
                            Some(f) => format!("closed by the server: {} {}", f.code, f.reason),
                            None => "closed by the server".into(),
                        })),
                        Some(Ok(Message::Binary(_))) => {
                            self.malformed(ParseError::body("<binary>", "expected a text frame")).await;
                            None
                        }
                        // tungstenite answers pings itself; pongs and raw frames only prove life.
                        Some(Ok(_)) => None,
                    };
                    if let Some(end) = end {
                        return end;
                    }
                }
                () = tokio::time::sleep_until(deadline) => {
                    return End::Lost(format!("no frame for {:?}", self.cfg.silence));
                }
                cmd = cmds.recv() => match cmd {
                    None => {
                        let _ = ws.close(None).await;
                        return End::Shutdown(None);
                    }
                    Some(Cmd::Close(done)) => {
                        let _ = ws.close(None).await;
                        return End::Shutdown(Some(done));
                    }
                    Some(cmd) => {
                        if let Some(end) = self.on_cmd(Some(&mut ws), cmd).await {
                            return end;
                        }
                    }
                },
                Some(done) = self.fills.join_next(), if !self.fills.is_empty() => {
                    if let Ok(done) = done {
                        self.on_filled(done).await;
                    }
                }
            }
        }
    }

    async fn announce_connected(&mut self) {
        self.emit(FeedEvent::Connected { attempt: self.attempt }).await;
        if let Some(from) = self.lost_at.take() {
            let to = self.now();
            self.emit(FeedEvent::Gap(Gap { code: None, from, to, recovered: 0 })).await;
        }
    }

    /// `(tr_id, tr_key)` of a subscription.
    fn route(&self, sub: &Subscription) -> Result<(&'static str, String), FeedError> {
        let code = || {
            sub.code
                .map(|c| c.as_str().to_owned())
                .ok_or_else(|| FeedError::Unavailable(format!("{:?} needs a stock code", sub.channel)))
        };
        match sub.channel {
            Channel::Trades => Ok(("H0STCNT0", code()?)),
            Channel::Book => Ok(("H0STASP0", code()?)),
            Channel::Notices => {
                let tr = match self.client.config().env {
                    Environment::Real => "H0STCNI0",
                    Environment::Paper => "H0STCNI9",
                };
                let hts =
                    self.cfg.hts_id.clone().filter(|h| !h.is_empty()).ok_or_else(|| {
                        FeedError::Unavailable("order notices need the account's HTS id (hts_id)".into())
                    })?;
                Ok((tr, hts))
            }
        }
    }

    /// Sends a (un)subscribe request; `Ok(false)` when the subscription cannot be routed (reported).
    async fn send_request(
        &mut self,
        ws: &mut Ws,
        sub: Subscription,
        subscribe: bool,
        reply: Option<Reply>,
    ) -> Result<bool, End> {
        let (tr_id, tr_key) = match self.route(&sub) {
            Ok(r) => r,
            Err(e) => {
                if let Some(r) = reply {
                    let _ = r.send(Err(e));
                }
                return Ok(false);
            }
        };
        let req = SubscribeRequest {
            approval_key: self.key.clone().unwrap_or_else(|| Secret::new("")),
            custtype: self.client.config().custtype.to_owned(),
            subscribe,
            tr_id: tr_id.to_owned(),
            tr_key: tr_key.clone(),
        };
        if let Err(e) = ws.send(Message::text(req.to_text())).await {
            if let Some(r) = reply {
                // Stays registered: sent again on reconnect.
                let _ = r.send(Ok(()));
            }
            return Err(End::Lost(format!("send failed: {e}")));
        }
        self.pending.insert((tr_id.to_owned(), tr_key), Pending { sub, subscribe, reply });
        Ok(true)
    }

    async fn on_cmd(&mut self, ws: Option<&mut Ws>, cmd: Cmd) -> Option<End> {
        match cmd {
            Cmd::Close(done) => {
                let _ = done.send(());
                None
            }
            Cmd::Subscribe(sub, reply) => {
                if let Err(e) = self.route(&sub) {
                    let _ = reply.send(Err(e));
                    return None;
                }
                let displaced = match self.registry.admit(sub) {
                    Err(e) => {
                        let _ = reply.send(Err(e));
                        return None;
                    }
                    Ok(Admission::AlreadyRegistered) => {
                        let _ = reply.send(Ok(()));
                        return None;
                    }
                    Ok(Admission::Added) => None,
                    Ok(Admission::Displaced(w)) => Some(w),
                };
                if let Some(w) = displaced {
                    self.forget(&w);
                    let reason = format!(
                        "displaced by {:?} {} of priority {} (budget {})",
                        sub.channel,
                        sub.code.map_or(String::new(), |c| c.to_string()),
                        sub.priority,
                        self.registry.budget()
                    );
                    self.emit(FeedEvent::Unsubscribed { subscription: w, reason }).await;
                }
                let Some(ws) = ws else {
                    // Registered when the connection is back.
                    let _ = reply.send(Ok(()));
                    return None;
                };
                if let Some(w) = displaced {
                    if let Err(end) = self.send_request(ws, w, false, None).await {
                        let _ = reply.send(Ok(()));
                        return Some(end);
                    }
                }
                self.send_request(ws, sub, true, Some(reply)).await.err()
            }
            Cmd::Unsubscribe(sub, reply) => {
                if !self.registry.remove(&sub) {
                    let _ = reply.send(Ok(()));
                    return None;
                }
                self.forget(&sub);
                match ws {
                    Some(ws) => self.send_request(ws, sub, false, Some(reply)).await.err(),
                    None => {
                        let _ = reply.send(Ok(()));
                        None
                    }
                }
            }
        }
    }

    /// Drops the trade state of an unregistered trade subscription, so a later one starts afresh.
    fn forget(&mut self, sub: &Subscription) {
        if let (Channel::Trades, Some(code)) = (sub.channel, sub.code) {
            self.flows.remove(&code);
        }
    }

    async fn on_text(&mut self, ws: &mut Ws, text: &str) -> Result<(), End> {
        match ServerMessage::parse(text) {
            Err(e) => self.malformed(e).await,
            Ok(ServerMessage::PingPong { raw, .. }) => {
                ws.send(Message::text(raw.to_owned())).await.map_err(|e| End::Lost(format!("send failed: {e}")))?;
            }
            Ok(ServerMessage::Control(c)) => return self.on_control(c).await,
            Ok(ServerMessage::Data(frame)) => self.on_data(&frame).await,
        }
        Ok(())
    }

    async fn on_control(&mut self, c: Control) -> Result<(), End> {
        // Errors of the connection rather than of one request.
        if matches!(c.msg_cd.as_str(), "OPSP8996" | "OPSP0011" | "OPSP0010" | "OPSP9994") {
            if c.msg_cd != "OPSP8996" {
                // The key is unknown to the server: the next connection asks for a new one.
                self.approval.invalidate();
            }
            let user: Vec<Pending> = self.pending.drain().filter_map(|(_, p)| p.reply.is_some().then_some(p)).collect();
            for p in user {
                if p.subscribe {
                    self.registry.remove(&p.sub);
                }
                if let Some(r) = p.reply {
                    let _ = r.send(Err(refused(&c)));
                }
            }
            return Err(End::Lost(format!("{} {}", c.msg_cd, c.msg)));
        }
        let Some(p) = self.pending.remove(&(c.tr_id.clone(), c.tr_key.clone())) else {
            if c.is_ok() {
                debug!(tr_id = %c.tr_id, msg_cd = %c.msg_cd, "Unsolicited control reply");
            } else {
                warn!(tr_id = %c.tr_id, msg_cd = %c.msg_cd, msg = %c.msg, "Control error without a request");
            }
            return Ok(());
        };
        let resubscription = p.subscribe && p.reply.is_none();
        // An unsubscribe of something already gone (OPSP0003) is done all the same.
        let ok = c.is_ok() || (!p.subscribe && c.msg_cd == "OPSP0003");
        if ok {
            if p.subscribe {
                if let (Some(key), Some(iv)) = (&c.key, &c.iv) {
                    if c.encrypted || p.sub.channel == Channel::Notices {
                        match FrameCipher::new(key, iv) {
                            Ok(cipher) => {
                                self.ciphers.insert(c.tr_id.clone(), cipher);
                            }
                            Err(e) => self.malformed(e).await,
                        }
                    }
                }
            }
            if let Some(r) = p.reply {
                let _ = r.send(Ok(()));
            }
        } else if p.subscribe {
            self.registry.remove(&p.sub);
            self.forget(&p.sub);
            match p.reply {
                Some(r) => {
                    let _ = r.send(Err(refused(&c)));
                }
                None => {
                    let reason = format!("{} {}", c.msg_cd, c.msg);
                    self.emit(FeedEvent::Unsubscribed { subscription: p.sub, reason }).await;
                }
            }
        } else if let Some(r) = p.reply {
            let _ = r.send(Err(refused(&c)));
        }
        if resubscription {
            self.resubscribing = self.resubscribing.saturating_sub(1);
            if self.resubscribing == 0 {
                self.announce_connected().await;
            }
        }
        Ok(())
    }

    fn session_date(&self) -> chrono::NaiveDate {
        self.decoder.date().unwrap_or_else(|| self.now().kst_date())
    }

    async fn on_data(&mut self, frame: &DataFrame<'_>) {
        match frame.tr_id {
            "H0STCNT0" => {
                let mut trades = std::mem::take(&mut self.trades);
                trades.clear();
                match self.decoder.decode(frame, &mut trades) {
                    Ok(()) => {
                        for t in &trades {
                            self.on_trade(*t).await;
                        }
                    }
                    Err(e) => self.malformed(e).await,
                }
                self.trades = trades;
            }
            "H0STASP0" => match books(frame, self.session_date()) {
                Ok(list) => {
                    for b in list {
                        self.emit_book(FeedEvent::Book(b));
                    }
                }
                Err(e) => self.malformed(e).await,
            },
            "H0STCNI0" | "H0STCNI9" => {
                let plain = if frame.encrypted {
                    match self.ciphers.get(frame.tr_id) {
                        Some(cipher) => cipher.decrypt(frame.payload),
                        None => Err(ParseError {
                            field: "<frame>.payload".into(),
                            value: frame.tr_id.to_owned(),
                            reason: "encrypted notice before its subscribe reply carried a key",
                        }),
                    }
                } else {
                    Ok(frame.payload.to_owned())
                };
                match plain.and_then(|p| notice(&p, self.session_date())) {
                    Ok(n) => self.emit(FeedEvent::Notice(n)).await,
                    Err(e) => self.malformed(e).await,
                }
            }
            other => {
                let e = ParseError { field: "<frame>.tr_id".into(), value: other.to_owned(), reason: "not subscribed" };
                self.malformed(e).await;
            }
        }
    }

    /// Delivers a trade once and in order: duplicates (by cumulative volume) are dropped; a jump in
    /// cumulative volume is a gap, filled over REST while the code's later trades wait.
    async fn on_trade(&mut self, t: Trade) {
        let code = t.tick.code;
        let flow = self.flows.entry(code).or_insert(Flow { last_cum: 0, last_ts: t.tick.ts, filling: None });
        if let Some(held) = &mut flow.filling {
            held.push(t);
            return;
        }
        if t.cum_volume <= flow.last_cum {
            self.counters.duplicates.fetch_add(1, Ordering::Relaxed);
            return;
        }
        let missing = if flow.last_cum > 0 { missing_volume(flow.last_cum, &t) } else { 0 };
        let from = flow.last_ts;
        if missing > 0 {
            self.counters.gaps.fetch_add(1, Ordering::Relaxed);
            if self.cfg.gap_fill {
                flow.filling = Some(vec![t]);
                self.spawn_fill(code, from, t, 0);
                return;
            }
            self.counters.shortfall.fetch_add(missing, Ordering::Relaxed);
            self.emit(FeedEvent::Gap(Gap { code: Some(code), from, to: t.tick.ts, recovered: 0 })).await;
        }
        if let Some(flow) = self.flows.get_mut(&code) {
            flow.last_cum = t.cum_volume;
            flow.last_ts = t.tick.ts;
        }
        self.emit(FeedEvent::Trade(t)).await;
    }

    fn spawn_fill(&mut self, code: StockCode, from: Timestamp, first: Trade, attempt: u32) {
        let client = self.client.clone();
        self.fills.spawn(async move {
            if attempt > 0 {
                tokio::time::sleep(Duration::from_millis(150 * u64::from(attempt))).await;
            }
            let result =
                client.call(&InquireCcnl { code }).await.map(|Executions(list)| list).map_err(|e| e.to_string());
            Filled { code, from, first, attempt, result }
        });
    }

    async fn on_filled(&mut self, done: Filled) {
        let Some(flow) = self.flows.get_mut(&done.code) else { return };
        let Some(held) = flow.filling.take() else { return };
        let missing = missing_volume(flow.last_cum, &done.first);
        let outcome = match &done.result {
            Ok(list) => recover_held(flow.last_cum, &held, list, done.first.tick.ts.kst_date())
                .ok_or_else(|| String::from("no trade after the gap is in the executions list yet")),
            Err(e) => Err(e.clone()),
        };
        let (trades, shortfall) = match outcome {
            Ok(r) => (r.trades, r.shortfall),
            Err(e) if done.attempt + 1 < FILL_ATTEMPTS => {
                debug!(code = %done.code, error = %e, attempt = done.attempt, "Gap-fill retry");
                flow.filling = Some(held);
                self.spawn_fill(done.code, done.from, done.first, done.attempt + 1);
                return;
            }
            Err(e) => {
                warn!(code = %done.code, error = %e, "Gap-fill failed");
                (Vec::new(), missing)
            }
        };
        let mut recovered = 0u64;
        for t in trades {
            let Some(flow) = self.flows.get_mut(&done.code) else { return };
            if t.cum_volume > flow.last_cum {
                flow.last_cum = t.cum_volume;
                flow.last_ts = t.tick.ts;
                recovered += 1;
                self.emit(FeedEvent::Trade(t)).await;
            }
        }
        if shortfall > 0 {
            warn!(code = %done.code, shares = shortfall, "Gap longer than the executions list; shares not recovered");
            self.counters.shortfall.fetch_add(shortfall, Ordering::Relaxed);
        }
        self.counters.recovered.fetch_add(recovered, Ordering::Relaxed);
        let gap = Gap { code: Some(done.code), from: done.from, to: done.first.tick.ts, recovered };
        self.emit(FeedEvent::Gap(gap)).await;
        // What could not be recovered is not asked for again: the trade after the gap continues.
        if let Some(flow) = self.flows.get_mut(&done.code) {
            flow.last_cum = flow.last_cum.max(done.first.cum_volume - done.first.tick.qty);
        }
        for t in held {
            Box::pin(self.on_trade(t)).await;
        }
    }

    async fn malformed(&mut self, e: ParseError) {
        self.counters.malformed.fetch_add(1, Ordering::Relaxed);
        warn!(field = %e.field, reason = e.reason, "Malformed real-time frame skipped");
        let reason = format!("{}: {:?}", e.reason, e.value);
        self.emit(FeedEvent::Malformed { field: e.field, reason }).await;
    }

    /// Delivers an event that must not be lost (everything but book snapshots), waiting for room.
    async fn emit(&mut self, ev: FeedEvent) {
        self.report_lag();
        match self.out.try_send(ev) {
            Ok(()) => self.settle_lag(),
            Err(mpsc::error::TrySendError::Full(ev)) => {
                if !self.lagging {
                    self.lagging = true;
                    let dropped = self.counters.dropped_books.load(Ordering::Relaxed);
                    warn!(dropped_books = dropped, "Real-time consumer is behind");
                    if self.out.send(FeedEvent::Lagging { dropped_books: dropped }).await.is_err() {
                        self.consumer_gone = true;
                        return;
                    }
                    self.lag_report_due = false;
                }
                if self.out.send(ev).await.is_err() {
                    self.consumer_gone = true;
                }
            }
            Err(mpsc::error::TrySendError::Closed(_)) => self.consumer_gone = true,
        }
    }

    /// Delivers a book snapshot if there is room; otherwise drops and counts it.
    fn emit_book(&mut self, ev: FeedEvent) {
        self.report_lag();
        match self.out.try_send(ev) {
            Ok(()) => self.settle_lag(),
            Err(mpsc::error::TrySendError::Full(_)) => {
                self.counters.dropped_books.fetch_add(1, Ordering::Relaxed);
                self.lagging = true;
                self.lag_report_due = true;
            }
            Err(mpsc::error::TrySendError::Closed(_)) => self.consumer_gone = true,
        }
    }

    fn report_lag(&mut self) {
        if self.lag_report_due {
            let dropped = self.counters.dropped_books.load(Ordering::Relaxed);
            if self.out.try_send(FeedEvent::Lagging { dropped_books: dropped }).is_ok() {
                self.lag_report_due = false;
            }
        }
    }

    fn settle_lag(&mut self) {
        if self.lagging && !self.lag_report_due && self.out.capacity() > self.out.max_capacity() / 2 {
            self.lagging = false;
        }
    }
}
