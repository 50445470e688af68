//! Real time over KIS's WebSocket (§7): the wire formats (subscribe requests, control replies,
//! `|`/`^`-delimited trade, book and notice frames, AES notice decryption) and [`KisFeed`], the
//! client behind `hantu_core::realtime::Feed`: approval key, budgeted subscriptions, PINGPONG,
//! silence detection, reconnect with re-subscribe, and gap-fill over REST.
//!
//! | module | holds |
//! |---|---|
//! | `frames`, `messages`, `crypto` | strict wire parsers and the notice cipher |
//! | `builders` | the frames' writers (the local KIS server's side, also handy in client tests) |
//! | `decode` | frames to core events (a fast path for trades) |
//! | `budget` | the 41-registration budget with priorities |
//! | `backoff` | jittered exponential reconnect delays |
//! | `gapfill` | missed trades recovered from `inquire-ccnl`, numbered by cumulative volume |
//! | `feed`, `session` | [`KisFeed`] and its connection task |

mod backoff;
mod budget;
mod builders;
mod crypto;
mod decode;
mod feed;
mod frames;
mod gapfill;
mod messages;
mod session;

pub use backoff::Backoff;
pub use budget::{Admission, KIS_REGISTRATION_BUDGET, Registry};
pub use builders::{NoticeContext, data_frame_text, is_pingpong, notice_frame_text, opsp, pingpong_text};
pub use crypto::FrameCipher;
pub use decode::{TradeDecoder, books, notice};
pub use feed::{FeedConfig, FeedStats, KisFeed};
pub use frames::{BookFrame, DataFrame, NOTICE_FIELDS, NoticeKind, OrderNotice, TRADE_FIELDS, TradeTick};
pub use gapfill::{Recovery, missing_volume, recover, recover_held};
pub use messages::{Control, ServerMessage, SubscribeRequest};
