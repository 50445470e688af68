//! Typed real-time events, independent of the wire they came over.

use serde::{Deserialize, Serialize};

use super::Subscription;
use crate::domain::{Price, Side, StockCode, Tick, Timestamp};

/// One trade print with the day's running volume.
///
/// `cum_volume` (KIS `ACML_VOL`) grows with every trade of the day, so per code it orders trades and
/// identifies them: a trade whose `cum_volume` is not above the last one seen for its code is a
/// duplicate (a frame sent twice, or a trade both streamed and gap-filled over REST).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Trade {
    /// Code, time, price and shares of the print.
    pub tick: Tick,
    /// The day's cumulative volume after this trade.
    pub cum_volume: u64,
}

/// One price level of the book.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BookLevel {
    /// Price of the level.
    pub price: Price,
    /// Shares resting there.
    pub qty: u64,
}

/// A book snapshot (KIS sends 10 levels a side). Levels are best first; empty levels are left out.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Book {
    /// The stock.
    pub code: StockCode,
    /// When.
    pub ts: Timestamp,
    /// Offers, lowest first.
    pub asks: Vec<BookLevel>,
    /// Bids, highest first.
    pub bids: Vec<BookLevel>,
    /// Total shares offered.
    pub total_ask_qty: u64,
    /// Total shares bid.
    pub total_bid_qty: u64,
}

/// What an order/fill notice reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NoticeKind {
    /// The order (or its revision or cancel) was accepted.
    Accepted,
    /// The order was refused.
    Rejected,
    /// Shares were filled.
    Fill,
}

/// An order or fill notice for the account's own orders (KIS H0STCNI0/H0STCNI9, decrypted).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExecutionNotice {
    /// Ack, rejection or fill.
    pub kind: NoticeKind,
    /// The broker's order number.
    pub broker_order_no: String,
    /// The original order number of a revision or cancel.
    pub orig_order_no: Option<String>,
    /// The stock.
    pub code: StockCode,
    /// Buy or sell.
    pub side: Side,
    /// Shares of this fill (in acks: the order's shares).
    pub qty: u64,
    /// Fill price (in acks: the order price; `None` for market orders).
    pub price: Option<Price>,
    /// The order's shares.
    pub order_qty: u64,
    /// When (the notice's KST time on the session date).
    pub ts: Timestamp,
}

/// A stretch of time in which the feed may have missed events, and what was recovered for it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Gap {
    /// The affected code (`None`: the whole connection).
    pub code: Option<StockCode>,
    /// Last event time before the gap.
    pub from: Timestamp,
    /// When the feed was whole again.
    pub to: Timestamp,
    /// Trades recovered over REST and delivered (in order, without duplicates) before this event.
    pub recovered: u64,
}

/// Everything a feed delivers, in order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum FeedEvent {
    /// A trade print.
    Trade(Trade),
    /// A book snapshot.
    Book(Book),
    /// An order or fill notice.
    Notice(ExecutionNotice),
    /// A gap and its fill.
    Gap(Gap),
    /// The feed is (re)connected and every subscription is registered.
    Connected {
        /// 0 for the first connection, then 1, 2, … for each reconnect.
        attempt: u32,
    },
    /// The connection was lost; the feed is reconnecting.
    Disconnected {
        /// Why, for people.
        reason: String,
    },
    /// The consumer fell behind: book snapshots were dropped (trades and notices never are).
    Lagging {
        /// Book snapshots dropped so far on this feed.
        dropped_books: u64,
    },
    /// A subscription that was registered is no longer: displaced by a more important one when the
    /// registration budget was spent, or refused by the source when re-registered after a reconnect.
    Unsubscribed {
        /// The subscription that ended.
        subscription: Subscription,
        /// Why, for people (e.g. `displaced by priority 9 (budget 41)`, `OPSP0008 MAX SUBSCRIBE OVER`).
        reason: String,
    },
    /// A frame could not be read; it was skipped and the connection stays up.
    Malformed {
        /// The field that failed (e.g. `STCK_PRPR`, `<frame>.count`).
        field: String,
        /// What was wrong, with the offending value.
        reason: String,
    },
}
