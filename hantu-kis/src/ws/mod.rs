//! Real-time (WebSocket) wire formats, parsed strictly (§7). The connection itself (connect,
//! PINGPONG, reconnect with resubscribe) is the next piece of work; this module is what it
//! will speak: subscribe requests, control replies, and `|`/`^`-delimited data frames typed as
//! trades, order books and order/fill notices.

mod crypto;
mod frames;
mod messages;

pub use crypto::FrameCipher;
pub use frames::{BookFrame, DataFrame, NOTICE_FIELDS, NoticeKind, OrderNotice, TRADE_FIELDS, TradeTick};
pub use messages::{Control, ServerMessage, SubscribeRequest};
