//! Real-time (WebSocket) wire formats, parsed strictly (§7): subscribe requests, control
//! replies, and `|`/`^`-delimited data frames typed as trades, order books and order/fill
//! notices — plus their builders (the local KIS server's side, also handy in client tests).

mod builders;
mod crypto;
mod frames;
mod messages;

pub use builders::{NoticeContext, data_frame_text, is_pingpong, notice_frame_text, opsp, pingpong_text};
pub use crypto::FrameCipher;
pub use frames::{BookFrame, DataFrame, NOTICE_FIELDS, NoticeKind, OrderNotice, TRADE_FIELDS, TradeTick};
pub use messages::{Control, ServerMessage, SubscribeRequest};
