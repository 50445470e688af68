//! The local server's real-time state: approval keys, live sessions per app key, the
//! account's order/fill notices and fills, WebSocket faults, and moving the market (tapes and
//! matching) up to the server clock.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use chrono::{NaiveDate, NaiveTime};
use hantu_core::domain::{Price, Side, StockCode};
use serde::{Deserialize, Serialize};

use super::state::{MockOrder, State};
use super::tape::Tape;
use crate::ws::{NoticeKind, OrderNotice};

/// A fault of the WebSocket side, applied once by the next session that has subscriptions
/// (the real-time counterpart of [`super::Fault`]).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum WsFault {
    /// Close the TCP connection abruptly (no close frame), as a network drop does.
    Drop,
    /// Send nothing (no data, no PINGPONG, no replies) for this long, then resume with what
    /// piled up; the socket stays open and keeps reading.
    Stall(Duration),
    /// Send one frame that is neither JSON nor a valid data frame.
    Garbage,
    /// Send the next data frame twice.
    Duplicate,
    /// Hold every order/fill notice for this long (REST already shows the fills).
    DelayNotices(Duration),
}

/// One fill of the account's orders, as notices and inquire-daily-ccld report it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MockFill {
    /// Stable execution identity: `<order no>-<fill number of that order, from 1>`.
    pub exec_no: String,
    /// Order number (`ODNO`, 10 digits).
    pub order_no: String,
    /// Stock.
    pub code: StockCode,
    /// Side.
    pub side: Side,
    /// Shares.
    pub qty: u64,
    /// Price (won).
    pub price: i64,
    /// Date (KST).
    pub date: NaiveDate,
    /// Time (KST).
    pub time: NaiveTime,
}

/// A notice waiting in the account's notice log (encrypted per session when sent).
#[derive(Clone, Debug)]
pub(super) struct NoticeEvent {
    pub notice: OrderNotice,
    pub order_kind: String,
    pub order_price: Option<i64>,
    pub stock_name: String,
}

/// Real-time bookkeeping.
#[derive(Debug, Default)]
pub(super) struct RtState {
    /// Approval key → app key.
    pub approvals: HashMap<String, String>,
    /// App key → id of its live session.
    pub sessions: HashMap<String, u64>,
    pub next_session: u64,
    /// Every notice of today, in order; sessions keep a cursor.
    pub notices: Vec<NoticeEvent>,
    pub notice_hold_until: Option<Instant>,
    /// The server is stopping: sessions drop their connections.
    pub closing: bool,
}

/// Starts today's tape of `code` if trades are generated and it has none yet.
pub(super) fn ensure_tape(s: &mut State, code: StockCode) {
    let Some(cfg) = s.config.tape else { return };
    let today = s.now().kst_date();
    if s.tapes.get(&code).is_some_and(|t| t.date == today) {
        return;
    }
    if let Some(l) = s.config.market.get(code) {
        let tape = Tape::new(l, today, &cfg);
        s.tapes.insert(code, tape);
    }
}

/// Prints a trade of `qty` shares at `price` on `code` at the server clock's time, on a tape kept
/// for printed trades (servers without generated trades only): WebSocket sessions registered for
/// `code` receive it, inquire-ccnl lists it (gap-fill), the day's statistics take it, and working
/// orders match against the new price. Returns `false` (nothing printed) with a generated tape or
/// an unknown code.
pub(super) fn print_trade(s: &mut State, code: StockCode, price: i64, qty: u64) -> bool {
    if s.config.tape.is_some() {
        return false;
    }
    let now = s.now().kst_datetime();
    let Some(l) = s.config.market.get_mut(code) else { return false };
    l.trade(price, qty.max(1));
    let fresh = s.tapes.get(&code).is_none_or(|t| t.date != now.date());
    if fresh {
        let Some(l) = s.config.market.get(code) else { return false };
        // The rate is irrelevant: a printed tape never generates trades (`advance` skips it).
        let tape = Tape::new(l, now.date(), &super::tape::TapeConfig { seed: 0, trades_per_sec: 1.0 });
        s.tapes.insert(code, tape);
    }
    if let Some(t) = s.tapes.get_mut(&code) {
        t.push(now.time(), price, qty);
    }
    super::trading::match_orders(s);
    true
}

/// Moves every started tape to the server clock's time, updates prices and day statistics
/// from it, and matches working orders.
pub(super) fn advance(s: &mut State) {
    if s.config.tape.is_some() {
        let now = s.now().kst_datetime();
        let codes: Vec<StockCode> = s.tapes.keys().copied().collect();
        for code in codes {
            ensure_tape(s, code);
            let Some(tape) = s.tapes.get_mut(&code) else { continue };
            tape.advance_to(now.time());
            let (last, stats) = (tape.trades.last().map(|t| t.price), tape.stats());
            if let Some(l) = s.config.market.get_mut(code) {
                if let Some(p) = last {
                    l.last = p;
                }
                l.today = stats;
            }
        }
    }
    super::trading::match_orders(s);
}

fn push_notice(s: &mut State, o: &MockOrder, kind: NoticeKind, qty: u64, price: Option<i64>) {
    let time = s.now().kst_datetime().time();
    let stock_name = s.config.market.get(o.code).map(|l| l.instrument.name.clone()).unwrap_or_default();
    let action = match (o.orig_odno.is_some(), o.is_cancel) {
        (false, _) => "0",
        (true, false) => "1",
        (true, true) => "2",
    };
    let notice = OrderNotice {
        kind,
        order_no: o.odno.clone(),
        orig_order_no: o.orig_odno.clone(),
        side: o.side,
        action: action.into(),
        code: o.code,
        qty,
        price: price.and_then(|p| Price::new_checked(p).ok()),
        time: chrono::Timelike::with_nanosecond(&time, 0).unwrap_or(time),
        branch: super::trading::branch(s).into(),
        order_qty: o.qty,
    };
    s.rt.notices.push(NoticeEvent { notice, order_kind: o.division.clone(), order_price: o.price, stock_name });
}

/// Records the acknowledgement of an accepted order, revision or cancellation.
pub(super) fn notice_ack(s: &mut State, o: &MockOrder) {
    push_notice(s, o, NoticeKind::Accepted, o.qty, o.price);
}

/// Records a fill of `o` (already applied to it) as a notice and a [`MockFill`].
pub(super) fn notice_fill(s: &mut State, o: &MockOrder, qty: u64, price: i64) {
    let n = s.fills.iter().filter(|f| f.order_no == o.odno).count() + 1;
    let now = s.now().kst_datetime();
    s.fills.push(MockFill {
        exec_no: format!("{}-{n:04}", o.odno),
        order_no: o.odno.clone(),
        code: o.code,
        side: o.side,
        qty,
        price,
        date: now.date(),
        time: now.time(),
    });
    push_notice(s, o, NoticeKind::Fill, qty, Some(price));
}
